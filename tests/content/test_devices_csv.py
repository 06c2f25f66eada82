"""The shipped model catalogue, and problems found in broken copies."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.devices import (
    COLUMNS,
    find_brand_problems,
    find_device_problems,
    load_brands,
    load_devices,
)
from bot.content.loader import CONTENT_DIR, ContentError

REQUIRED = [
    ("Nokia", "1110"),
    ("Nokia", "1110i"),
    ("Nokia", "1202"),
    ("Nokia", "1280"),
    ("Nokia", "105 (2019)"),
    ("Nokia", "105 4G (2021)"),
    ("Nokia", "110 4G (2021)"),
    ("Nokia", "215 4G"),
    ("Nokia", "220 4G"),
    ("Nokia", "6300 4G"),
    ("Nokia", "8110 4G"),
    ("Nokia", "3310 (2017)"),
    ("Nokia", "3310 3G"),
    ("Nokia", "3310 4G"),
    ("Apple", "iPhone 4"),
    ("Apple", "iPhone 15"),
]


def test_catalogue_is_valid_large_and_covers_common_phones():
    models = load_devices(brands=load_brands())
    assert len(models) >= 600
    names = {(m.brand, m.model) for m in models}
    missing = [r for r in REQUIRED if r not in names]
    assert not missing
    brands = {m.brand for m in models}
    assert {"Samsung", "Masstel", "Itel", "Mobell", "Viettel", "OPPO", "Xiaomi"} <= brands


def test_unconfirmed_phones_are_not_given_a_volte_answer():
    """The fact sheet marks these NOT CONFIRMED: their VoLTE must stay unknown."""
    models = {m.name: m for m in load_devices()}
    for name in ("Viettel Sumo 4G V1", "Itel it9010", "Mobell M229"):
        assert models[name].volte.value == "unknown", name


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("Nokia,1280,", "Nokia,1110,", "appears twice"),
        (",yes,no,no,no,", ",yes,no,no,yes,", "has no 4G, so VoLTE is no"),
        (",GSMArena,", ",GSMArena (fact sheet §5.1),", "staff notes"),
        (",GSMArena,", ",,", "without a source"),
        (",high,", ",sure,", "confidence"),
        ("Nokia,1280,", "Nokla,1280,", "not in brands"),
    ],
)
def test_broken_catalogue_is_reported(tmp_path: Path, old, new, expected):
    text = (CONTENT_DIR / "devices.csv").read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "devices.csv"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    _, problems = find_device_problems(broken, load_brands())
    assert any(expected in p for p in problems), problems
    with pytest.raises(ContentError):
        load_devices(broken, load_brands())


def test_sources_shown_to_citizens_are_clean():
    for entry in load_devices():
        assert "§" not in entry.source and "NOT CONFIRMED" not in entry.source, entry.name


def test_the_header_is_the_documented_one():
    header = (CONTENT_DIR / "devices.csv").read_text(encoding="utf-8").splitlines()[0]
    assert tuple(header.split(",")) == COLUMNS


def test_broken_brands_are_reported(tmp_path: Path):
    text = (CONTENT_DIR / "brands.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "brands.yaml"
    broken.write_text(text.replace("family: [Microsoft]", "family: [Nokla]"), encoding="utf-8")
    _, problems = find_brand_problems(broken)
    assert any("unknown brand 'Nokla'" in p for p in problems), problems

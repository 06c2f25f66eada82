"""The shipped model catalogue, and problems found in broken copies."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.devices import find_device_problems, load_devices
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
    models = load_devices()
    assert len(models) >= 150
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
        (",GSMArena spec sheet,high", ",GSMArena spec sheet,sure", "confidence"),
        (",yes,no,no,no,2003,", ",yes,no,maybe,no,2003,", "lte"),
    ],
)
def test_broken_catalogue_is_reported(tmp_path: Path, old, new, expected):
    text = (CONTENT_DIR / "devices.csv").read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "devices.csv"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    _, problems = find_device_problems(broken)
    assert any(expected in p for p in problems), problems
    with pytest.raises(ContentError):
        load_devices(broken)

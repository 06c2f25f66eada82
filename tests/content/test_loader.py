"""The shipped content is valid, and `bot content check` finds what is wrong in a broken copy."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import cli
from bot.content.loader import (
    CONTENT_DIR,
    REQUIRED_TOPICS,
    UNSOURCED_TOPICS,
    ContentError,
    find_problems,
    load_content,
)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def edit(folder: Path, name: str, old: str, new: str, count: int = 1) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_shipped_content_is_valid():
    assert find_problems() == []
    content = load_content()
    assert {t.id for t in content.topics} == set(REQUIRED_TOPICS)
    assert all(t.source for t in content.topics if t.id not in UNSOURCED_TOPICS)


def test_no_unconfirmed_number_or_district_office_in_answers():
    content = load_content()
    text = " ".join(
        t.answer.vi + t.answer.en + (t.more.vi if t.more else "") for t in content.topics
    )
    text += " ".join(c.how.vi + (c.phone or "") for c in content.contacts)
    text += " ".join(v.text.vi for f in content.facts for v in f.versions)
    assert "18001091" not in text.replace(" ", "")  # VinaPhone number: NOT CONFIRMED
    assert "UBND huyện" not in text
    assert "1414" not in text  # checks subscriber info, not the device


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        ("timeline.yaml", 'url: "https://', 'url: "htps://', "not a well-formed http(s) link"),
        ("faq.yaml", "- id: volte", "- id: voltee", "required topic 'volte' is missing"),
        ("timeline.yaml", "status: planned", "status: done", "status done but its date is after"),
        ("timeline.yaml", "date: 2028-09-01", "date: 2020-09-01", "not in date order"),
        ("faq.yaml", "{milestone:cut_2g_only}", "{milestone:nope}", "unknown placeholder"),
        ("faq.yaml", "{fact:vtf_support}", "{fact:nope}", "unknown placeholder"),
        ("faq.yaml", "follow_ups: [", "follow_ups: [nothing_here, ", "unknown follow-up"),
        ("timeline.yaml", "as_of: 2026-12-03", "as_of: 2029-01-01", "status planned but its date"),
        ("contacts.yaml", "contacts:", "contacts: [", "not valid YAML"),
        # A dated fact needs its window: both keys, in order, versions apart.
        ("facts.yaml", "        until: null\n", "", "until: Field required"),
        (
            "facts.yaml",
            "      - known_from: 2025-07-01\n",
            "      - text_from: 2025-07-01\n",
            "known_from: Field required",
        ),
        ("scams.yaml", "    known_from: 2026-02-14\n", "", "known_from: Field required"),
        ("facts.yaml", "until: 2025-02-28", "until: 2025-03-05", "versions overlap"),
        ("facts.yaml", "until: 2025-02-28", "until: 2020-01-01", "is before known_from"),
        ("scams.yaml", "known_from: 2026-02-14", "known_from: 2027-01-01", "after as_of"),
        # A date, a year or an amount written straight into an answer is refused.
        (
            "faq.yaml",
            "Tôi chưa có hướng dẫn chính thức",
            "Từ 1/7/2025 tôi chưa có hướng dẫn",
            "is a dated claim",
        ),
        (
            "faq.yaml",
            "Hỗ trợ điện thoại của Nhà nước mà tôi biết",
            "Hỗ trợ 500.000 đồng của Nhà nước mà tôi biết",
            "is a dated claim",
        ),
        # Sources a citizen can open and trust.
        (
            "scams.yaml",
            '    source:\n      label: "Báo CafeF, 14/2/2026 (tin nhắn giả danh Viettel)"',
            '    source:\n      label: "CafeF"\n      url: "https://cafef.vn"',
            "bare home page",
        ),
        (
            "faq.yaml",
            'url: "https://vnreview.vn/threads/canh-giac-voi-dien-thoai-gia-song-4g.16826"',
            'url: "https://kenhtingame.com/gaming-gear/a-439696"',
            "not a source citizens can trust",
        ),
        (
            "timeline.yaml",
            '    unconfirmed:\n      vi: "Tôi chưa có thông tin chính thức là mạng 3G',
            '    unconfirmed_x:\n      vi: "Tôi chưa có thông tin chính thức là mạng 3G',
            "unconfirmed_x",
        ),
        ("examples.yaml", "  about_bot:\n", "  about_bots:\n", "'about_bots' is not a topic"),
    ],
)
def test_broken_copy_is_reported(copy, file, old, new, expected):
    edit(copy, file, old, new)
    problems = find_problems(copy)
    assert any(expected in p for p in problems), problems
    with pytest.raises(ContentError):
        load_content(copy)


def test_every_dated_item_has_its_window():
    """Facts, programmes, contacts, scams and reports all carry known_from and until."""
    content = load_content()
    windowed = [v for f in content.facts for v in f.versions]
    windowed += [v for p in content.programmes for v in p.versions]
    assert windowed and all(w.until is None or w.known_from <= w.until for w in windowed)
    # What was seen or reported cannot be known after the content was checked.
    seen = [*content.contacts, *content.scams, *(r for m in content.milestones for r in m.reports)]
    assert seen and all(w.known_from <= content.as_of for w in seen)


def test_placeholder_mismatch_between_languages(copy):
    text = (copy / "faq.yaml").read_text(encoding="utf-8")
    # drop the first {milestone:…} from an English answer only
    match = re.search(r"(      en: \"[^\n]*?)\{milestone:[a-z0-9_]+\}", text)
    assert match
    text = text[: match.start()] + match.group(1) + text[match.end() :]
    (copy / "faq.yaml").write_text(text, encoding="utf-8")
    assert any("placeholders differ" in p for p in find_problems(copy))


def test_missing_english_text(copy):
    text = (copy / "scams.yaml").read_text(encoding="utf-8")
    text = re.sub(r"\n      en: [^\n]*", "", text, count=1)
    (copy / "scams.yaml").write_text(text, encoding="utf-8")
    assert any(".en: Field required" in p for p in find_problems(copy))


def test_cli_content_check(copy):
    runner = CliRunner()
    ok = runner.invoke(cli, ["content", "check"])
    assert ok.exit_code == 0, ok.output
    edit(copy, "faq.yaml", "- id: scam", "- id: scams_typo")
    # The folder may be given as an argument, with --dir, or as CONTENT_DIR.
    for args, env in (
        (["content", "check", str(copy)], {}),
        (["content", "check", "--dir", str(copy)], {}),
        (["content", "check"], {"CONTENT_DIR": str(copy)}),
    ):
        bad = runner.invoke(cli, args, env=env)
        assert bad.exit_code == 1, args
        assert "required topic 'scam' is missing" in bad.output
    missing = runner.invoke(cli, ["content", "check", str(copy / "nowhere")])
    assert missing.exit_code == 2
    assert "Not a folder" in missing.output

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
    assert all(t.source for t in content.topics if t.id not in ("greeting", "fallback"))


def test_no_unconfirmed_number_or_district_office_in_answers():
    text = " ".join(t.answer.vi + t.answer.en for t in load_content().topics) + " ".join(
        c.how.vi + (c.phone or "") for c in load_content().contacts
    )
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
        ("faq.yaml", "follow_ups: [", "follow_ups: [nothing_here, ", "unknown follow-up"),
        ("timeline.yaml", "as_of: 2026-11-24", "as_of: 2029-01-01", "status planned but its date"),
        ("contacts.yaml", "contacts:", "contacts: [", "not valid YAML"),
    ],
)
def test_broken_copy_is_reported(copy, file, old, new, expected):
    edit(copy, file, old, new)
    problems = find_problems(copy)
    assert any(expected in p for p in problems), problems
    with pytest.raises(ContentError):
        load_content(copy)


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

"""Every msgid used in the code is translated in both catalogs, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.config import PROJECT_ROOT, SUPPORTED_LOCALES

PLACEHOLDER = re.compile(r"\{[a-z_][a-z0-9_]*\}")
KEYWORDS = {"_": None, "_n": (1, 2), "gettext_": None, "ngettext_": (1, 2)}


def code_msgids() -> set[str]:
    found: set[str] = set()
    method_map = [("**.py", "python")]
    for _file, _line, message, _comments, _context in extract_from_dir(
        PROJECT_ROOT / "bot", method_map, keywords=KEYWORDS
    ):
        if isinstance(message, tuple):
            found.add(message[0])  # catalogs key plural entries by their singular
        else:
            found.add(message)
    return found


def load_catalog(locale: str):
    path = Path(PROJECT_ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po")
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def test_code_uses_messages():
    assert len(code_msgids()) >= 20


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_msgid_is_translated(locale):
    catalog = load_catalog(locale)
    missing = []
    for msgid in sorted(code_msgids()):
        message = catalog.get(msgid)
        strings = (
            message.string
            if message and isinstance(message.string, tuple)
            else [message.string if message else ""]
        )
        if message is None or not all(strings) or message.fuzzy:
            missing.append(msgid)
    assert not missing, f"{locale}: untranslated messages: {missing}"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_placeholders_match(locale):
    catalog = load_catalog(locale)
    wrong = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(PLACEHOLDER.findall(ids[0]))
        if any(set(PLACEHOLDER.findall(s)) != expected for s in strings):
            wrong.append(ids[0])
    assert not wrong, f"{locale}: placeholders differ in {wrong}"


def test_vietnamese_catalog_is_really_vietnamese():
    catalog = load_catalog("vi")
    same = [m.id for m in catalog if m.id and m.string == m.id and len(m.id) > 12]
    assert not same, f"vi: messages left in English: {same}"

"""Text tools: folding Vietnamese for comparison, cleaning input, masking phone numbers."""

from __future__ import annotations

import re
import unicodedata

# Letters that Unicode decomposition does not reduce to ASCII.
_SPECIAL_FOLDS = str.maketrans({"đ": "d", "Đ": "D", "ð": "d"})
_CONTROL_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}
_SPACES = re.compile(r"\s+")
_PHONE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?!\d)")
# ID-card (12), IMEI (15) and bank-account numbers: any run of 9 digits or more.
_LONG_NUMBER = re.compile(r"(?<!\d)\d{9,}(?!\d)")


def strip_marks(text: str) -> str:
    """Remove Vietnamese tone and vowel marks and map đ to d ("Điện thoại" -> "Dien thoai")."""
    decomposed = unicodedata.normalize("NFD", text.translate(_SPECIAL_FOLDS))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", stripped)


def fold(text: str) -> str:
    """Lower-case, mark-free, single-spaced form of `text` for comparisons."""
    return _SPACES.sub(" ", strip_marks(unicodedata.normalize("NFC", text)).lower()).strip()


def clean_input(text: str) -> str:
    """NFC-normalise user text and drop control and format characters (keeps line breaks)."""
    text = unicodedata.normalize("NFC", text)
    kept = (
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in _CONTROL_CATEGORIES
    )
    return "".join(kept).strip()


def clean_name(name: str | None, limit: int = 128) -> str | None:
    """A display name fit to store: cleaned as input is, on one line, at most `limit`
    characters; None when nothing is left (a platform may send NUL or 129 characters)."""
    if not name:
        return None
    cleaned = _SPACES.sub(" ", clean_input(str(name)))[:limit].strip()
    return cleaned or None


def _keep_last_three(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "*" * (len(digits) - 3) + digits[-3:]


def mask_phone_numbers(text: str) -> str:
    """Replace all but the last three digits of Vietnamese phone numbers with '*'."""
    return _PHONE.sub(_keep_last_three, text)


def mask_personal_numbers(text: str) -> str:
    """Phone numbers masked as by `mask_phone_numbers`, and any other run of 9 or more digits
    (ID card, IMEI, bank account) too: for text kept for staff."""
    return _LONG_NUMBER.sub(_keep_last_three, mask_phone_numbers(text))

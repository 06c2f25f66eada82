"""Long numbers in a message: an IMEI as phones show it, or a phone or ID-card number.

Phones show the IMEI in many ways (`*#06#` gives "351524041234562/01", the IMEI and its
software version; labels say "IMEI1:"; people add spaces and dashes; some keyboards type
full-width digits). A 10-digit number starting with 0 is a phone number and a 12-digit one
starting with 0 a citizen ID number: neither is a mistyped IMEI.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from stdnum import luhn

IMEI_DIGITS = 15
IMEISV_DIGITS = 16  # TAC + serial + 2-digit software version, no check digit
_LABEL_WITH_INDEX = re.compile(r"imei\s*[12]\s*[:：.)=]", re.IGNORECASE)
_LABEL = re.compile(r"imei(?:\s*/?\s*sv)?\s*[:：=]?", re.IGNORECASE)
# The old printed layout TAC(6)/FAC(2)/serial(6)/check digit: "351524/04/123456/2".
_OLD_LAYOUT = re.compile(r"(?<!\d)(\d{6})/(\d{2})/(\d{6})/(\d)(?![\d/])")
# Digits in groups joined by spaces, dots or dashes (not by "/": "…562/01" ends the IMEI).
_DIGIT_RUN = re.compile(r"(?<!\d)\+?\d(?:[ \t.\-]{0,2}\d)*(?!\d)")


class NumberKind(StrEnum):
    """What a long number in a message is."""

    IMEI = "imei"  # 15 or 16 digits (IMEISV); `valid` tells whether the check digit fits
    IMEI_LENGTH = "imei_length"  # 13, 14 or 17+ digits: an IMEI with a digit too many or few
    PHONE = "phone_number"
    ID_CARD = "id_number"


@dataclass(frozen=True, slots=True)
class NumberReading:
    """One long number read from a message."""

    kind: NumberKind
    digits: str
    valid: bool = False

    @property
    def tac(self) -> str | None:
        """The first 8 digits of a valid IMEI: the model code."""
        return self.digits[:8] if self.kind is NumberKind.IMEI and self.valid else None

    @property
    def problem(self) -> str | None:
        """Why an IMEI-like number is not a valid IMEI: "checksum" or "length"."""
        if self.kind is NumberKind.IMEI_LENGTH:
            return "length"
        if self.kind is NumberKind.IMEI and not self.valid:
            return "checksum"
        return None

    @property
    def masked(self) -> str:
        """The TAC kept, the serial hidden: what is stored and logged."""
        return self.digits[:8] + "*" * (len(self.digits) - 8)


def read_number(text: str) -> NumberReading | None:
    """The most telling long number in `text`: a valid IMEI first, then any IMEI-like number,
    then a phone or ID-card number; None when there is none."""
    readings = [r for r in map(_classify, _digit_runs(text)) if r is not None]
    for wanted in (
        lambda r: r.kind is NumberKind.IMEI and r.valid,
        lambda r: r.kind in (NumberKind.IMEI, NumberKind.IMEI_LENGTH),
        lambda r: True,
    ):
        for reading in readings:
            if wanted(reading):
                return reading
    return None


def _digit_runs(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text)
    text = _LABEL.sub("\n", _LABEL_WITH_INDEX.sub("\n", text))  # a label ends a number
    text = _OLD_LAYOUT.sub(lambda m: "".join(m.groups()), text)
    return [re.sub(r"\D", "", m.group()) for m in _DIGIT_RUN.finditer(text)]


def _classify(digits: str) -> NumberReading | None:
    size = len(digits)
    if _is_phone_number(digits):
        return NumberReading(NumberKind.PHONE, digits)
    if size == 12 and digits.startswith("0"):
        return NumberReading(NumberKind.ID_CARD, digits)
    if size == IMEI_DIGITS:
        return NumberReading(NumberKind.IMEI, digits, valid=luhn.is_valid(digits))
    if size == IMEISV_DIGITS:
        return NumberReading(NumberKind.IMEI, digits, valid=True)
    if size == IMEI_DIGITS + 2 and luhn.is_valid(digits[:IMEI_DIGITS]):
        # The IMEI and its 2-digit software version typed together.
        return NumberReading(NumberKind.IMEI, digits[:IMEI_DIGITS], valid=True)
    if 13 <= size <= 18:
        return NumberReading(NumberKind.IMEI_LENGTH, digits)
    return None


def _is_phone_number(digits: str) -> bool:
    """A Vietnamese mobile or landline number: 0 + 9 or 10 digits, or 84 + 9 or 10 digits."""
    if digits.startswith("0") and len(digits) in (10, 11) and digits[1] != "0":
        return True
    return digits.startswith("84") and len(digits) in (11, 12)

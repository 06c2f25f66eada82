"""Vietnamese mobile numbers as people type them (spaces, dots, +84 or 0), kept in one form."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

_ALLOWED = re.compile(r"[\d\s.\-+()]+")


class PhoneProblem(StrEnum):
    """Why a typed number cannot be a contact phone."""

    NOT_A_NUMBER = "not_a_number"
    LANDLINE = "landline"
    FOREIGN = "foreign"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class PhoneReading:
    """A typed number: its E.164 form when it is a Vietnamese mobile number, else why not."""

    e164: str | None
    problem: PhoneProblem | None = None


def read_mobile(text: str) -> PhoneReading:
    """Read a Vietnamese mobile number ("0912 345 678", "+84 912.345.678", "84912345678")."""
    import phonenumbers

    typed = text.strip()
    if not typed or not _ALLOWED.fullmatch(typed) or sum(ch.isdigit() for ch in typed) < 9:
        return PhoneReading(None, PhoneProblem.NOT_A_NUMBER)
    digits = re.sub(r"\D", "", typed)
    if not typed.startswith(("+", "0")) and digits.startswith("84") and len(digits) == 11:
        typed = "+" + digits
    try:
        number = phonenumbers.parse(typed, "VN")
    except phonenumbers.NumberParseException:
        return PhoneReading(None, PhoneProblem.INVALID)
    if number.country_code != 84:
        return PhoneReading(None, PhoneProblem.FOREIGN)
    if not phonenumbers.is_valid_number(number):
        return PhoneReading(None, PhoneProblem.INVALID)
    kind = phonenumbers.number_type(number)
    if kind not in (phonenumbers.PhoneNumberType.MOBILE,
                    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):  # fmt: skip
        return PhoneReading(None, PhoneProblem.LANDLINE)
    return PhoneReading(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def show_phone(e164: str) -> str:
    """How a stored number is shown to its owner: "0912 345 678"."""
    if e164.startswith("+84") and len(e164) == 12:
        local = "0" + e164[3:]
        return f"{local[:4]} {local[4:7]} {local[7:]}"
    return e164

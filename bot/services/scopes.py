"""Where a staff member may look, and which registrations a list or an export asks for.

A scope is the whole country (an operator at the command line, or an admin without a
province), one province, or one commune. Every staff query is filtered by scope in the
service layer and in SQL, never in a handler: a handler cannot forget it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.text import fold
from bot.services.places import Places
from db.repositories.registrations import Selection


@dataclass(frozen=True, slots=True)
class Scope:
    """The area a staff member works in: a commune (`ward_code`), a province, or all."""

    province_code: int | None = None
    ward_code: int | None = None

    @classmethod
    def everywhere(cls) -> Scope:
        """No limit (the operator at the command line)."""
        return cls()

    def covers(self, *, province_code: int, ward_code: int) -> bool:
        """Whether a registration of this province and commune lies in the scope."""
        if self.ward_code is not None:
            return ward_code == self.ward_code
        if self.province_code is not None:
            return province_code == self.province_code
        return True

    def asks_outside(self, chosen: RegistrationFilter, places: Places) -> bool:
        """Whether a filter names a province or a commune outside the scope (an export for
        it would hold nothing: better said than an empty file)."""
        if chosen.province_code is not None and self.province_code not in (
            None,
            chosen.province_code,
        ):
            return True
        if chosen.ward_code is None:
            return False
        ward = places.ward(chosen.ward_code)
        return ward is None or not self.covers(
            province_code=ward.province_code, ward_code=ward.code
        )


@dataclass(frozen=True, slots=True)
class RegistrationFilter:
    """What a list or an export asks for, inside a scope (every field optional).

    `text` matches the household head's name (folded, any part) or the contact phone (any
    part of its digits); `since` and `until` are local dates of registration, inclusive.
    """

    province_code: int | None = None
    ward_code: int | None = None
    status: str | None = None
    category: str | None = None
    text: str | None = None
    since: date | None = None
    until: date | None = None

    def describe(self) -> dict[str, object]:
        """The filter as the audit log keeps it (what was asked, never what was found)."""
        return {
            name: value.isoformat() if isinstance(value, date) else value
            for name, value in (
                ("province", self.province_code),
                ("ward", self.ward_code),
                ("status", self.status),
                ("category", self.category),
                ("text", "…" if self.text else None),
                ("since", self.since),
                ("until", self.until),
            )
            if value is not None
        }


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    """The moment a local day begins, in UTC (as times are stored)."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def selection(scope: Scope, chosen: RegistrationFilter, zone: ZoneInfo) -> Selection:
    """The scope and the filter as the repository reads them: local dates as UTC bounds, the
    text as a folded name part and, when it has digits, as phone digits ("0912 345" →
    "+84912345"; a part of a number stays as typed)."""
    text = (chosen.text or "").strip()
    digits = re.sub(r"\D", "", text)
    if digits.startswith("0"):
        digits = "+84" + digits[1:]
    letters = fold(re.sub(r"[\d+().\-]", " ", text))
    return Selection(
        in_province=scope.province_code,
        in_ward=scope.ward_code,
        province_code=chosen.province_code,
        ward_code=chosen.ward_code,
        status=chosen.status,
        category=chosen.category,
        name_part=letters or None,
        phone_digits=digits or None,
        created_from=_start_of(chosen.since, zone) if chosen.since else None,
        created_before=_start_of(chosen.until + timedelta(days=1), zone) if chosen.until else None,
    )

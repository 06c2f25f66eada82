"""Quiet hours: the local hours when nobody is woken by a broadcast or a reminder.

"21:00-07:00" spans midnight; "12:00-13:00" does not; "off" is no quiet hours at all. Times
are compared in the users' time zone; what is returned is in UTC, as times are stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily span of local time, [start, end), in a time zone."""

    start: time | None
    end: time | None
    zone: ZoneInfo

    @classmethod
    def parse(cls, span: str, timezone: str) -> QuietHours:
        """From the setting QUIET_HOURS ("21:00-07:00", or "off" or "" for none)."""
        zone = ZoneInfo(timezone)
        if span.strip().lower() in ("", "off", "none", "no"):
            return cls(None, None, zone)
        first, last = span.strip().split("-")
        return cls(time.fromisoformat(first), time.fromisoformat(last), zone)

    def contains(self, moment: datetime) -> bool:
        """Whether `moment` (aware, or naive UTC) falls inside the quiet hours."""
        if self.start is None or self.end is None or self.start == self.end:
            return False
        local = _aware(moment).astimezone(self.zone).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, moment: datetime) -> datetime:
        """`moment` itself when it is not quiet, else the end of these quiet hours (UTC)."""
        if not self.contains(moment) or self.end is None:
            return _aware(moment).astimezone(UTC)
        local = _aware(moment).astimezone(self.zone)
        end = datetime.combine(local.date(), self.end, tzinfo=self.zone)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

"""Today's date in the users' time zone, with an override to see the bot as on another day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Clock:
    """Tells today's local date; `fixed_today` pins it (settings BOT_TODAY / --today)."""

    timezone: str = "Asia/Ho_Chi_Minh"
    fixed_today: date | None = None

    def now(self) -> datetime:
        """The current time in UTC."""
        return datetime.now(UTC)

    def local_moment(self, moment: datetime) -> datetime:
        """A stored moment in the users' time zone (a naive one, as SQLite returns, is UTC)."""
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        return aware.astimezone(ZoneInfo(self.timezone))

    def local_date(self, moment: datetime) -> date:
        """The users' local date of a stored moment."""
        return self.local_moment(moment).date()

    def today(self) -> date:
        """Today's date in the users' time zone (or the pinned date)."""
        if self.fixed_today is not None:
            return self.fixed_today
        return self.now().astimezone(ZoneInfo(self.timezone)).date()

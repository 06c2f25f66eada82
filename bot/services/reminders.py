"""Milestone reminders: planned from the timeline at offsets before each milestone that is
still ahead (REMINDER_OFFSETS_DAYS, at REMINDER_TIME local), and worded on the day they are
sent, so that they are true that day.

Planning is idempotent (one reminder per milestone and offset, a database constraint); a
milestone whose date changes in the content moves its reminders that have not started, and
one that is no longer ahead cancels them. A reminder whose day has passed before it was ever
planned is not made, and one a day late is dropped (a bot started late, or down for days,
does not send three reminders at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.content.loader import Content, Milestone
from bot.core.i18n import use_locale
from bot.services.timeline import has_happened, tell
from db.models import Broadcast, utcnow
from db.repositories.broadcasts import BroadcastRepository

# A reminder not started this long after its time (the bot was down) is not sent any more.
STALE_AFTER = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Plan:
    """What planning did: reminders made, moved and cancelled."""

    made: int = 0
    moved: int = 0
    cancelled: int = 0


def reminder_text(content: Content, milestone_id: str, day: date, locale: str) -> str | None:
    """The reminder of a milestone as sent on `day` in `locale`; None when there is nothing
    true to remind of any more (it happened, or is not known yet that day)."""
    milestone = content.milestone_on(milestone_id, day)
    if milestone is None or has_happened(milestone, day):
        return None
    with use_locale(locale):
        told = tell(milestone, day)
        return content.reminder.get(locale).format(
            milestone=told.text,
            action=milestone.action.get(locale),
            source=milestone.source.label,
        )


class ReminderPlanner:
    """Keeps the reminders of the timeline planned, in the caller's transaction."""

    def __init__(
        self,
        repository: BroadcastRepository,
        content: Content,
        *,
        offsets: tuple[int, ...],
        send_time: time,
        zone: ZoneInfo,
    ) -> None:
        self._repository = repository
        self._content = content
        self._offsets = offsets
        self._send_time = send_time
        self._zone = zone

    def _send_at(self, milestone: Milestone, offset: int) -> datetime:
        day = milestone.date - timedelta(days=offset)
        return datetime.combine(day, self._send_time, tzinfo=self._zone).astimezone(utcnow().tzinfo)

    async def plan(self, today: date, now: datetime | None = None) -> Plan:
        """Make, move or cancel reminders so that they match the timeline as known today."""
        moment = now or utcnow()
        wanted: dict[tuple[str, int], datetime] = {}
        for milestone in self._content.milestones:
            known = self._content.milestone_on(milestone.id, today)
            if not milestone.reminders or known is None or known.date <= today:
                continue
            for offset in self._offsets:
                wanted[(milestone.id, offset)] = self._send_at(known, offset)
        made = moved = cancelled = 0
        for row in await self._repository.reminders():
            key = (row.milestone_id or "", row.offset_days or 0)
            send_at = wanted.pop(key, None)
            if row.status != "scheduled":
                continue
            if send_at is not None and _utc(row.send_at) != send_at:
                row.send_at = send_at  # the milestone moved
                moved += 1
            if send_at is None or send_at < moment - STALE_AFTER:
                # No longer ahead, or a day late (the bot was down): a later one will come.
                row.status, row.finished_at = "cancelled", moment
                cancelled += 1
        for (milestone_id, offset), send_at in wanted.items():
            if send_at < moment:
                continue  # its day passed before it was planned
            await self._repository.add(
                Broadcast(
                    kind="reminder",
                    status="scheduled",
                    audience={},
                    milestone_id=milestone_id,
                    offset_days=offset,
                    send_at=send_at,
                )
            )
            made += 1
        return Plan(made, moved, cancelled)


def _utc(moment: datetime) -> datetime:
    """A stored moment as aware UTC (SQLite returns naive ones)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=utcnow().tzinfo)

"""Broadcasts: staff announcements and milestone reminders, to subscribers.

A staff member (or the operator) creates one for an audience within their area, with a time;
it waits in `broadcasts` until the scheduler starts it: then its recipients become outbox
rows, one each (unique), in their language, and the one outbound path sends them within the
platforms' limits and outside quiet hours. When none is left to send, it is done: its report
(sent, failed, blocked, skipped, unknown, cancelled) is kept and its author told. Cancelling
one stops what has not been sent. Every creation and cancellation is audited.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import Content
from bot.core.access import Role, StaffIdentity
from bot.core.i18n import _, use_locale
from bot.core.messages import Button, Reply, reply_to_body
from bot.services.places import Places
from bot.services.reminders import reminder_text
from bot.services.staff import scope_of
from db.models import Broadcast, User, utcnow
from db.repositories.audit import AuditRepository
from db.repositories.broadcasts import Audience, BroadcastRepository  # Audience: for handlers too
from db.repositories.outbox import NewMessage, OutboxRepository

TEXT_MAX = 2000  # Zalo's limit for one message; Telegram's is 4,096
STOP_PAYLOAD = "sub:stop"
REPORT_KEYS = ("sent", "failed", "blocked", "unknown", "cancelled", "pending", "sending")


class Refused(StrEnum):
    """Why a broadcast could not be made or changed."""

    OUTSIDE_AREA = "outside_area"
    NOT_FOUND = "not_found"
    FINISHED = "finished"  # done or cancelled already
    EMPTY_TEXT = "empty_text"
    TOO_LONG = "too_long"
    IN_THE_PAST = "in_the_past"
    NOT_ALLOWED = "not_allowed"  # a viewer: reads, changes nothing
    NO_CHAT_ACCOUNT = "no_chat_account"  # a test needs a chat account to go to


class BroadcastRefused(Exception):
    """A broadcast refused, with the reason."""

    def __init__(self, reason: Refused) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Report:
    """Where a broadcast stands: its recipients and what became of their messages."""

    broadcast: Broadcast
    recipients: int
    skipped: int
    outcomes: dict[str, int]

    @property
    def done(self) -> int:
        """Messages finished, whatever their outcome."""
        return sum(
            self.outcomes.get(k, 0) for k in ("sent", "failed", "blocked", "unknown", "cancelled")
        )


_DAY_TIME = re.compile(
    r"^(?P<day>\d{1,2})[/.-](?P<month>\d{1,2})(?:[/.-](?P<year>\d{2,4}))?"
    r"(?:\s+(?:luc\s+|lúc\s+)?(?P<hour>\d{1,2})(?:[:hg](?P<minute>\d{2})?)?)?$"
)
_ISO = re.compile(
    r"^(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?:[ T](?P<hour>\d{2}):(?P<minute>\d{2}))?$"
)
NOW_WORDS = frozenset({"ngay", "now", "gui ngay", "bay gio"})


def read_send_time(text: str, zone: ZoneInfo, now: datetime) -> datetime | None:
    """When to send, as staff type it: "ngay" (now), "25/12 08:00", "25/12/2026 8h",
    "2026-12-25 08:00" (local time; a day without a time is 08:00; a day without a year is
    the next one to come); None when it cannot be read or is not a real date."""
    from bot.core.text import fold

    said = fold(text).strip()
    if said in NOW_WORDS:
        return now
    found = _ISO.match(said) or _DAY_TIME.match(said)
    if found is None:
        return None
    parts = found.groupdict()
    local_now = now.astimezone(zone)
    year = int(parts["year"]) if parts.get("year") else local_now.year
    year += 2000 if year < 100 else 0
    try:
        moment = datetime(
            year,
            int(parts["month"]),
            int(parts["day"]),
            int(parts.get("hour") or 8),
            int(parts.get("minute") or 0),
            tzinfo=zone,
        )
    except ValueError:
        return None
    if not parts.get("year") and moment < local_now - timedelta(days=1):
        moment = moment.replace(year=moment.year + 1)
    return moment.astimezone(UTC)


def broadcast_reply(text: str, locale: str) -> Reply:
    """A broadcast message as a person receives it: the text, and how to stop them."""
    with use_locale(locale):
        return Reply(
            text=f"{text}\n" + _("(Type “dừng” to stop these messages.)"),
            buttons=(
                Button(_("Stop these messages"), STOP_PAYLOAD),
                Button(_("Main menu"), "menu"),
            ),
        )


class BroadcastService:
    """Broadcasts of one turn, command or scheduler job, in its session."""

    def __init__(self, session: AsyncSession, *, content: Content, places: Places) -> None:
        self._session = session
        self._repository = BroadcastRepository(session)
        self._audit = AuditRepository(session)
        self._outbox = OutboxRepository(session)
        self._content = content
        self._places = places

    # --- staff: audience, create, cancel, report ---------------------------------------------

    def within_area(self, staff: StaffIdentity | None, audience: Audience) -> Audience:
        """The audience limited to the member's area (a commune member's is their commune;
        a province member's the province, or a commune of it); `BroadcastRefused` when it
        names a place outside."""
        scope = scope_of(staff)
        ward = self._places.ward(audience.ward) if audience.ward is not None else None
        province = audience.province
        if ward is not None:
            province = ward.province_code
        elif audience.ward is not None:
            raise BroadcastRefused(Refused.OUTSIDE_AREA)
        if scope.ward_code is not None:
            if audience.ward not in (None, scope.ward_code):
                raise BroadcastRefused(Refused.OUTSIDE_AREA)
            return Audience(
                scope.province_code,
                scope.ward_code,
                audience.verdict,
                audience.status,
                audience.channel,
            )
        if scope.province_code is not None:
            if province not in (None, scope.province_code):
                raise BroadcastRefused(Refused.OUTSIDE_AREA)
            province = scope.province_code
        return Audience(
            province, audience.ward, audience.verdict, audience.status, audience.channel
        )

    async def audience_size(
        self, staff: StaffIdentity | None, audience: Audience
    ) -> tuple[int, int]:
        """(recipients, skipped) of the audience within the member's area, now."""
        return await self._repository.count_audience(self.within_area(staff, audience))

    async def create(
        self,
        staff: StaffIdentity | None,
        *,
        text_vi: str,
        text_en: str | None,
        audience: Audience,
        send_at: datetime,
        author_user_id: int | None = None,
        now: datetime | None = None,
    ) -> Broadcast:
        """A broadcast scheduled for `send_at` (now, or later), audited."""
        moment = now or utcnow()
        text_vi, text_en = _checked_texts(staff, text_vi, text_en)
        if send_at < moment.replace(microsecond=0) and (moment - send_at).total_seconds() > 60:
            raise BroadcastRefused(Refused.IN_THE_PAST)
        audience = self.within_area(staff, audience)
        row = await self._repository.add(
            Broadcast(
                kind="announcement",
                status="scheduled",
                text_vi=text_vi,
                text_en=text_en,
                audience=audience.as_json(),
                area_province=audience.province,
                area_ward=audience.ward,
                created_by=staff.id if staff is not None else None,
                author_user_id=author_user_id,
                send_at=max(send_at, moment),
            )
        )
        await self._audit.add(
            actor=staff.actor if staff is not None else "cli",
            action="broadcast.created",
            detail={
                "broadcast": row.id,
                "audience": audience.as_json(),
                "send_at": row.send_at.isoformat(timespec="minutes"),
            },
        )
        return row

    async def send_test(
        self, staff: StaffIdentity, *, text_vi: str, text_en: str | None, chat_accounts: list[User]
    ) -> str:
        """The broadcast as recipients will get it, to the member's own chat account (a
        Telegram or Zalo one first), at once; the channel it went to."""
        text_vi, text_en = _checked_texts(staff, text_vi, text_en)
        reachable = sorted(chat_accounts, key=lambda user: user.channel == "console")
        if not reachable:
            raise BroadcastRefused(Refused.NO_CHAT_ACCOUNT)
        account = reachable[0]
        text = text_en if account.locale == "en" and text_en else text_vi
        await self._outbox.add(
            [
                NewMessage(
                    channel=account.channel,
                    address=account.address or account.external_id,
                    dedup_key=f"bctest:{secrets.token_hex(8)}",
                    kind="status",  # a test is a reply to its author: no quiet hours
                    body=reply_to_body(broadcast_reply(text, account.locale)),
                    user_id=account.id,
                )
            ]
        )
        return account.channel

    async def _visible(
        self, staff: StaffIdentity | None, broadcast_id: int, *, lock: bool
    ) -> Broadcast:
        row = await self._repository.get(broadcast_id, lock=lock)
        if row is None:
            raise BroadcastRefused(Refused.NOT_FOUND)
        scope = scope_of(staff)
        if row.kind == "announcement" and (
            (scope.ward_code is not None and row.area_ward != scope.ward_code)
            or (scope.province_code is not None and row.area_province != scope.province_code)
        ):
            raise BroadcastRefused(Refused.NOT_FOUND)  # another area's: not told apart
        return row

    async def cancel(self, staff: StaffIdentity | None, broadcast_id: int) -> Report:
        """Stop a broadcast: what has not been sent never will be. Audited."""
        row = await self._visible(staff, broadcast_id, lock=True)
        if row.status not in ("scheduled", "sending"):
            raise BroadcastRefused(Refused.FINISHED)
        if not may_cancel(staff, row):
            raise BroadcastRefused(Refused.NOT_ALLOWED)
        cancelled = await self._repository.cancel_pending(row.id)
        row.status, row.finished_at = "cancelled", utcnow()
        await self._audit.add(
            actor=staff.actor if staff is not None else "cli",
            action="broadcast.cancelled",
            detail={"broadcast": row.id, "messages_cancelled": cancelled},
        )
        return await self.report(staff, row.id)

    async def report(self, staff: StaffIdentity | None, broadcast_id: int) -> Report:
        """Where the broadcast stands (the kept report once it is done)."""
        row = await self._visible(staff, broadcast_id, lock=False)
        outcomes = (
            dict(row.report or {})
            if row.status == "done" and row.report
            else (await self._repository.outcomes(row.id))
        )
        return Report(row, row.recipients, row.skipped, outcomes)

    async def listed(self, staff: StaffIdentity | None, *, limit: int = 10) -> list[Report]:
        """The newest broadcasts of the member's area (and reminders), with where they stand."""
        scope = scope_of(staff)
        rows = await self._repository.listed(
            limit=limit, province=scope.province_code, ward=scope.ward_code
        )
        return [await self.report(staff, row.id) for row in rows]

    # --- the scheduler's jobs ---------------------------------------------------------------

    async def start_due(self, now: datetime, today: date) -> list[int]:
        """Start the broadcasts whose time has come: their recipients become outbox rows
        (reminders worded for `today`, the users' date)."""
        started = []
        for row in await self._repository.due(now):
            bodies = self._bodies(row, today)
            if bodies is None:  # a reminder with nothing true to say any more
                row.status, row.finished_at = "cancelled", now
                continue
            recipients, skipped = await self._repository.count_audience(
                Audience.of(row.audience or {})
            )
            row.recipients = await self._repository.write_recipients(row, bodies, now)
            row.skipped = skipped + max(0, recipients - row.recipients)
            row.status, row.started_at = "sending", now
            started.append(row.id)
        return started

    def _bodies(self, row: Broadcast, day: date) -> dict[str, dict[str, Any]] | None:
        if row.kind == "reminder":
            texts = {
                locale: reminder_text(self._content, row.milestone_id or "", day, locale)
                for locale in ("vi", "en")
            }
            if texts["vi"] is None or texts["en"] is None:
                return None
            return {loc: reply_to_body(broadcast_reply(t or "", loc)) for loc, t in texts.items()}
        bodies = {"vi": reply_to_body(broadcast_reply(row.text_vi or "", "vi"))}
        if row.text_en:
            bodies["en"] = reply_to_body(broadcast_reply(row.text_en, "en"))
        return bodies

    async def finish_done(self, now: datetime) -> list[int]:
        """Broadcasts with nothing left to send are done: the report is kept, and the author
        told (one message, once)."""
        finished = []
        for row in await self._repository.sending():
            if await self._repository.unfinished(row.id):
                continue
            row.report = await self._repository.outcomes(row.id)
            row.status, row.finished_at = "done", now
            await self._tell_author(row)
            finished.append(row.id)
        return finished

    async def _tell_author(self, row: Broadcast) -> None:
        author = await self._session.get(User, row.author_user_id) if row.author_user_id else None
        if author is None:
            return
        counts = row.report or {}
        with use_locale(author.locale):
            text = _(
                "Announcement {id} has been sent: {sent} delivered, {failed} failed, {blocked} "
                "refused (blocked), {unknown} not known whether delivered, {skipped} not reachable."
            ).format(
                id=row.id,
                sent=counts.get("sent", 0),
                failed=counts.get("failed", 0),
                blocked=counts.get("blocked", 0),
                unknown=counts.get("unknown", 0),
                skipped=row.skipped,
            )
        await self._outbox.add(
            [
                NewMessage(
                    channel=author.channel,
                    address=author.address or author.external_id,
                    dedup_key=f"bcdone:{row.id}",
                    kind="status",
                    body=reply_to_body(Reply(text)),
                    user_id=author.id,
                )
            ]
        )


def may_cancel(staff: StaffIdentity | None, row: Broadcast) -> bool:
    """Whether the member may cancel this broadcast while it is under way: staff who change
    things, their area's announcements; the timeline's reminders, admins only."""
    if row.status not in ("scheduled", "sending"):
        return False
    if staff is None:
        return True
    return staff.may_change and (row.kind != "reminder" or staff.role is Role.ADMIN)


def _checked_texts(
    staff: StaffIdentity | None, text_vi: str, text_en: str | None
) -> tuple[str, str | None]:
    """The texts, trimmed; `BroadcastRefused` for a viewer, an empty or a too long text."""
    if staff is not None and not staff.may_change:
        raise BroadcastRefused(Refused.NOT_ALLOWED)
    text_vi, text_en = text_vi.strip(), (text_en or "").strip() or None
    if not text_vi:
        raise BroadcastRefused(Refused.EMPTY_TEXT)
    if len(text_vi) > TEXT_MAX or len(text_en or "") > TEXT_MAX:
        raise BroadcastRefused(Refused.TOO_LONG)
    return text_vi, text_en

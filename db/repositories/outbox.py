"""The outbox: every message the bot sends, written before it is sent, sent once.

Replies and status messages are claimed per address, strictly in order (`claim_heads`);
broadcast rows (one per broadcast and recipient) in batches of many addresses
(`claim_broadcasts`), never ahead of an older message to the same address and never while one
is in flight to it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, case, cast, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from db.models import ERASED, OutboxMessage, User, utcnow
from db.repositories.dialect import insert_for

PENDING, SENDING, SENT = "pending", "sending", "sent"
BLOCKED, FAILED, UNKNOWN = "blocked", "failed", "unknown"
CANCELLED = "cancelled"  # a cancelled broadcast's row that was still pending: never sent
FINISHED = (SENT, BLOCKED, FAILED, UNKNOWN, CANCELLED)
BROADCAST = "broadcast"  # the kind of a broadcast's row (replies: "reply", "status")
LEASE_EXPIRED = "the process sending it stopped before the outcome was known"


@dataclass(frozen=True, slots=True)
class NewMessage:
    """The columns of one message to send."""

    channel: str
    address: str
    dedup_key: str
    kind: str
    body: dict[str, Any]
    user_id: int | None = None


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message this process may now send (its row is `sending`, leased)."""

    id: int
    channel: str
    address: str
    body: dict[str, Any]
    attempts: int
    parts_sent: int
    user_id: int | None
    kind: str = "reply"


# The columns a claim returns, in the order of `Claimed`'s fields.
CLAIMED_COLUMNS = (
    OutboxMessage.id,
    OutboxMessage.channel,
    OutboxMessage.address,
    OutboxMessage.body,
    OutboxMessage.attempts,
    OutboxMessage.parts_sent,
    OutboxMessage.user_id,
    OutboxMessage.kind,
)


@dataclass(frozen=True, slots=True)
class ClaimRound:
    """What one claim found: the messages now leased to this process, the addresses with
    another message queued behind the claimed one, and those to claim again at once."""

    claimed: list[Claimed]
    more: set[tuple[str, str]]
    again: set[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Outcome:
    """The outcome of one send, to record."""

    message_id: int
    status: str
    parts_sent: int
    error: str | None = None
    retry_in: float | None = None
    attempted: bool = True  # False: released unsent (the sender stopped): not an attempt


class OutboxRepository:
    """Reads and writes `outbox` rows within the caller's transaction. Times are compared in
    SQL, so both databases read them the same way."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, messages: Iterable[NewMessage]) -> int:
        """Store messages whose key is new (a second write of one message is a no-op)."""
        now = utcnow()
        rows = [
            {
                "channel": m.channel,
                "address": m.address,
                "user_id": m.user_id,
                "dedup_key": m.dedup_key,
                "kind": m.kind,
                "body": m.body,
                "status": PENDING,
                "attempts": 0,
                "parts_sent": 0,
                "not_before": now,
                "created_at": now,
            }
            for m in messages
        ]
        if not rows:
            return 0
        statement = (
            (await insert_for(self.session, OutboxMessage))
            .values(rows)
            .on_conflict_do_nothing(index_elements=["dedup_key"])
            .returning(OutboxMessage.id)
        )
        return len((await self.session.execute(statement)).scalars().all())

    async def claim_heads(self, keys: Iterable[tuple[str, str]], *, lease: timedelta) -> ClaimRound:
        """Lease the oldest unfinished message of each (channel, address), where it is due
        and nobody holds it: messages to one address go strictly in order. A head whose
        lease ran out is set `unknown` (its sender died mid-send) and its address is
        returned in `again`, for the next message to be claimed in another round. Broadcast
        rows waiting (for the morning, a cap, their batch) never hold a reply back; one in
        flight does, until its outcome is recorded.

        One SELECT and at most two UPDATEs for all the keys. The UPDATEs are guarded by the
        status they expect, so two processes never both claim a message (PostgreSQL)."""
        by_channel: dict[str, set[str]] = {}
        for channel, address in keys:
            by_channel.setdefault(channel, set()).add(address)
        if not by_channel:
            return ClaimRound([], set(), set())
        now = utcnow()
        position = (
            func.row_number()
            .over(
                partition_by=(OutboxMessage.channel, OutboxMessage.address),
                order_by=OutboxMessage.id,
            )
            .label("position")
        )
        queued = (
            select(
                OutboxMessage.id,
                OutboxMessage.channel,
                OutboxMessage.address,
                OutboxMessage.status,
                (OutboxMessage.lease_until > now).label("leased"),
                (OutboxMessage.not_before <= now).label("due"),
                position,
            )
            .where(
                or_(
                    *(
                        (OutboxMessage.channel == channel) & OutboxMessage.address.in_(addresses)
                        for channel, addresses in by_channel.items()
                    )
                ),
                or_(
                    OutboxMessage.status == SENDING,
                    (OutboxMessage.status == PENDING) & (OutboxMessage.kind != BROADCAST),
                ),
            )
            .subquery()
        )
        rows = (await self.session.execute(select(queued).where(queued.c.position <= 2))).all()
        more = {(r.channel, r.address) for r in rows if r.position == 2}
        to_claim: list[int] = []
        expired: list[int] = []
        again: set[tuple[str, str]] = set()
        for row in rows:
            if row.position != 1:
                continue
            if row.status == PENDING and row.due:
                to_claim.append(row.id)
            elif row.status == SENDING and not row.leased:
                expired.append(row.id)
                again.add((row.channel, row.address))
        if expired:
            await self.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(expired), OutboxMessage.status == SENDING)
                .values(status=UNKNOWN, last_error=LEASE_EXPIRED, finished_at=now, lease_until=None)
            )
        claimed: list[Claimed] = []
        if to_claim:
            statement = (
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(to_claim), OutboxMessage.status == PENDING)
                .values(
                    status=SENDING,
                    lease_until=now + lease,
                    attempts=OutboxMessage.attempts + 1,
                )
                .returning(*CLAIMED_COLUMNS)
            )
            found = (await self.session.execute(statement)).all()
            claimed = sorted((Claimed(*row) for row in found), key=lambda c: c.id)
        return ClaimRound(claimed, more, again)

    async def claim_broadcasts(
        self, channel: str, limit: int, *, lease: timedelta, chat_interval: float = 0.0
    ) -> list[Claimed]:
        """Lease up to `limit` due broadcast rows of one channel, each to an address with no
        message in flight, none older waiting, and (`chat_interval` > 0) none sent within
        that many seconds. The SELECT skips rows another process is claiming at this moment
        (FOR UPDATE SKIP LOCKED on PostgreSQL), and the UPDATE is guarded by the status, so a
        row is claimed once whatever runs at the same time.

        Two statements: with the SELECT as a subquery of the UPDATE, PostgreSQL may run it
        more than once, each time skipping what the last run locked, and claim more than
        `limit`. In no particular order (order per address comes from the conditions): with
        an ORDER BY, PostgreSQL sorted every pending row for each claim (50 ms at 20,000)
        whenever its statistics did not know yet that a broadcast had just been written;
        without one, the scan stops after `limit` rows with any plan."""
        if limit <= 0:
            return []
        now = utcnow()
        row = aliased(OutboxMessage, name="candidate")
        other = aliased(OutboxMessage, name="other")
        conflicts = [
            other.status == SENDING,
            (other.status == PENDING) & (other.id < row.id),
        ]
        if chat_interval > 0:
            recently = now - timedelta(seconds=chat_interval)
            conflicts.append(other.status.in_((SENT, UNKNOWN)) & (other.finished_at > recently))
        busy = (
            select(other.id)
            .where(other.channel == row.channel, other.address == row.address, or_(*conflicts))
            .exists()
        )
        chosen = (
            select(row.id)
            .where(
                row.status == PENDING,
                row.not_before <= now,
                row.channel == channel,
                row.kind == BROADCAST,
                ~busy,
            )
            .limit(limit)
            .with_for_update(skip_locked=True, of=row)
        )
        ids = list(await self.session.scalars(chosen))
        if not ids:
            return []
        statement = (
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.status == PENDING)
            .values(status=SENDING, lease_until=now + lease, attempts=OutboxMessage.attempts + 1)
            .returning(*CLAIMED_COLUMNS)
        )
        found = (await self.session.execute(statement)).all()
        return sorted((Claimed(*found_row) for found_row in found), key=lambda c: c.id)

    async def broadcast_channels_due(self, channels: Iterable[str]) -> set[str]:
        """The channels with a broadcast row due now."""
        now = utcnow()
        due: set[str] = set()
        for channel in channels:
            query = (
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.channel == channel,
                    OutboxMessage.kind == BROADCAST,
                    OutboxMessage.status == PENDING,
                    OutboxMessage.not_before <= now,
                )
                .limit(1)
            )
            if await self.session.scalar(query) is not None:
                due.add(channel)
        return due

    async def broadcasts_sent(
        self, channel: str, periods: Sequence[tuple[datetime, datetime]]
    ) -> tuple[list[int], int]:
        """For a platform's daily or monthly cap: the channel's broadcast rows sent in each
        period [start, end) (delivered, or of unknown outcome: the platform may have counted
        them), and those in flight now."""
        counted = OutboxMessage.status.in_((SENT, UNKNOWN))
        columns = [
            func.coalesce(
                func.sum(
                    case(
                        (
                            counted
                            & (OutboxMessage.finished_at >= start)
                            & (OutboxMessage.finished_at < end),
                            1,
                        ),
                        else_=0,
                    )
                ),
                0,
            )
            for start, end in periods
        ]
        in_flight = func.coalesce(func.sum(case((OutboxMessage.status == SENDING, 1), else_=0)), 0)
        earliest = min((start for start, _end in periods), default=utcnow())
        query = select(in_flight, *columns).where(
            OutboxMessage.channel == channel,
            OutboxMessage.kind == BROADCAST,
            or_(
                OutboxMessage.status == SENDING,
                counted & (OutboxMessage.finished_at >= earliest),
            ),
        )
        flying, *sent = (int(n) for n in (await self.session.execute(query)).one())
        return sent, flying

    async def record_many(self, outcomes: Iterable[Outcome]) -> None:
        """The outcomes of sends: finished (`status` in FINISHED), or back to pending with a
        time before which it is not tried again (a row released unsent does not count the
        attempt). One UPDATE per kind of outcome (a broadcast's are nearly all "sent, one
        part": one statement for the lot; an executemany cost a statement per row). A row no
        longer `sending` (its lease ran out meanwhile) is left as it is."""
        now = utcnow()
        outcomes = list(outcomes)
        groups: dict[tuple[str, int, str | None, float, bool], list[int]] = {}
        for o in outcomes:
            key = (o.status, o.parts_sent, o.error, o.retry_in or 0.0, o.attempted)
            groups.setdefault(key, []).append(o.message_id)
        for (status, parts, error, retry_in, attempted), ids in groups.items():
            await self.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.status == SENDING)
                .values(
                    status=status,
                    parts_sent=parts,
                    last_error=error,
                    finished_at=None if status == PENDING else now,
                    not_before=now + timedelta(seconds=retry_in),
                    attempts=OutboxMessage.attempts - (0 if attempted else 1),
                    lease_until=None,
                )
                .execution_options(synchronize_session=False)
            )
        finished = [o.message_id for o in outcomes if o.status != PENDING]
        if finished:
            await self._forget_erased(finished)

    async def _forget_erased(self, message_ids: list[int]) -> None:
        """A finished message to a person who erased their data (the "erased" reply itself)
        keeps neither its text nor the address it went to."""
        await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(message_ids),
                OutboxMessage.status != PENDING,
                exists().where(
                    User.id == OutboxMessage.user_id, User.external_id.like(f"{ERASED}:%")
                ),
            )
            .values(body={}, address=ERASED)
            .execution_options(synchronize_session=False)
        )

    async def due_addresses(
        self, *, channels: Iterable[str], limit: int = 500
    ) -> list[tuple[str, str]]:
        """Addresses with a reply or status message due now, or a lease run out (oldest
        first). Broadcast rows are claimed in batches (`claim_broadcasts`) instead."""
        now = utcnow()
        due = (
            (OutboxMessage.status == PENDING)
            & (OutboxMessage.not_before <= now)
            & (OutboxMessage.kind != BROADCAST)
        )
        expired = (OutboxMessage.status == SENDING) & (OutboxMessage.lease_until <= now)
        query = (
            select(OutboxMessage.channel, OutboxMessage.address, func.min(OutboxMessage.id))
            .where(OutboxMessage.channel.in_(list(channels)), due | expired)
            .group_by(OutboxMessage.channel, OutboxMessage.address)
            .order_by(func.min(OutboxMessage.id))
            .limit(limit)
        )
        return [(channel, address) for channel, address, _ in await self.session.execute(query)]

    async def take_pending(
        self, *, channel: str, address: str, broadcasts: bool = True
    ) -> list[dict[str, Any]]:
        """The pending messages of one address, oldest first, marked sent: for a channel
        that delivers them itself, in its own process (the console shows them on screen).
        `broadcasts=False` leaves broadcast rows waiting (quiet hours)."""
        kinds = [] if broadcasts else [OutboxMessage.kind != BROADCAST]
        rows = list(
            await self.session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.channel == channel,
                    OutboxMessage.address == address,
                    OutboxMessage.status == PENDING,
                    *kinds,
                )
                .order_by(OutboxMessage.id)
                .with_for_update()
            )
        )
        now = utcnow()
        for row in rows:
            row.status, row.finished_at, row.attempts = SENT, now, row.attempts + 1
        return [dict(row.body) for row in rows]

    async def listed(
        self, *, status: str | None = None, kind: str | None = None, limit: int = 50
    ) -> list[OutboxMessage]:
        """The newest messages first, of one status and kind if given."""
        query = select(OutboxMessage)
        if status:
            query = query.where(OutboxMessage.status == status)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        rows = await self.session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit))
        return list(rows)

    async def status_of(self, dedup_key: str) -> str | None:
        """The status of the message with this key (None: never written, or pruned)."""
        return await self.session.scalar(
            select(OutboxMessage.status).where(OutboxMessage.dedup_key == dedup_key)
        )

    async def counts(self) -> dict[str, int]:
        """Messages by status."""
        query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        return {status: int(n) for status, n in await self.session.execute(query)}

    async def unfinished_count(self) -> int:
        """Messages pending or being sent."""
        query = (
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status.in_((PENDING, SENDING)))
        )
        return int(await self.session.scalar(query) or 0)

    async def prune(self, *, finished_before: datetime) -> int:
        """Delete replies finished (sent, given up…) before `finished_before`; how many.
        Broadcast and status messages stay (their keys keep "once" true, their outcomes the
        counts and a platform's monthly cap); their texts go (`drop_bodies`)."""
        statement = delete(OutboxMessage).where(
            OutboxMessage.kind == "reply",
            OutboxMessage.status.in_(FINISHED),
            OutboxMessage.finished_at < finished_before,
        )
        return (await self.session.execute(statement)).rowcount or 0

    async def drop_bodies(self, *, finished_before: datetime) -> int:
        """Empty the text of broadcast and status messages finished before
        `finished_before` (their outcome is kept); how many."""
        statement = (
            update(OutboxMessage)
            .where(
                OutboxMessage.kind != "reply",
                OutboxMessage.status.in_(FINISHED),
                OutboxMessage.finished_at < finished_before,
                cast(OutboxMessage.body, String) != "{}",  # json has no "=" on PostgreSQL
            )
            .values(body={})
        )
        return (await self.session.execute(statement)).rowcount or 0

    async def mark_address_unreachable(self, *, channel: str, address: str) -> None:
        """Nothing more to an address that blocked the bot: its pending messages are set
        `blocked` (they would only be refused)."""
        await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.address == address,
                OutboxMessage.status == PENDING,
            )
            .values(status=BLOCKED, finished_at=utcnow(), last_error="blocked by the user")
        )

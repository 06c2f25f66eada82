"""The outbox: every message the bot sends, written before it is sent, sent once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ERASED, OutboxMessage, User, utcnow
from db.repositories.dialect import insert_for

PENDING, SENDING, SENT = "pending", "sending", "sent"
BLOCKED, FAILED, UNKNOWN = "blocked", "failed", "unknown"
FINISHED = (SENT, BLOCKED, FAILED, UNKNOWN)
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
        returned in `again`, for the next message to be claimed in another round.

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
                OutboxMessage.status.in_((PENDING, SENDING)),
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
                .returning(
                    OutboxMessage.id,
                    OutboxMessage.channel,
                    OutboxMessage.address,
                    OutboxMessage.body,
                    OutboxMessage.attempts,
                    OutboxMessage.parts_sent,
                    OutboxMessage.user_id,
                )
            )
            found = (await self.session.execute(statement)).all()
            claimed = sorted((Claimed(*row) for row in found), key=lambda c: c.id)
        return ClaimRound(claimed, more, again)

    async def record_many(self, outcomes: Iterable[Outcome]) -> None:
        """The outcomes of sends, in one executemany: finished (`status` in FINISHED), or
        back to pending with a time before which it is not tried again. A row no longer
        `sending` (its lease ran out meanwhile) is left as it is."""
        now = utcnow()
        outcomes = list(outcomes)
        params = [
            {
                "b_id": o.message_id,
                "b_status": o.status,
                "b_parts": o.parts_sent,
                "b_error": o.error,
                "b_finished": None if o.status == PENDING else now,
                "b_not_before": now + timedelta(seconds=o.retry_in or 0),
            }
            for o in outcomes
        ]
        if not params:
            return
        statement = (
            update(OutboxMessage)
            .where(OutboxMessage.id == bindparam("b_id"), OutboxMessage.status == SENDING)
            .values(
                status=bindparam("b_status"),
                parts_sent=bindparam("b_parts"),
                last_error=bindparam("b_error"),
                finished_at=bindparam("b_finished"),
                not_before=bindparam("b_not_before"),
                lease_until=None,
            )
        )
        connection = await self.session.connection()
        await connection.execute(statement, params)
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
        """Addresses with a message due now or a lease run out (oldest first)."""
        now = utcnow()
        due = (OutboxMessage.status == PENDING) & (OutboxMessage.not_before <= now)
        expired = (OutboxMessage.status == SENDING) & (OutboxMessage.lease_until <= now)
        query = (
            select(OutboxMessage.channel, OutboxMessage.address, func.min(OutboxMessage.id))
            .where(OutboxMessage.channel.in_(list(channels)), due | expired)
            .group_by(OutboxMessage.channel, OutboxMessage.address)
            .order_by(func.min(OutboxMessage.id))
            .limit(limit)
        )
        return [(channel, address) for channel, address, _ in await self.session.execute(query)]

    async def take_pending(self, *, channel: str, address: str) -> list[dict[str, Any]]:
        """The pending messages of one address, oldest first, marked sent: for a channel
        that delivers them itself, in its own process (the console shows them on screen)."""
        rows = list(
            await self.session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.channel == channel,
                    OutboxMessage.address == address,
                    OutboxMessage.status == PENDING,
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
        """Delete messages sent (or given up) before `finished_before`; how many."""
        statement = delete(OutboxMessage).where(
            OutboxMessage.status.in_(FINISHED), OutboxMessage.finished_at < finished_before
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

"""The outbox: every message the bot sends, written before it is sent, sent once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import OutboxMessage, utcnow
from db.repositories.dialect import dialect_name, insert_for

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

    async def claim_head(self, *, channel: str, address: str, lease: timedelta) -> Claimed | None:
        """Lease the oldest unfinished message to this address, if it is due and nobody else
        holds it; messages to one address go strictly in order. A message whose lease ran
        out is set `unknown` first (its sender died mid-send)."""
        now = utcnow()
        postgres = await dialect_name(self.session) == "postgresql"
        while True:
            query = (
                select(
                    OutboxMessage,
                    (OutboxMessage.lease_until > now).label("leased"),
                    (OutboxMessage.not_before <= now).label("due"),
                )
                .where(
                    OutboxMessage.channel == channel,
                    OutboxMessage.address == address,
                    OutboxMessage.status.in_((PENDING, SENDING)),
                )
                .order_by(OutboxMessage.id)
                .limit(1)
            )
            if postgres:
                query = query.with_for_update(of=OutboxMessage)
            found = (await self.session.execute(query)).first()
            if found is None:
                return None
            row, leased, due = found
            if row.status == SENDING:
                if leased:
                    return None
                self._finish(row, UNKNOWN, LEASE_EXPIRED, now)
                continue
            if not due:
                return None
            row.status, row.lease_until = SENDING, now + lease
            row.attempts += 1
            return Claimed(
                row.id,
                row.channel,
                row.address,
                row.body,
                row.attempts,
                row.parts_sent,
                row.user_id,
            )

    async def record(
        self,
        message_id: int,
        *,
        status: str,
        parts_sent: int,
        error: str | None = None,
        retry_in: float | None = None,
    ) -> None:
        """The outcome of a send: finished (`status` in FINISHED), or back to pending with a
        time before which it is not tried again."""
        row = await self.session.get(OutboxMessage, message_id, with_for_update=True)
        if row is None or row.status != SENDING:
            return
        row.parts_sent, row.lease_until = parts_sent, None
        now = utcnow()
        if status == PENDING:
            row.status, row.last_error = PENDING, error
            row.not_before = now + timedelta(seconds=retry_in or 0)
        else:
            self._finish(row, status, error, now)

    @staticmethod
    def _finish(row: OutboxMessage, status: str, error: str | None, now: datetime) -> None:
        row.status, row.last_error, row.finished_at, row.lease_until = status, error, now, None

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

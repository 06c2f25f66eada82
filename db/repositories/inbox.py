"""The durable inbox: platform updates stored before they are acknowledged, handled once."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from db.models import InboxUpdate, utcnow
from db.repositories.dialect import dialect_name, insert_for

PENDING, DONE, FAILED, REJECTED = "pending", "done", "failed", "rejected"


@dataclass(frozen=True, slots=True)
class NewUpdate:
    """The columns of one update to store."""

    channel: str
    update_id: str
    conversation: str
    address: str
    kind: str
    body: dict[str, Any]
    status: str = PENDING


@functools.cache
def _claim_statement(postgres: bool, limit: int) -> Select[tuple[InboxUpdate]]:
    """The claim query, built once per database kind and limit: building it (an alias and a
    correlated subquery) cost more than running it."""
    earlier = aliased(InboxUpdate)
    older_pending = exists().where(
        earlier.channel == InboxUpdate.channel,
        earlier.conversation == InboxUpdate.conversation,
        earlier.status == PENDING,
        earlier.id < InboxUpdate.id,
    )
    query = (
        select(InboxUpdate)
        .where(InboxUpdate.status == PENDING, ~older_pending)
        .order_by(InboxUpdate.id)
        .limit(limit)
    )
    if postgres:
        query = query.with_for_update(skip_locked=True, of=InboxUpdate)
    return query


class InboxRepository:
    """Reads and writes `inbox` rows within the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, updates: Iterable[NewUpdate]) -> int:
        """Store updates not stored yet (a redelivery is a no-op); how many were new."""
        now = utcnow()
        rows = [
            {
                "channel": u.channel,
                "update_id": u.update_id,
                "conversation": u.conversation,
                "address": u.address,
                "kind": u.kind,
                "body": u.body,
                "status": u.status,
                "received_at": now,
                "handled_at": None if u.status == PENDING else now,
            }
            for u in updates
        ]
        if not rows:
            return 0
        statement = (
            (await insert_for(self.session, InboxUpdate))
            .values(rows)
            .on_conflict_do_nothing(index_elements=["channel", "update_id"])
            .returning(InboxUpdate.id)
        )
        return len((await self.session.execute(statement)).scalars().all())

    async def claim_next(self, limit: int = 1) -> list[InboxUpdate]:
        """Up to `limit` pending updates, oldest first, each the oldest pending one of its
        conversation (so no two share a conversation), locked for this transaction: other
        workers skip them (PostgreSQL) or wait (SQLite's one writer)."""
        postgres = await dialect_name(self.session) == "postgresql"
        return list(await self.session.scalars(_claim_statement(postgres, limit)))

    async def finish(self, *, done: Iterable[int] = (), failed: Iterable[int] = ()) -> None:
        """Mark pending updates handled: `done`, or `failed` (their turn failed and the
        person got an apology, or they were set aside). Written at once."""
        now = utcnow()
        for status, ids in ((DONE, list(done)), (FAILED, list(failed))):
            if ids:
                await self.session.execute(
                    update(InboxUpdate)
                    .where(InboxUpdate.id.in_(ids), InboxUpdate.status == PENDING)
                    .values(status=status, handled_at=now)
                    .execution_options(synchronize_session=False)
                )

    async def mark_failed(self, update_id: int) -> None:
        """Set a pending update aside as failed (its turn could not be committed)."""
        await self.finish(failed=[update_id])

    async def pending_count(self) -> int:
        """Updates stored and not handled yet."""
        query = select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status == PENDING)
        return int(await self.session.scalar(query) or 0)

    async def prune(self, *, handled_before: datetime) -> int:
        """Delete handled updates older than `handled_before`; how many."""
        statement = delete(InboxUpdate).where(
            InboxUpdate.status != PENDING, InboxUpdate.handled_at < handled_before
        )
        return (await self.session.execute(statement)).rowcount or 0

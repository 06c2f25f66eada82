"""Housekeeping: handled inbox rows and finished outbox rows are deleted after a while."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import utcnow
from db.repositories.inbox import InboxRepository
from db.repositories.outbox import OutboxRepository


async def prune_handled(
    sessionmaker: async_sessionmaker[AsyncSession], *, older_than: timedelta
) -> dict[str, int]:
    """Delete updates handled and messages finished more than `older_than` ago; how many."""
    before = utcnow() - older_than
    async with sessionmaker() as session, session.begin():
        inbox = await InboxRepository(session).prune(handled_before=before)
        outbox = await OutboxRepository(session).prune(finished_before=before)
    return {"inbox": inbox, "outbox": outbox}

"""Housekeeping: handled inbox rows and finished outbox rows are deleted after a while, and
export files made in the chat after a day (they hold personal data and are sent at once)."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import utcnow
from db.repositories.inbox import InboxRepository
from db.repositories.outbox import OutboxRepository


async def prune_handled(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    older_than: timedelta,
    bodies_older_than: timedelta = timedelta(days=30),
) -> dict[str, int]:
    """Delete updates handled and replies finished more than `older_than` ago, and empty the
    text of broadcast and status messages finished more than `bodies_older_than` ago (their
    outcomes stay, for the counts); how many of each."""
    now = utcnow()
    async with sessionmaker() as session, session.begin():
        inbox = await InboxRepository(session).prune(handled_before=now - older_than)
        outbox = OutboxRepository(session)
        replies = await outbox.prune(finished_before=now - older_than)
        bodies = await outbox.drop_bodies(finished_before=now - bodies_older_than)
    return {"inbox": inbox, "outbox": replies, "bodies": bodies}


EXPORTS_KEPT = timedelta(days=1)


def prune_exports(folder: Path, *, older_than: timedelta = EXPORTS_KEPT) -> int:
    """Delete the files of `folder` (EXPORT_DIR) last written more than `older_than` ago."""
    if not folder.is_dir():
        return 0
    cutoff = time.time() - older_than.total_seconds()
    deleted = 0
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted

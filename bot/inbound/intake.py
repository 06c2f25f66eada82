"""Storing updates: a channel hands what it read here and acknowledges only after this returns."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import Parsed, Rejected
from bot.core.messages import InboundUpdate
from bot.core.text import clean_name
from db.repositories.inbox import REJECTED, InboxRepository, NewUpdate

log = logging.getLogger(__name__)

OnStored = Callable[[str, int], None]


class Intake:
    """Commits updates to the inbox (a redelivered one is stored once), wakes the workers,
    and says when the backlog is full, so channels stop taking more (polling pauses,
    webhooks answer 503 and the platform retries later)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        max_pending: int,
        max_text_chars: int,
        on_stored: OnStored = lambda channel, count: None,
        count_ttl_seconds: float = 1.0,
        write_slot: contextlib.AbstractAsyncContextManager[object] | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._max_pending = max_pending
        self._max_text_chars = max_text_chars
        self._on_stored = on_stored
        self._count_ttl = count_ttl_seconds
        self._pending = 0
        self._counted_at = float("-inf")
        self.wakeup = asyncio.Event()
        # On SQLite (one writer) the turns' slot: writers queue in order in the event loop
        # instead of in SQLite's busy handler, where a poller storing batch after batch could
        # keep a turn waiting.
        self._write_slot = write_slot

    async def store(self, items: Iterable[Parsed]) -> int:
        """Store what the channel read in one transaction; how many updates were new.
        Updates it could not read are logged and kept as `rejected` (never handled)."""
        rows = [row for row in map(self._row, items) if row is not None]
        if not rows:
            return 0
        async with (
            self._write_slot or contextlib.nullcontext(),
            self._sessionmaker() as session,
            session.begin(),
        ):
            new = await InboxRepository(session).add(rows)
        if new:
            self._pending += new
            self._on_stored(rows[0].channel, new)
            self.wakeup.set()
        return new

    def _row(self, item: Parsed) -> NewUpdate | None:
        if item is None:
            return None
        if isinstance(item, Rejected):
            log.warning(
                "Set aside a malformed %s update %s: %s", item.channel, item.update_id, item.reason
            )
            return NewUpdate(
                channel=item.channel,
                update_id=item.update_id,
                conversation="",
                address="",
                kind=REJECTED,
                body={"reason": item.reason[:500]},
                status=REJECTED,
            )
        return self._update_row(item)

    def _update_row(self, update: InboundUpdate) -> NewUpdate:
        body = update.body()
        body["text"] = update.text[: self._max_text_chars]
        body["display_name"] = clean_name(update.display_name)
        return NewUpdate(
            channel=update.channel,
            update_id=update.update_id,
            conversation=update.conversation,
            address=update.address,
            kind=update.kind,
            body=body,
        )

    async def pending(self) -> int:
        """Stored updates not handled yet (counted at most once per `count_ttl_seconds`)."""
        now = time.monotonic()
        if now - self._counted_at >= self._count_ttl:
            async with self._sessionmaker() as session:
                self._pending = await InboxRepository(session).pending_count()
            self._counted_at = now
        return self._pending

    async def backlog_full(self) -> bool:
        """True when the stored-but-unhandled updates reached the limit."""
        return await self.pending() >= self._max_pending

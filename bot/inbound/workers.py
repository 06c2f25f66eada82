"""Inbox workers: take stored updates one turn at a time until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable

from bot.core.runner import TURN_BATCH, HandledUpdate, TurnRunner, UpdateNotHandled
from bot.inbound.intake import Intake

log = logging.getLogger(__name__)

GIVE_UP_AFTER = 3  # attempts at a stored update whose turn cannot be committed


class InboxWorkers:
    """`count` loops calling `TurnRunner.handle_batch`; each handled update is passed to
    `on_handled` (which wakes the sender). A turn in progress is finished when `stop` is
    set; what is still stored waits for the next start."""

    def __init__(
        self,
        runner: TurnRunner,
        intake: Intake,
        *,
        count: int,
        on_handled: Callable[[HandledUpdate], None],
        idle_seconds: float = 1.0,
        batch: int = TURN_BATCH,
    ) -> None:
        self._runner = runner
        self._intake = intake
        self._count = count
        self._on_handled = on_handled
        self._idle = idle_seconds
        self._batch = batch
        self._failures: Counter[int] = Counter()
        self._one_at_a_time = False

    async def run(self, stop: asyncio.Event) -> None:
        """Run the loops until `stop` is set and each has finished its turn."""
        await asyncio.gather(*(self._loop(stop) for _ in range(self._count)))

    async def _loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._intake.wakeup.clear()
            handled = await self._take_some()
            for update in handled:
                self._on_handled(update)
            if handled:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._until(stop), self._idle)

    async def _until(self, stop: asyncio.Event) -> None:
        """Wait for a new update or for the stop."""
        waits = [
            asyncio.ensure_future(self._intake.wakeup.wait()),
            asyncio.ensure_future(stop.wait()),
        ]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    async def _take_some(self) -> list[HandledUpdate]:
        """A batch of stored updates, answered. After a batch that could not be committed,
        one update at a time, so that only the update at fault is counted (and, after
        GIVE_UP_AFTER attempts, set aside)."""
        limit = 1 if self._one_at_a_time else self._batch
        try:
            handled = await self._runner.handle_batch(limit)
            self._one_at_a_time = False
            return handled
        except UpdateNotHandled as error:
            ids = error.inbox_ids
            log.exception("Inbox updates %s could not be handled", ids)
            self._one_at_a_time = True
            if len(ids) == 1:
                self._failures[ids[0]] += 1
                if self._failures[ids[0]] >= GIVE_UP_AFTER:
                    await self._give_up(ids[0])
        except Exception:
            log.exception("Inbox worker could not take an update; trying again")
        await asyncio.sleep(self._idle)
        return []

    async def _give_up(self, inbox_id: int) -> None:
        try:
            await self._runner.give_up(inbox_id)
            log.error("Inbox update %s set aside after %s attempts", inbox_id, GIVE_UP_AFTER)
            del self._failures[inbox_id]
        except Exception:
            log.exception("Could not set aside inbox update %s", inbox_id)

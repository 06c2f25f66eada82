"""The inbox workers' handling of batches that cannot be committed: the batch is taken
apart, one update at a time, so that only the update at fault is counted and set aside."""

from __future__ import annotations

import asyncio

from bot.core.runner import HandledUpdate, UpdateNotHandled
from bot.inbound.workers import GIVE_UP_AFTER, InboxWorkers


class StoredUpdates:
    """A runner stand-in: pending ids in order; `bad` cannot be committed, in any batch."""

    def __init__(self, ids: list[int], bad: int) -> None:
        self.pending, self.bad = list(ids), bad
        self.limits: list[int] = []
        self.set_aside: list[int] = []

    async def handle_batch(self, limit: int) -> list[HandledUpdate]:
        self.limits.append(limit)
        batch = self.pending[:limit]
        if self.bad in batch:
            raise UpdateNotHandled(tuple(batch))
        del self.pending[:limit]
        return [HandledUpdate("zalo", str(i), 1, 0.0, 0.0, False) for i in batch]

    async def give_up(self, inbox_id: int) -> None:
        self.set_aside.append(inbox_id)
        self.pending.remove(inbox_id)


class NoIntake:
    wakeup = asyncio.Event()


async def test_a_batch_that_cannot_be_committed_is_retried_one_update_at_a_time():
    runner = StoredUpdates([1, 2, 3, 4, 5, 6], bad=1)
    handled: list[str] = []
    workers = InboxWorkers(
        runner,  # type: ignore[arg-type]
        NoIntake(),  # type: ignore[arg-type]
        count=1,
        on_handled=lambda update: handled.append(update.address),
        idle_seconds=0.01,
        batch=4,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(workers.run(stop))
    for _ in range(200):
        if not runner.pending:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await task
    assert runner.set_aside == [1]  # only the update at fault, after GIVE_UP_AFTER tries
    assert handled == ["2", "3", "4", "5", "6"]
    assert runner.limits[: GIVE_UP_AFTER + 1] == [4] + [1] * GIVE_UP_AFTER
    assert 4 in runner.limits[GIVE_UP_AFTER + 1 :]  # back to batches once it went through

"""The send rate of each bot token, shared by every process that sends with it.

One `rate_buckets` row per channel holds `next_at`, a virtual clock: the moment the next send
may start (GCRA, the generic cell rate algorithm, without a burst allowance). A sender locks
the rows of the channels it is about to claim for (first in its transaction, in the order of
their names, so two processes never wait for each other crosswise), reads how many slots
start within its horizon, claims that many messages at most, and moves the clock forward by
one interval per message claimed, in one UPDATE before it commits. Slots handed out are at
least one interval apart whichever process got them, so the rate holds for the token, not
per process. PostgreSQL locks the row (SELECT … FOR UPDATE); SQLite's BEGIN IMMEDIATE
already serialises every writer, so the same code serves both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import RateBucket
from db.repositories.dialect import insert_for

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class Slots:
    """The free slots of one channel's clock within a horizon, taken one by one. Times are
    Unix seconds (`time.time()`), the same in every process of the machine."""

    next_at: float  # the clock as read (or as moved by the slots taken so far)
    interval: float  # seconds between two sends: 1 / rate
    now: float
    until: float  # slots starting after this are not handed out in this round
    held: int = 0  # slots promised to messages claimed, to be taken once all are claimed
    taken: int = 0

    def free(self, until: float | None = None) -> int:
        """How many slots start before `until` (default: the horizon), not held."""
        limit = self.until if until is None else min(until, self.until)
        start = max(self.next_at, self.now)
        if start > limit:
            return 0
        return max(0, int((limit - start) / self.interval) + 1 - self.held)

    def take(self) -> float:
        """The next slot's start (it is then taken; a held one first)."""
        start = max(self.next_at, self.now)
        self.next_at = start + self.interval
        self.held = max(0, self.held - 1)
        self.taken += 1
        return start


class RateRepository:
    """Reads and moves the `rate_buckets` clocks within the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock(self, channels: Iterable[str]) -> dict[str, float]:
        """Lock the clocks of these channels (created at first use) until the transaction
        ends; each clock as Unix seconds."""
        names = sorted(set(channels))
        if not names:
            return {}
        found = await self._read(names)
        missing = [name for name in names if name not in found]
        if missing:
            statement = (
                (await insert_for(self.session, RateBucket))
                .values([{"channel": name, "next_at": EPOCH} for name in missing])
                .on_conflict_do_nothing(index_elements=["channel"])
            )
            await self.session.execute(statement)
            found = await self._read(names)
        return found

    async def move(self, channel: str, next_at: float) -> None:
        """Set the channel's clock (locked by `lock` in this transaction)."""
        await self.session.execute(
            update(RateBucket)
            .where(RateBucket.channel == channel)
            .values(next_at=datetime.fromtimestamp(next_at, UTC))
        )

    async def _read(self, names: list[str]) -> dict[str, float]:
        query = (
            select(RateBucket.channel, RateBucket.next_at)
            .where(RateBucket.channel.in_(names))
            .order_by(RateBucket.channel)
            .with_for_update()
        )
        rows = await self.session.execute(query)
        return {channel: _seconds(next_at) for channel, next_at in rows}


def _seconds(moment: datetime) -> float:
    """Unix seconds of a stored time (SQLite gives it back without its zone: UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()

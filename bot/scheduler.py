"""The scheduling role of `bot run`: APScheduler decides *when* to look, the database holds
what is due.

APScheduler's own FAQ warns that two schedulers sharing a job store can run a job twice or
miss it, so no job is stored there: one interval job ("tick") runs in every process, and
only the process holding the scheduling role acts on it. On PostgreSQL the role is a
session-level advisory lock held on a connection of its own (a process that dies loses it,
and another takes it at its next tick); SQLite runs one process, which always holds it.

A tick, in one transaction: plan the milestone reminders (idempotent), start the broadcasts
that are due (their recipients become outbox rows, unique per broadcast and person), finish
those with nothing left to send. Every step only creates or changes rows whose uniqueness
and status make a second run harmless.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from bot.content.loader import Content
from bot.services.broadcasts import BroadcastService
from bot.services.places import Places
from bot.services.reminders import ReminderPlanner
from db.models import utcnow
from db.repositories.broadcasts import BroadcastRepository

log = logging.getLogger(__name__)

# pg_advisory_lock key of the scheduling role ("2G sunset scheduler").
LEADER_KEY = 0x2635_5C4E


class LeaderLock:
    """Whether this process holds the scheduling role (see the module's docstring)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None

    async def held(self) -> bool:
        """True while this process holds the role; tries to take it when it does not."""
        if self._engine.dialect.name != "postgresql":
            return True
        if self._connection is not None:
            try:
                await self._connection.execute(text("SELECT 1"))
                return True
            except Exception:  # the connection died: so did the lock
                log.warning("Scheduler: lost the connection holding the scheduling role")
                await self.release()
        connection = await self._engine.connect()
        try:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            got = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_KEY}
            )
        except Exception:
            await connection.close()
            raise
        if not got:
            await connection.close()
            return False
        self._connection = connection
        log.info("Scheduler: this process holds the scheduling role")
        return True

    async def release(self) -> None:
        """Give the role up. The lock is unlocked by name: closing a pooled connection only
        returns it to the pool, where a session-level lock would live on."""
        if self._connection is None:
            return
        connection, self._connection = self._connection, None
        try:
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LEADER_KEY})
            await connection.close()
        except Exception:  # the connection is gone or broken: never pool it again
            log.info("Scheduler: the role's connection was already gone")
            await connection.invalidate()


class Scheduler:
    """Runs the tick every `every` seconds while `run` lasts."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
        content: Content,
        places: Places,
        offsets: tuple[int, ...],
        send_time: time,
        timezone: str,
        every: float,
        today: Callable[[], date],
        on_started: Callable[[str], None] = lambda _channel: None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._content = content
        self._places = places
        self._offsets = offsets
        self._send_time = send_time
        self._zone = ZoneInfo(timezone)
        self._every = every
        self._today = today
        self._on_started = on_started
        self.leader = LeaderLock(engine)

    async def tick(self, now: datetime | None = None) -> dict[str, int]:
        """One look at what is due, if this process holds the role; what it did."""
        if not await self.leader.held():
            return {}
        moment = now or utcnow()
        async with self._sessionmaker() as session, session.begin():
            repository = BroadcastRepository(session)
            planner = ReminderPlanner(
                repository,
                self._content,
                offsets=self._offsets,
                send_time=self._send_time,
                zone=self._zone,
            )
            plan = await planner.plan(self._today(), moment)
            broadcasts = BroadcastService(session, content=self._content, places=self._places)
            started = await broadcasts.start_due(moment, self._today())
            finished = await broadcasts.finish_done(moment)
        if started:  # committed: the sender may claim their rows now
            for channel in ("telegram", "zalo"):
                self._on_started(channel)
        done = {
            "reminders_made": plan.made,
            "reminders_moved": plan.moved,
            "reminders_cancelled": plan.cancelled,
            "started": len(started),
            "finished": len(finished),
        }
        if any(done.values()):
            log.info("Scheduler: %s", done)
        return done

    async def run(self, stop: asyncio.Event) -> None:
        """Tick every `every` seconds (APScheduler: one instance at a time, missed runs
        coalesced) until `stop`; then give the role up."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        scheduler = AsyncIOScheduler(timezone=self._zone)
        scheduler.add_job(
            self._safe_tick,
            "interval",
            seconds=self._every,
            next_run_time=datetime.now(self._zone),
            max_instances=1,
            coalesce=True,
            id="tick",
        )
        scheduler.start()
        try:
            await stop.wait()
        finally:
            scheduler.shutdown(wait=False)
            await self.leader.release()

    async def _safe_tick(self) -> None:
        try:
            await self.tick()
        except Exception:
            log.exception("Scheduler tick failed; trying again at the next one")

"""The sender: outbox rows to the platforms, in order per address, within rate limits.

A message is claimed (leased, `sending`) in one transaction, sent through its channel's
`ReplySender.send`, and its typed outcome recorded in the next. A process that dies between
the two leaves the row `sending`; when its lease runs out it becomes `unknown` and is never
resent (the platform may have delivered it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import ReplySender, SendOutcome
from bot.core.messages import reply_from_body
from db.repositories.outbox import (
    BLOCKED,
    FAILED,
    PENDING,
    SENT,
    UNKNOWN,
    Claimed,
    OutboxRepository,
)
from db.repositories.users import UserRepository

log = logging.getLogger(__name__)

OnOutcome = Callable[[str, SendOutcome], None]
STATUS_OF = {"delivered": SENT, "blocked": BLOCKED, "failed": FAILED, "unknown": UNKNOWN}


@dataclass(frozen=True, slots=True)
class SenderConfig:
    """Knobs of the sender that come from settings."""

    lease_seconds: float = 30.0
    max_attempts: int = 5
    backoff_seconds: float = 1.0  # doubled after each retry, at most `max_backoff_seconds`
    max_backoff_seconds: float = 300.0
    poll_seconds: float = 1.0  # how often the outbox is read for due messages
    max_concurrent_sends: int = 50


class RateLimit:
    """At most `per_second` sends, spaced evenly."""

    def __init__(self, per_second: float) -> None:
        self._interval = 1.0 / per_second
        self._next = 0.0

    async def wait(self) -> None:
        """Until this caller's slot."""
        now = asyncio.get_running_loop().time()
        slot = max(now, self._next)
        self._next = slot + self._interval
        if slot > now:
            await asyncio.sleep(slot - now)


class OutboxSender:
    """One task per address with messages due; each sends that address's messages in
    order, one at a time. `wake` is called after a transaction wrote messages; `run` also
    reads the outbox every `poll_seconds` (messages written by other processes, retries
    that came due, leases that ran out)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        channels: Mapping[str, ReplySender],
        *,
        config: SenderConfig,
        rates: Mapping[str, float],
        on_outcome: OnOutcome = lambda channel, outcome: None,
        write_slot: asyncio.Semaphore | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._channels = dict(channels)
        self._config = config
        self._rates = {name: RateLimit(rates.get(name, 20.0)) for name in self._channels}
        self._on_outcome = on_outcome
        self._lease = timedelta(seconds=config.lease_seconds)
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._again: set[tuple[str, str]] = set()
        self._slots = asyncio.Semaphore(config.max_concurrent_sends)
        self._stopping = False
        self._write_slot = write_slot  # on SQLite, the turns' slot (see Intake)

    def wake(self, channel: str, address: str) -> None:
        """Send what is due to this address (now, or after the send in progress)."""
        if channel not in self._channels or self._stopping:
            return
        key = (channel, address)
        self._again.add(key)
        if key not in self._tasks:
            task = asyncio.create_task(self._serve(key), name=f"send:{channel}")
            self._tasks[key] = task

    async def run(self, stop: asyncio.Event) -> None:
        """Read the outbox for due messages until `stop` is set."""
        while not stop.is_set():
            try:
                async with self._sessionmaker() as session:
                    due = await OutboxRepository(session).due_addresses(channels=self._channels)
                for channel, address in due:
                    self.wake(channel, address)
            except Exception:
                log.exception("Sender: could not read the outbox; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._config.poll_seconds)

    async def drain(self, timeout: float) -> None:
        """Stop claiming; wait up to `timeout` s for sends in progress, then cancel them
        (a cancelled send stays `sending` and becomes `unknown`: it is not resent)."""
        self._stopping = True
        tasks = list(self._tasks.values())
        if not tasks:
            return
        _done, late = await asyncio.wait(tasks, timeout=timeout)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    @property
    def busy(self) -> int:
        """Addresses being served now."""
        return len(self._tasks)

    async def _serve(self, key: tuple[str, str]) -> None:
        channel, address = key
        try:
            while not self._stopping:
                self._again.discard(key)
                async with self._slots:
                    await self._rates[channel].wait()
                    claimed = await self._claim(channel, address)
                    if claimed is None:
                        if key in self._again:
                            continue
                        return
                    outcome = await self._send(claimed)
                self._on_outcome(channel, outcome)
                await self._record(claimed, outcome)
        except Exception:
            log.exception("Sender: sending to a %s address failed", channel)
        finally:
            self._tasks.pop(key, None)

    def _writing(self) -> contextlib.AbstractAsyncContextManager[object]:
        return self._write_slot or contextlib.nullcontext()

    async def _claim(self, channel: str, address: str) -> Claimed | None:
        async with self._writing(), self._sessionmaker() as session, session.begin():
            return await OutboxRepository(session).claim_head(
                channel=channel, address=address, lease=self._lease
            )

    async def _send(self, claimed: Claimed) -> SendOutcome:
        """The channel's outcome; a channel that raises is an unknown outcome (its request
        may have left)."""
        try:
            reply = reply_from_body(claimed.body)
            return await self._channels[claimed.channel].send(
                claimed.address, reply, skip_parts=claimed.parts_sent
            )
        except Exception as error:
            log.exception("Sender: the %s channel raised", claimed.channel)
            return SendOutcome("unknown", claimed.parts_sent, detail=type(error).__name__)

    async def _record(self, claimed: Claimed, outcome: SendOutcome) -> None:
        async with self._writing(), self._sessionmaker() as session, session.begin():
            outbox = OutboxRepository(session)
            if outcome.kind != "retry":
                await outbox.record(
                    claimed.id,
                    status=STATUS_OF[outcome.kind],
                    parts_sent=outcome.parts_delivered,
                    error=outcome.detail or None,
                )
                if outcome.kind == "blocked":
                    await self._unreachable(session, claimed)
                return
            if claimed.attempts >= self._config.max_attempts:
                detail = f"gave up after {claimed.attempts} attempts: {outcome.detail}"
                await outbox.record(
                    claimed.id, status=FAILED, parts_sent=outcome.parts_delivered, error=detail
                )
                return
            await outbox.record(
                claimed.id,
                status=PENDING,
                parts_sent=outcome.parts_delivered,
                error=outcome.detail or None,
                retry_in=outcome.retry_after or self._backoff(claimed.attempts),
            )

    async def _unreachable(self, session: AsyncSession, claimed: Claimed) -> None:
        """The person blocked the bot: mark them, and drop what else waits for them."""
        if claimed.user_id is not None:
            await UserRepository(session).mark_unreachable(claimed.user_id)
        await OutboxRepository(session).mark_address_unreachable(
            channel=claimed.channel, address=claimed.address
        )

    def _backoff(self, attempts: int) -> float:
        delay = self._config.backoff_seconds * 2 ** max(0, attempts - 1)
        return min(delay, self._config.max_backoff_seconds)

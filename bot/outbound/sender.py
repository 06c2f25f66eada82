"""The sender: outbox rows to the platforms, in order per address, within rate limits.

A message is claimed (leased, `sending`) in one transaction, sent through its channel's
`ReplySender.send`, and its typed outcome recorded in a later one (each of these transactions
serves every address with a message due). A process that dies between the two leaves the
row `sending`; when its lease runs out it becomes `unknown` and is never resent (the
platform may have delivered it).
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
    Outcome,
)
from db.repositories.users import UserRepository

log = logging.getLogger(__name__)

OnOutcome = Callable[[str, SendOutcome], None]
Key = tuple[str, str]  # (channel, address)
STATUS_OF = {"delivered": SENT, "blocked": BLOCKED, "failed": FAILED, "unknown": UNKNOWN}


@dataclass(frozen=True, slots=True)
class SenderConfig:
    """Knobs of the sender that come from settings."""

    lease_seconds: float = 30.0
    max_attempts: int = 5
    backoff_seconds: float = 1.0  # doubled after each retry, at most `max_backoff_seconds`
    max_backoff_seconds: float = 300.0
    poll_seconds: float = 1.0  # how often the outbox is read for due messages
    # Sends in flight at once: not more than a channel's connection pool (16), since more
    # requests only queue inside httpcore, whose pool scans every waiting request often.
    max_concurrent_sends: int = 16


class RateLimit:
    """At most `per_second` sends, spaced evenly. The sender claims only as many messages
    as have a slot soon (`capacity`), so a lease is not spent waiting, and each claimed
    message takes its slot (`take`) and waits for it just before its send."""

    def __init__(self, per_second: float) -> None:
        self._interval = 1.0 / per_second
        self._next = 0.0

    def capacity(self, horizon: float) -> int:
        """How many slots start within `horizon` seconds from now."""
        wait = self.free_in()
        return 0 if wait > horizon else int((horizon - wait) / self._interval) + 1

    def take(self) -> float:
        """Take the next slot: seconds until it starts."""
        now = asyncio.get_running_loop().time()
        slot = max(now, self._next)
        self._next = slot + self._interval
        return slot - now

    def free_in(self) -> float:
        """Seconds until the next slot."""
        return max(0.0, self._next - asyncio.get_running_loop().time())


class OutboxSender:
    """Sends the outbox, in order per address, in rounds. A round is one transaction: it
    records the outcomes of the sends that finished since the last round, and claims the
    next message of every address that has one due (up to `max_concurrent_sends`); those
    sends then run at once. Under load one transaction serves many messages.

    `wake` is called after a transaction wrote messages; `run` also reads the outbox every
    `poll_seconds` (messages written by other processes, retries that came due, leases
    that ran out). The rounds run in one task that exists while there is work."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        channels: Mapping[str, ReplySender],
        *,
        config: SenderConfig,
        rates: Mapping[str, float],
        on_outcome: OnOutcome = lambda channel, outcome: None,
        write_slot: contextlib.AbstractAsyncContextManager[object] | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._channels = dict(channels)
        self._config = config
        self._rates = {name: RateLimit(rates.get(name, 20.0)) for name in self._channels}
        self._on_outcome = on_outcome
        self._lease = timedelta(seconds=config.lease_seconds)
        # Reserve a rate slot only this far ahead, so a claimed message is sent well
        # within its lease.
        self._horizon = min(1.0, config.lease_seconds / 4)
        self._woken: dict[Key, None] = {}  # addresses to claim for, in the order woken
        self._in_flight: dict[Key, asyncio.Task[None]] = {}  # claimed, not recorded yet
        self._finished: list[tuple[Claimed, SendOutcome]] = []
        self._more: set[Key] = set()  # claimed addresses with a message queued behind
        self._changed = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._stopping = False
        self._write_slot = write_slot  # on SQLite, the turns' slot (see Intake)

    def wake(self, channel: str, address: str) -> None:
        """Send what is due to this address (now, or after the send in progress)."""
        if channel not in self._channels or self._stopping:
            return
        self._woken[(channel, address)] = None
        self._changed.set()
        if self._pump is None:
            self._pump = asyncio.create_task(self._rounds(), name="sender")

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
        """Stop claiming; wait up to `timeout` s for sends in progress and record them, then
        cancel the rest (a cancelled send stays `sending` and becomes `unknown`: it is not
        resent)."""
        self._stopping = True
        self._changed.set()
        pump = self._pump
        if pump is None:
            return
        _done, late = await asyncio.wait([pump], timeout=timeout)
        if late:
            for task in list(self._in_flight.values()):
                task.cancel()
            self._changed.set()
            _done, late = await asyncio.wait([pump], timeout=5.0)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _rounds(self) -> None:
        """Run rounds until nothing is woken or in flight (or the stop)."""
        try:
            while True:
                self._changed.clear()
                try:
                    await self._round()
                except Exception:
                    log.exception("Sender: a round failed; trying again")
                    await asyncio.sleep(self._config.backoff_seconds)
                    self._changed.set()
                if not (self._in_flight or self._finished or (self._woken and not self._stopping)):
                    return
                await self._changed.wait()
        finally:
            self._pump = None

    async def _round(self) -> None:
        """One transaction: record the outcomes that came in, and claim the next message of
        each woken address (one whose message was just recorded included); then start the
        sends."""
        batch, self._finished = self._finished, []
        freed = {(claimed.channel, claimed.address) for claimed, _outcome in batch}
        for key in freed & self._more:
            self._woken[key] = None
        keys = [] if self._stopping else self._next_keys(freed)
        if not batch and not keys:
            return
        try:
            async with self._writing(), self._sessionmaker() as session, session.begin():
                outbox = OutboxRepository(session)
                await outbox.record_many(self._outcome_row(c, o) for c, o in batch)
                for claimed, outcome in batch:
                    if outcome.kind == "blocked":
                        await self._unreachable(session, claimed)
                found = await outbox.claim_heads(keys, lease=self._lease)
        except Exception:
            self._finished[:0] = batch  # recorded in the next round
            raise
        for key in freed:
            self._in_flight.pop(key, None)
            self._more.discard(key)
        for key in keys:
            if key not in found.again:
                self._woken.pop(key, None)
        for claimed in found.claimed:
            key = (claimed.channel, claimed.address)
            delay = self._rates[claimed.channel].take()
            self._in_flight[key] = asyncio.create_task(
                self._send_later(claimed, delay), name=f"send:{claimed.channel}"
            )
            if key in found.more:
                self._more.add(key)
        if found.again:
            self._changed.set()

    def _next_keys(self, freed: set[Key]) -> list[Key]:
        """The woken addresses to claim for now: not in flight (or just `freed`), within the
        free send slots and the channels' rates. When a rate holds some back, a timer wakes
        the rounds."""
        room = self._config.max_concurrent_sends - len(self._in_flight.keys() - freed)
        capacity = {name: rate.capacity(self._horizon) for name, rate in self._rates.items()}
        keys: list[Key] = []
        held_back: set[str] = set()
        for key in self._woken:
            if len(keys) >= room:
                break
            if key in self._in_flight and key not in freed:
                continue
            if capacity[key[0]] <= 0:
                held_back.add(key[0])
                continue
            capacity[key[0]] -= 1
            keys.append(key)
        if held_back:
            delay = min(self._rates[name].free_in() for name in held_back) - self._horizon
            if self._timer is not None:
                self._timer.cancel()
            self._timer = asyncio.get_running_loop().call_later(max(0.0, delay), self._changed.set)
        return keys

    async def _send_later(self, claimed: Claimed, delay: float) -> None:
        """Wait for the rate slot, send, and leave the outcome for the next round."""
        try:
            if delay > 0:
                await asyncio.sleep(delay)
            outcome = await self._send(claimed)
        except asyncio.CancelledError:  # drain: the row stays `sending`, later `unknown`
            self._in_flight.pop((claimed.channel, claimed.address), None)
            self._changed.set()
            raise
        self._on_outcome(claimed.channel, outcome)
        self._finished.append((claimed, outcome))
        self._changed.set()

    def _outcome_row(self, claimed: Claimed, outcome: SendOutcome) -> Outcome:
        """What to write for a send's outcome: finished, or pending again after a delay."""
        if outcome.kind != "retry":
            return Outcome(
                claimed.id, STATUS_OF[outcome.kind], outcome.parts_delivered, outcome.detail or None
            )
        if claimed.attempts >= self._config.max_attempts:
            detail = f"gave up after {claimed.attempts} attempts: {outcome.detail}"
            return Outcome(claimed.id, FAILED, outcome.parts_delivered, detail)
        return Outcome(
            claimed.id,
            PENDING,
            outcome.parts_delivered,
            outcome.detail or None,
            retry_in=outcome.retry_after or self._backoff(claimed.attempts),
        )

    def _writing(self) -> contextlib.AbstractAsyncContextManager[object]:
        return self._write_slot or contextlib.nullcontext()

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

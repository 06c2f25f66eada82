"""The sender: outbox rows to the platforms, within each bot token's rate, in order per address.

A message is claimed (leased, `sending`) in one transaction, sent through its channel's
`ReplySender.send`, and its typed outcome recorded in a later one (each of these transactions
serves every message due). A process that dies between the two leaves the row `sending`; when
its lease runs out it becomes `unknown` and is never resent (the platform may have delivered
it).

Replies and status messages are claimed per address, the oldest first, as soon as they are
written. Broadcast rows (one per broadcast and recipient) are claimed in batches of many
addresses, except in quiet hours, beyond a platform's daily or monthly cap, or within
`chat_interval` of the last message to that chat; a broadcast that reaches quiet hours stops
there and goes on when they end, by itself (the poll finds its rows due again).

Rates hold per bot token, however many processes send: every claim takes send slots from the
channel's clock in the database (db/repositories/rates.py), and each message waits for its
slot. Slots are spaced a little wider than 1/rate (`rate_headroom`): a send that leaves a few
milliseconds after its slot must not put rate + 1 messages into one second at the platform; a
broadcast row that would leave later gives its slot up and is claimed again. What held sends
up most was the garbage collector: a full collection walked every object of the process (60-90
ms in a sender alone, every few seconds while sending), so `run` first moves the objects built
at start-up out of its way (`gc.freeze`, once per process).

The limits inside a process are these slots (each send sleeps until its own): aiolimiter was
not needed, and its leaky bucket lets a burst of `max_rate` through at once, which is what
"never above the limit in any second" forbids; nor does it know other processes' sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import ReplySender, SendOutcome
from bot.core.messages import reply_from_body
from bot.core.quiet import QuietHours
from db.models import utcnow
from db.repositories.outbox import (
    BLOCKED,
    BROADCAST,
    FAILED,
    PENDING,
    SENT,
    UNKNOWN,
    Claimed,
    OutboxRepository,
    Outcome,
)
from db.repositories.rates import RateRepository, Slots
from db.repositories.subscriptions import SubscriptionRepository
from db.repositories.users import UserRepository

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

OnOutcome = Callable[[str, SendOutcome], None]
Key = tuple[str, str]  # (channel, address)
STATUS_OF = {"delivered": SENT, "blocked": BLOCKED, "failed": FAILED, "unknown": UNKNOWN}
SLOT_LEAD = 0.01  # s: what is left of a round when its slots are handed out (commit, start)
TIMER_SLACK = 0.002  # s: asyncio may run a timer up to its clock's resolution early


@dataclass(frozen=True, slots=True)
class SenderConfig:
    """Knobs of the sender that come from settings."""

    lease_seconds: float = 30.0
    max_attempts: int = 5
    backoff_seconds: float = 1.0  # doubled after each retry, at most `max_backoff_seconds`
    max_backoff_seconds: float = 300.0
    poll_seconds: float = 1.0  # how often the outbox is read for due messages
    # Replies and status messages in flight at once: not more than a channel's connections
    # (16), since more requests would only wait for one.
    max_concurrent_sends: int = 16
    # Broadcast rows claimed and not yet recorded, at most (more are claimed when half are
    # done), and their requests in flight at once (the channel's other connections are left
    # to replies).
    broadcast_batch: int = 256
    broadcast_concurrency: int = 12
    # Slots are 1 / (rate x (1 - headroom)) apart: at 25/s, 25 sends span 0.99 s, so a send
    # may leave up to 30 ms after its slot without a 26th message in any one second.
    rate_headroom: float = 0.03
    quiet_hours: QuietHours | None = None  # broadcast rows wait while they hold
    timezone: str = "Asia/Ho_Chi_Minh"  # of the caps' days and months
    # Per channel: seconds between two messages to one chat for broadcast rows, and the
    # broadcast rows a platform takes per local day and calendar month (0: no cap).
    rates: Mapping[str, float] = field(default_factory=dict)  # sends/s per channel (token)
    chat_interval: Mapping[str, float] = field(default_factory=dict)
    daily_caps: Mapping[str, int] = field(default_factory=dict)
    monthly_caps: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> SenderConfig:
        """The sender's knobs as `bot run` sets them."""
        return cls(
            lease_seconds=settings.outbox_lease_seconds,
            max_attempts=settings.outbox_max_attempts,
            poll_seconds=settings.outbox_poll_seconds,
            quiet_hours=QuietHours.parse(settings.quiet_hours, settings.timezone),
            timezone=settings.timezone,
            rates={
                "telegram": settings.telegram_sends_per_second,
                "zalo": settings.zalo_sends_per_second,
            },
            chat_interval={"telegram": settings.telegram_chat_interval_seconds},
            daily_caps={"zalo": settings.zalo_daily_cap},
            monthly_caps={"zalo": settings.zalo_monthly_cap},
        )


class OutboxSender:
    """Sends the outbox in rounds. A round is one transaction: it records the outcomes of the
    sends that finished since the last round, then claims, within the slots the channels'
    clocks have free in the next `horizon` seconds, the next message of every woken address
    (up to `max_concurrent_sends` in flight) and a batch of broadcast rows; those sends then
    run, each at its slot. Under load one transaction serves many messages.

    `wake` is called after a transaction wrote messages; `run` also reads the outbox every
    `poll_seconds` (messages written by other processes, broadcasts, retries that came due,
    leases that ran out). The rounds run in one task that exists while there is work.
    `clock` tells the time for quiet hours and caps (tests set it)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        channels: Mapping[str, ReplySender],
        *,
        config: SenderConfig,
        rates: Mapping[str, float],
        on_outcome: OnOutcome = lambda channel, outcome: None,
        write_slot: contextlib.AbstractAsyncContextManager[object] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._channels = dict(channels)
        self._config = config
        headroom = 1.0 - config.rate_headroom
        self._interval = {name: 1.0 / (rates.get(name, 20.0) * headroom) for name in self._channels}
        self._on_outcome = on_outcome
        self._lease = timedelta(seconds=config.lease_seconds)
        # Take rate slots only this far ahead, so a claimed message is sent well within its
        # lease.
        self._horizon = min(1.0, config.lease_seconds / 4)
        # A send that would leave later than this after its slot gives the slot up: half the
        # lateness the headroom absorbs (31 ms at 3 %), the rest is left to the network.
        headroom_seconds = config.rate_headroom / (1.0 - config.rate_headroom)
        self._late_limit = max(0.005, headroom_seconds / 2)
        self._quiet = config.quiet_hours or QuietHours(None, None, ZoneInfo(config.timezone))
        self._zone = ZoneInfo(config.timezone)
        self.clock = clock
        self._woken: dict[Key, None] = {}  # addresses to claim for, in the order woken
        self._in_flight: dict[Key, asyncio.Task[None]] = {}  # claimed, not recorded yet
        self._bulk: set[Key] = set()  # those of them that are broadcast rows
        # Sends that finished (None: released unsent: the stop, a slot missed), to record.
        self._finished: list[tuple[Claimed, SendOutcome | None]] = []
        self._more: set[Key] = set()  # claimed addresses with a message queued behind
        self._bulk_due: set[str] = set()  # channels with broadcast rows to claim
        self._capped_until: dict[str, datetime] = {}  # a cap is reached until then
        self._rate_bound: set[str] = set()  # channels whose slots ran out in this round
        self._slipped: set[int] = set()  # broadcast rows that gave a missed slot up
        self._bulk_gate = asyncio.Semaphore(config.broadcast_concurrency)
        self._changed = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf
        self._stopping = False
        self._write_slot = write_slot  # on SQLite, the turns' slot (see Intake)

    def wake(self, channel: str, address: str) -> None:
        """Send what is due to this address (now, or after the send in progress)."""
        if channel not in self._channels or self._stopping:
            return
        self._woken[(channel, address)] = None
        self._kick()

    def wake_broadcasts(self, channel: str) -> None:
        """Claim the broadcast rows due on this channel (after a broadcast was started)."""
        if channel not in self._channels or self._stopping:
            return
        self._bulk_due.add(channel)
        self._kick()

    async def run(self, stop: asyncio.Event) -> None:
        """Read the outbox for due messages until `stop` is set."""
        _freeze_start_up_objects()
        while not stop.is_set():
            try:
                async with self._sessionmaker() as session:
                    outbox = OutboxRepository(session)
                    due = await outbox.due_addresses(channels=self._channels)
                    bulk: set[str] = set()
                    if not self._quiet.contains(self.clock()):
                        open_channels = [c for c in self._channels if not self._capped(c)]
                        bulk = await outbox.broadcast_channels_due(open_channels)
                for channel, address in due:
                    self.wake(channel, address)
                for channel in bulk:
                    self.wake_broadcasts(channel)
            except Exception:
                log.exception("Sender: could not read the outbox; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._config.poll_seconds)

    async def drain(self, timeout: float) -> None:
        """Stop claiming; wait up to `timeout` s for sends in progress and record them, then
        cancel the rest: a send cancelled before its request started goes back to pending,
        one cancelled during it stays `sending` and becomes `unknown` (it is not resent)."""
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

    def _kick(self) -> None:
        self._changed.set()
        if self._pump is None:
            self._pump = asyncio.create_task(self._rounds(), name="sender")

    async def _rounds(self) -> None:
        """Run rounds until nothing is woken, due or in flight (or the stop)."""
        try:
            while True:
                self._changed.clear()
                try:
                    await self._round()
                except Exception:
                    log.exception("Sender: a round failed; trying again")
                    await asyncio.sleep(self._config.backoff_seconds)
                    self._changed.set()
                waiting = (self._woken or self._bulk_due) and not self._stopping
                if not (self._in_flight or self._finished or waiting):
                    return
                await self._changed.wait()
        finally:
            self._pump = None

    async def _round(self) -> None:
        """One transaction: lock the clocks of the channels to claim for, record the
        outcomes that came in, claim the next message of each woken address (one whose
        message was just recorded included) and a batch of broadcast rows, within the free
        slots; move the clocks. Then start the sends, each at its slot."""
        batch, self._finished = self._finished, []
        freed = {(claimed.channel, claimed.address) for claimed, _outcome in batch}
        for key in freed & self._more:
            self._woken[key] = None
        for claimed, outcome in batch:
            if outcome is None and not self._stopping:  # gave its slot up: claim it again
                if claimed.kind == BROADCAST:
                    self._bulk_due.add(claimed.channel)
                else:
                    self._woken[(claimed.channel, claimed.address)] = None
        keys = [] if self._stopping else self._next_keys(freed)
        bulk = {} if self._stopping else self._bulk_wanted(freed)
        if not batch and not keys and not bulk:
            return
        claiming = {key[0] for key in keys} | set(bulk)
        moment = self.clock()
        try:
            async with self._writing(), self._sessionmaker() as session, session.begin():
                rates = RateRepository(session)
                clocks = await rates.lock(claiming)  # first, so no two rounds wait crosswise
                outbox = OutboxRepository(session)
                await outbox.record_many(self._outcome_row(c, o) for c, o in batch)
                for claimed, outcome in batch:
                    if outcome is not None and outcome.kind == "blocked":
                        await self._unreachable(session, claimed)
                now = time.time()
                slots = {
                    name: Slots(clocks[name], self._interval[name], now, now + self._horizon)
                    for name in claiming
                }
                self._rate_bound = set()
                keys = self._within_slots(keys, slots)
                found = await outbox.claim_heads(keys, lease=self._lease)
                for name, channel_slots in slots.items():
                    channel_slots.held = sum(1 for c in found.claimed if c.channel == name)
                claimed_all = list(found.claimed)
                for channel, wanted in bulk.items():
                    claimed_all += await self._claim_bulk(
                        outbox, channel, wanted, slots[channel], moment
                    )
                # The slots are handed out from now on, not from the round's start: a slot
                # already past when its send is started would crowd the next one.
                now = time.time() + SLOT_LEAD
                for channel_slots in slots.values():
                    channel_slots.now = now
                starts = [(claimed, slots[claimed.channel].take()) for claimed in claimed_all]
                for name, channel_slots in slots.items():
                    if channel_slots.taken:
                        await rates.move(name, channel_slots.next_at)
                for name in self._rate_bound:  # when the next slot comes within reach
                    wait = slots[name].next_at - self._horizon - time.time()
                    self._round_in(wait + TIMER_SLACK)
        except Exception:
            self._finished[:0] = batch  # recorded in the next round
            raise
        for key in freed:
            self._in_flight.pop(key, None)
            self._bulk.discard(key)
            self._more.discard(key)
        for key in keys:
            if key not in found.again:
                self._woken.pop(key, None)
        for claimed, at in starts:
            key = (claimed.channel, claimed.address)
            if claimed.kind == BROADCAST:
                self._bulk.add(key)
            self._in_flight[key] = asyncio.create_task(
                self._send_later(claimed, at), name=f"send:{claimed.channel}"
            )
            if key in found.more:
                self._more.add(key)
        if found.again:
            self._changed.set()

    def _next_keys(self, freed: set[Key]) -> list[Key]:
        """The woken addresses to claim for now: not in flight (or just `freed`), up to the
        free send slots."""
        direct = self._in_flight.keys() - freed - self._bulk
        room = self._config.max_concurrent_sends - len(direct)
        keys: list[Key] = []
        for key in self._woken:
            if len(keys) >= room:
                break
            if key in self._in_flight and key not in freed:
                continue
            keys.append(key)
        return keys

    def _within_slots(self, keys: list[Key], slots: Mapping[str, Slots]) -> list[Key]:
        """The keys that have a rate slot within the horizon (held for them); the rest stay
        woken, and a timer runs a round when the next slot comes within reach."""
        kept: list[Key] = []
        for key in keys:
            channel_slots = slots[key[0]]
            if channel_slots.free() > 0:
                channel_slots.held += 1
                kept.append(key)
            else:
                self._rate_bound.add(key[0])
        return kept

    def _bulk_wanted(self, freed: set[Key]) -> dict[str, int]:
        """How many broadcast rows to claim per channel in this round: none in quiet hours
        or beyond a cap; else, once half of the last batch is done, up to a batch."""
        if not self._bulk_due:
            return {}
        if self._quiet.contains(self.clock()):
            self._bulk_due.clear()  # the poll finds them again once the quiet hours end
            return {}
        for channel in [c for c in self._bulk_due if self._capped(c)]:
            self._bulk_due.discard(channel)
        outstanding = len(self._bulk - freed)
        batch = self._config.broadcast_batch
        if not self._bulk_due or outstanding > batch // 2:
            return {}
        share = max(1, (batch - outstanding) // len(self._bulk_due))
        return {channel: share for channel in sorted(self._bulk_due)}

    async def _claim_bulk(
        self,
        outbox: OutboxRepository,
        channel: str,
        wanted: int,
        slots: Slots,
        moment: datetime,
    ) -> list[Claimed]:
        """Claim up to `wanted` broadcast rows of the channel: within the free slots that
        start before quiet hours do, and within the platform's caps (counted from the
        outbox under the clock's lock, so two processes cannot both take the last ones)."""
        quiet_in = self._quiet_in(moment)
        free = slots.free(until=slots.now + quiet_in)
        if free < slots.free():  # quiet hours begin within the horizon: stop there
            self._round_in(quiet_in + TIMER_SLACK)
        elif free < wanted:
            self._rate_bound.add(channel)
        count = min(wanted, free)
        if count <= 0:
            return []
        left = await self._cap_left(outbox, channel, moment)
        if left is not None and left <= 0:
            self._bulk_due.discard(channel)
            return []
        if left is not None:
            count = min(count, left)
        claimed = await outbox.claim_broadcasts(
            channel,
            count,
            lease=self._lease,
            chat_interval=self._config.chat_interval.get(channel, 0.0),
        )
        slots.held += len(claimed)
        if len(claimed) < count:
            self._bulk_due.discard(channel)  # nothing more is due now: the poll looks again
        return claimed

    async def _cap_left(
        self, outbox: OutboxRepository, channel: str, moment: datetime
    ) -> int | None:
        """Broadcast rows the platform still takes today and this month (None: no cap); at
        0, broadcasts on the channel wait for the next day (or month)."""
        caps: list[tuple[int, datetime, datetime]] = []
        local = moment.astimezone(self._zone)
        daily = self._config.daily_caps.get(channel, 0)
        monthly = self._config.monthly_caps.get(channel, 0)
        if daily:
            day = datetime(local.year, local.month, local.day, tzinfo=self._zone)
            next_day = datetime.combine(day.date() + timedelta(days=1), day.timetz())
            caps.append((daily, day, next_day))
        if monthly:
            month = datetime(local.year, local.month, 1, tzinfo=self._zone)
            following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
            caps.append((monthly, month, following))
        if not caps:
            return None
        sent, in_flight = await outbox.broadcasts_sent(
            channel, [(start, end) for _cap, start, end in caps]
        )
        # Full for the period once as many were sent (in-flight ones only hold the rest
        # back until their outcome is known: one released unsent leaves room again).
        room = [cap - count for (cap, _start, _end), count in zip(caps, sent, strict=True)]
        reached = [end for (_cap, _start, end), n in zip(caps, room, strict=True) if n <= 0]
        if reached:
            self._capped_until[channel] = max(reached)
            log.warning(
                "Sender: the %s cap is reached; broadcasts wait until %s", channel, max(reached)
            )
        left = [n - in_flight for n in room]
        return max(0, min(left))

    def _capped(self, channel: str) -> bool:
        until = self._capped_until.get(channel)
        return until is not None and self.clock() < until

    def _quiet_in(self, moment: datetime) -> float:
        """Seconds from `moment` until quiet hours begin (infinite: not within the horizon)."""
        if self._quiet.contains(moment):
            return 0.0
        if not self._quiet.contains(moment + timedelta(seconds=self._horizon)):
            return math.inf
        early, late = 0.0, self._horizon
        while late - early > 0.001:
            middle = (early + late) / 2
            if self._quiet.contains(moment + timedelta(seconds=middle)):
                late = middle
            else:
                early = middle
        return early

    def _round_in(self, seconds: float) -> None:
        """Run a round after `seconds` (unless one is already due sooner)."""
        if not math.isfinite(seconds):
            return
        loop = asyncio.get_running_loop()
        at = loop.time() + max(0.0, seconds)
        if self._timer is not None and self._timer_at <= at and self._timer_at > loop.time():
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = at
        self._timer = loop.call_at(at, self._changed.set)

    async def _send_later(self, claimed: Claimed, at: float) -> None:
        """Wait for the rate slot (Unix time `at`), send, and leave the outcome for the next
        round. Broadcast rows also wait for one of their connections.

        When the event loop held a broadcast row up past its slot (a full garbage collection
        of a large process takes 50-100 ms), the slot is given up and the row claimed again:
        sent late, it would crowd the next second at the platform. Once only: a process too
        busy to keep its slots sends it late rather than never. Replies and status messages
        are never held back for this (someone is waiting for them)."""
        started = False
        try:
            delay = at - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
                late = time.time() - at > self._late_limit
                if late and claimed.kind == BROADCAST and claimed.id not in self._slipped:
                    self._slipped.add(claimed.id)
                    self._finished.append((claimed, None))
                    self._changed.set()
                    return
            if claimed.kind == BROADCAST:
                async with self._bulk_gate:
                    started = True
                    outcome = await self._send(claimed)
            else:
                started = True
                outcome = await self._send(claimed)
        except asyncio.CancelledError:  # drain
            key = (claimed.channel, claimed.address)
            if started:  # the row stays `sending`, later `unknown`
                self._in_flight.pop(key, None)
                self._bulk.discard(key)
            else:  # never sent: back to pending (recorded by the last round)
                self._finished.append((claimed, None))
            self._changed.set()
            raise
        self._slipped.discard(claimed.id)
        self._on_outcome(claimed.channel, outcome)
        self._finished.append((claimed, outcome))
        self._changed.set()

    def _outcome_row(self, claimed: Claimed, outcome: SendOutcome | None) -> Outcome:
        """What to write for a send's outcome: finished, or pending again after a delay."""
        if outcome is None:
            return Outcome(claimed.id, PENDING, claimed.parts_sent, None, 0.0, attempted=False)
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
        """The person blocked the bot: mark them, end their subscription (no reminder or
        announcement is written for them again), and drop what else waits for them."""
        if claimed.user_id is not None:
            await UserRepository(session).mark_unreachable(claimed.user_id)
            await SubscriptionRepository(session).end_for_users([claimed.user_id], reason="blocked")
        await OutboxRepository(session).mark_address_unreachable(
            channel=claimed.channel, address=claimed.address
        )

    def _backoff(self, attempts: int) -> float:
        delay = self._config.backoff_seconds * 2 ** max(0, attempts - 1)
        return min(delay, self._config.max_backoff_seconds)


_frozen = False


def _freeze_start_up_objects() -> None:
    """Once per process: what exists by now (modules, settings, content, the app) lives as
    long as the process, so the collector stops walking it at every full collection."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()

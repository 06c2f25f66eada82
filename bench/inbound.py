"""The durable inbound path (inbox, workers, outbox, sender) against the fake Telegram Bot API,
next to a bare python-telegram-bot echo bot in the same run; prints one flat JSON object.

Every phase gets a fresh fake server (a process of its own) and a fresh database: SQLite
(`sqlite_*` keys) and, when --postgres-url or TEST_DATABASE_URL is given, a throwaway
PostgreSQL database (`postgresql_*` keys, dropped afterwards).

- `echo_*`: a bare PTB `Application` polling the fake and echoing each text, with the same
  burst as the bot's (`users` chats x 3 messages, all queued before polling starts), run
  twice: PTB's default (one update at a time, `sequential`) and `concurrent_updates(True)`
  (256 at once, what this bench used before; far slower here: httpx's connection pool with
  that many requests waiting). Updates/s from the start of polling to the last echo sent;
  `echo_updates_per_second`, the reference for `share_of_echo`, is the faster of the two.
- `<db>_burst_*`: the full bot in this process, as `bot run` composes it (our getUpdates
  loop -> inbox -> inbox workers -> outbox -> sender -> fake), with the same burst. Updates/s
  from the start of polling to the last reply delivered, once every update is handled and
  the outbox has nothing pending or sending. `share_of_echo` is that over the echo bot's.
  The sender's rate limit is raised to `sender_rate_limit_per_s` (production default: 25/s)
  so that it measures the bot, not the limit. `turn_p50/p99_ms`: the time a turn takes once
  it holds a database slot (`TurnTiming.worked_seconds`, also `bot_turn_seconds`).
  `wait_p50/p99_ms`: the burst's queueing, from the update being stored to its turn starting
  (`waited_seconds`): with everything arriving at once it grows with the queue, not with the
  cost of a turn. `messages_sent`: sendMessage calls the fake answered.
- `<db>_steady_*`: right after the burst, on the same running bot: one update per new chat,
  enqueued at `steady_rate_per_s` for `steady_seconds` (from a thread, on the bench's clock).
  `update_to_reply_p50/p99_ms`: from enqueueing the update on the fake to the bot's channel
  returning "delivered" for the update's last reply (`..._first_reply_...`: its first).
  `offered_per_s` is the rate actually enqueued, `answered_per_s` the updates answered over
  the time from the first enqueue to the last reply (below `offered_per_s`: the bot did not
  keep up, and the latency is the backlog's); `unanswered` counts chats with no reply.
- `<db>_kill_*`: `bot run` as a subprocess polling a fresh fake (sender rate raised the same
  way, outbox lease `kill_lease_seconds`). A dry run of one "/start" gives
  `messages_per_update`; then `kill_updates` chats send "/start" at once; once
  `kill_at_share` of the expected messages were sent the process gets SIGKILL (`sent_at_kill`)
  and is started again; the bench waits until every update is stored, none is pending, the
  outbox has nothing pending or sending, and the fake saw no send for `kill_quiet_seconds`.
  Per chat, from the fake's record of sends: `lost` = chats with no message at all,
  `incomplete` = some but fewer than `messages_per_update`, `duplicated` = more.
  `outbox_unknown` = rows in flight at the kill (their lease ran out; never resent, by
  design); `messages_missing` = messages short of `messages_per_update` over all chats,
  `messages_missing_not_unknown` = those not explained by an `unknown` row (goal 0).
  `not_stored` = updates the inbox never got. `restart_seconds`: second start to /healthz OK;
  `recovered_seconds`: second start to the last send.
- `<db>_turn_errors`, `<db>_sends_not_delivered`: failed turns (apologies) and sends whose
  outcome was not "delivered", in the burst and steady phases (both should be 0).
- `load_average_at_start`: the machine's 1-minute load when the bench began (other work on
  the machine slows every figure down).

Usage: .venv/bin/python bench/inbound.py [--users N] [--postgres-url URL] [--kill-updates N]
       [--steady-rate R] [--steady-seconds S] [--no-kill] [--no-steady]  (--help for all)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def serve_fake(port: int) -> None:
    """`bench/inbound.py --serve-fake PORT`: the tests' fake, with one more read-only route
    that counts the accepted sendMessage calls per chat (for the kill phase)."""
    import uvicorn
    from fastapi.responses import JSONResponse

    from tests.support.fake_telegram import FakeTelegram

    fake = FakeTelegram()
    api = fake.app()

    @api.get("/_bench/sent_per_chat")
    async def sent_per_chat():  # type: ignore[no-untyped-def]
        counts = Counter(str(message["chat_id"]) for message in fake.sent)
        return JSONResponse({"ok": True, "result": dict(counts)})

    uvicorn.run(api, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__" and sys.argv[1:2] == ["--serve-fake"]:
    # The fake's process: started before the bot's modules are imported, so it starts fast.
    serve_fake(int(sys.argv[2]))
    raise SystemExit(0)


import httpx  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import ApplicationBuilder, MessageHandler, filters  # noqa: E402

from bot.app import App, Runtime, build_app, build_runtime  # noqa: E402
from bot.channels.base import SendOutcome  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.messages import Incoming, Reply  # noqa: E402
from bot.core.runner import TurnTiming  # noqa: E402
from bot.metrics import Metrics  # noqa: E402
from db import migrate  # noqa: E402
from db.models import InboxUpdate, OutboxMessage  # noqa: E402
from db.repositories.inbox import InboxRepository  # noqa: E402
from db.repositories.outbox import UNKNOWN, OutboxRepository  # noqa: E402
from db.session import make_engine, make_sessionmaker  # noqa: E402
from tests.support.fake_telegram import TOKEN  # noqa: E402

MESSAGES = ["/start", "khi nao tat song 2g vay ad", "may cua me e la nokia 1280"]
SENDER_RATE = 100_000.0  # sends/s: far above what the fake can take, so never the limit
CACHE_DIR = ROOT / "var" / "cache"  # shared, so the question matcher is trained once
GOALS = {"share_of_echo": 0.5, "turn_p99_ms": 50, "update_to_reply_p99_ms": 200}
BURST_CHATS, STEADY_CHATS, KILL_CHATS, DRY_RUN_CHAT = 10_000, 1_000_000, 2_000_000, 999
PHASE_TIMEOUT = 300.0
START_TIMEOUT = 120.0


# ---------------------------------------------------------------- processes and servers


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


try:
    _LIBC: ctypes.CDLL | None = ctypes.CDLL(None, use_errno=True)
except OSError:  # not Linux/glibc: children are still stopped by the context managers
    _LIBC = None


def _die_with_parent() -> None:
    """In the child: get SIGKILL if the bench dies (PR_SET_PDEATHSIG), even by SIGKILL."""
    if _LIBC is not None and sys.platform.startswith("linux"):
        _LIBC.prctl(1, signal.SIGKILL)


def _spawn(
    args: list[str], env: dict[str, str] | None = None, log: Path | None = None
) -> subprocess.Popen[bytes]:
    stderr = log.open("wb") if log is not None else None
    try:
        return subprocess.Popen(args, cwd=ROOT, env=env, stderr=stderr, preexec_fn=_die_with_parent)
    finally:
        if stderr is not None:
            stderr.close()


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM, then SIGKILL after 10 s; nothing if it already exited."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


class FakeServer:
    """The fake Telegram Bot API (tests/support/fake_telegram.py) in its own process, so it
    does not share our event loop, plus `/_bench/sent_per_chat` (see `serve_fake`)."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> FakeServer:
        self.process = _spawn([sys.executable, __file__, "--serve-fake", str(self.port)])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the fake Telegram server exited at start")
            try:
                httpx.get(f"{self.url}/_test/stats", timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.05)
        _stop(self.process)
        raise RuntimeError("the fake Telegram server did not start")

    def __exit__(self, *exc: object) -> None:
        _stop(self.process)

    async def enqueue(self, client: httpx.AsyncClient, chat_ids: list[int], text: str) -> None:
        response = await client.post(
            f"{self.url}/_test/enqueue", json={"chat_ids": chat_ids, "text": text}, timeout=30
        )
        response.raise_for_status()

    async def sent(self, client: httpx.AsyncClient) -> int:
        """sendMessage calls the fake accepted so far."""
        response = await client.get(f"{self.url}/_test/stats", timeout=10)
        return int(response.json()["result"]["sent"])

    async def sent_per_chat(self, client: httpx.AsyncClient) -> dict[int, int]:
        response = await client.get(f"{self.url}/_bench/sent_per_chat", timeout=30)
        return {int(chat): int(n) for chat, n in response.json()["result"].items()}


# ---------------------------------------------------------------- figures


def _ms(seconds: list[float], share: float) -> float | None:
    if not seconds:
        return None
    ordered = sorted(seconds)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 2)


async def wait_until(
    condition: Callable[[], Awaitable[bool]],
    what: str,
    *,
    tasks: Sequence[asyncio.Task[Any]] = (),
    timeout: float = PHASE_TIMEOUT,
    every: float = 0.05,
) -> None:
    """Until `condition()` is true; raises when it takes too long or a task failed."""
    deadline = time.monotonic() + timeout
    while not await condition():
        for task in tasks:
            if task.done():
                error = None if task.cancelled() else task.exception()
                raise RuntimeError(f"{task.get_name()} ended while waiting for {what}: {error!r}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not reached within {timeout:.0f} s")
        await asyncio.sleep(every)


async def outbox_state(sessionmaker: async_sessionmaker[AsyncSession]) -> tuple[int, int, int]:
    """Inbox rows stored, inbox rows pending, outbox rows pending or sending."""
    async with sessionmaker() as session:
        stored = await session.scalar(select(func.count()).select_from(InboxUpdate))
        pending = await InboxRepository(session).pending_count()
        unfinished = await OutboxRepository(session).unfinished_count()
    return int(stored or 0), pending, unfinished


# ---------------------------------------------------------------- the echo bot


async def run_echo(users: int, *, concurrent: bool) -> dict[str, Any]:
    with FakeServer() as fake:
        application = (
            ApplicationBuilder()
            .token(TOKEN)
            .base_url(f"{fake.url}/bot")
            .concurrent_updates(concurrent)
            .build()
        )
        done = 0

        async def echo(update: Update, _context) -> None:  # type: ignore[no-untyped-def]
            nonlocal done
            await update.message.reply_text(update.message.text)
            done += 1

        async def finished() -> bool:
            return done >= total

        application.add_handler(MessageHandler(filters.TEXT, echo))
        async with httpx.AsyncClient() as client:
            for message in MESSAGES:
                await fake.enqueue(client, [BURST_CHATS + user for user in range(users)], message)
        total = users * len(MESSAGES)
        await application.initialize()
        await application.start()
        start = time.perf_counter()
        await application.updater.start_polling(timeout=1, poll_interval=0)
        try:
            await wait_until(finished, "the echo bot's replies", every=0.005)
            elapsed = time.perf_counter() - start
        finally:
            await application.updater.stop()
            await application.stop()
            await application.shutdown()
    return {"updates": total, "updates_per_second": round(total / elapsed, 1)}


# ---------------------------------------------------------------- the bot, in this process


class Recorder:
    """Turn timings of the current phase, and when each address got a delivered reply."""

    def __init__(self) -> None:
        self.timings: list[TurnTiming] = []
        self.delivered: defaultdict[str, list[float]] = defaultdict(list)
        self.not_delivered: Counter[str] = Counter()

    def wrap(self, runtime: Runtime) -> None:
        """Time every send of the Telegram channel (the sender calls `channel.send`)."""
        channel = runtime.telegram
        assert channel is not None
        send = channel.send

        async def timed(address: str, reply: Reply, *, skip_parts: int = 0) -> SendOutcome:
            outcome = await send(address, reply, skip_parts=skip_parts)
            if outcome.kind == "delivered":
                self.delivered[address].append(time.perf_counter())
            else:
                self.not_delivered[outcome.kind] += 1
            return outcome

        channel.send = timed  # type: ignore[method-assign]


def bot_settings(database_url: str, locales: Path, fake: FakeServer) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        locales_dir=locales,
        cache_dir=CACHE_DIR,
        telegram_bot_token=TOKEN,  # type: ignore[arg-type]
        telegram_base_url=f"{fake.url}/bot",
        telegram_webhook_url=None,
        telegram_sends_per_second=SENDER_RATE,
    )


async def run_durable(database_url: str, locales: Path, args: argparse.Namespace) -> dict[str, Any]:
    await asyncio.to_thread(migrate.upgrade, database_url)
    with FakeServer() as fake:
        app = build_app(bot_settings(database_url, locales, fake))
        runtime = build_runtime(app, Metrics())
        try:
            return await _durable_phases(app, runtime, fake, args)
        finally:
            await runtime.aclose()
            await app.aclose()


async def _durable_phases(
    app: App, runtime: Runtime, fake: FakeServer, args: argparse.Namespace
) -> dict[str, Any]:
    telegram = runtime.telegram
    assert telegram is not None
    # Warm-up outside the figures (lazy imports, first connections); its channel is not
    # Telegram's, so nothing is sent.
    await app.runner.handle(Incoming(channel="bench", user_id="warm-up", text=MESSAGES[1]))
    recorder = Recorder()
    recorder.wrap(runtime)
    app.runner.observe_timings(lambda timing: recorder.timings.append(timing))
    sessionmaker = app.runner.sessionmaker
    turns_before = app.runner.turns
    total = args.users * len(MESSAGES)
    async with httpx.AsyncClient() as client:
        for message in MESSAGES:
            await fake.enqueue(client, [BURST_CHATS + user for user in range(args.users)], message)
        await telegram.start()
        stop, work_stop = asyncio.Event(), asyncio.Event()
        start = time.perf_counter()
        poll = asyncio.create_task(telegram.poll(runtime.intake, stop), name="telegram poll")
        work = [
            asyncio.create_task(runtime.workers.run(work_stop), name="inbox workers"),
            asyncio.create_task(runtime.sender.run(work_stop), name="sender"),
        ]
        tasks = [poll, *work]

        def settled(turns: int) -> Callable[[], Awaitable[bool]]:
            async def check() -> bool:
                if app.runner.turns < turns:
                    return False
                _stored, pending, unfinished = await outbox_state(sessionmaker)
                return pending == 0 and unfinished == 0

            return check

        try:
            await wait_until(settled(turns_before + total), "the burst's replies", tasks=tasks)
            burst = _burst_figures(recorder, start, total, await fake.sent(client))
            if not args.no_steady:
                recorder.timings = []
                burst.update(await _steady(app, fake, recorder, args, settled, tasks))
        finally:
            stop.set()
            poll.cancel()  # a long poll in progress: its updates are not confirmed
            await asyncio.gather(poll, return_exceptions=True)
            work_stop.set()
            _done, late = await asyncio.wait(work, timeout=10)
            await runtime.sender.drain(5)
            for task in late:
                task.cancel()
            await asyncio.gather(*work, return_exceptions=True)
    burst["turn_errors"] = app.runner.errors
    burst["sends_not_delivered"] = sum(recorder.not_delivered.values())
    burst["max_concurrent_turns"] = app.runner.max_concurrent_turns
    return burst


def _burst_figures(recorder: Recorder, start: float, total: int, sent: int) -> dict[str, Any]:
    last = max(t for times in recorder.delivered.values() for t in times)
    elapsed = last - start
    worked = [t.worked_seconds for t in recorder.timings]
    waited = [t.waited_seconds for t in recorder.timings]
    return {
        "burst_updates": total,
        "burst_seconds": round(elapsed, 2),
        "burst_updates_per_second": round(total / elapsed, 1),
        "burst_messages_sent": sent,
        "burst_turn_p50_ms": _ms(worked, 0.5),
        "burst_turn_p99_ms": _ms(worked, 0.99),
        "burst_wait_p50_ms": _ms(waited, 0.5),
        "burst_wait_p99_ms": _ms(waited, 0.99),
    }


def _feed(url: str, chat_ids: list[int], rate: float, enqueued: dict[str, float]) -> None:
    """In a thread: one update per chat id, `rate` per second, each timed as it is sent."""
    with httpx.Client() as client:
        first = time.perf_counter() + 0.05
        for index, chat_id in enumerate(chat_ids):
            delay = first + index / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            enqueued[str(chat_id)] = time.perf_counter()
            body = {"chat_ids": [chat_id], "text": MESSAGES[index % len(MESSAGES)]}
            client.post(f"{url}/_test/enqueue", json=body, timeout=10).raise_for_status()


async def _steady(
    app: App,
    fake: FakeServer,
    recorder: Recorder,
    args: argparse.Namespace,
    settled: Callable[[int], Callable[[], Awaitable[bool]]],
    tasks: Sequence[asyncio.Task[Any]],
) -> dict[str, Any]:
    count = max(1, round(args.steady_rate * args.steady_seconds))
    chat_ids = [STEADY_CHATS + index for index in range(count)]
    enqueued: dict[str, float] = {}
    turns_before = app.runner.turns
    feeder = asyncio.create_task(
        asyncio.to_thread(_feed, fake.url, chat_ids, args.steady_rate, enqueued), name="feeder"
    )
    await wait_until(lambda: _done(feeder), "the steady feed", tasks=tasks)
    await feeder  # raises what the feeder raised
    await wait_until(settled(turns_before + count), "the steady replies", tasks=tasks)
    last, first = [], []
    unanswered = 0
    for chat_id in map(str, chat_ids):
        times = recorder.delivered.get(chat_id)
        if not times:
            unanswered += 1
            continue
        last.append(max(times) - enqueued[chat_id])
        first.append(min(times) - enqueued[chat_id])
    span = max(enqueued.values()) - min(enqueued.values())
    answered = [max(recorder.delivered[str(chat_id)], default=0.0) for chat_id in chat_ids]
    handled_span = max(answered) - min(enqueued.values())
    worked = [t.worked_seconds for t in recorder.timings]
    waited = [t.waited_seconds for t in recorder.timings]
    return {
        "steady_updates": count,
        "steady_offered_per_s": round((count - 1) / span, 1) if span > 0 else None,
        "steady_answered_per_s": round(count / handled_span, 1),
        "steady_update_to_reply_p50_ms": _ms(last, 0.5),
        "steady_update_to_reply_p99_ms": _ms(last, 0.99),
        "steady_update_to_first_reply_p50_ms": _ms(first, 0.5),
        "steady_update_to_first_reply_p99_ms": _ms(first, 0.99),
        "steady_turn_p50_ms": _ms(worked, 0.5),
        "steady_turn_p99_ms": _ms(worked, 0.99),
        "steady_wait_p99_ms": _ms(waited, 0.99),
        "steady_unanswered": unanswered,
    }


async def _done(task: asyncio.Task[Any]) -> bool:
    return task.done()


# ---------------------------------------------------------------- kill in mid-burst


class BotProcess:
    """`bot run` in a process of its own; standard error goes to a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = int(env["HTTP_PORT"])
        self.log = log
        self.process = _spawn([sys.executable, "-m", "bot", "run"], env=env, log=log)

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]

    async def wait_healthy(self, client: httpx.AsyncClient) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"bot run exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            with contextlib.suppress(httpx.HTTPError):
                response = await client.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2)
                if response.status_code == 200:
                    return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"bot run did not get healthy:\n{self.log_tail()}")

    def alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"bot run exited with {self.process.returncode}:\n{self.log_tail()}")


def bot_env(database_url: str, locales: Path, fake: FakeServer, lease: float) -> dict[str, str]:
    prefixes = ("TELEGRAM_", "ZALO_", "DATABASE_URL", "HTTP_", "OUTBOX_", "INBOX_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(
        DATABASE_URL=database_url,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_BASE_URL=f"{fake.url}/bot",
        TELEGRAM_SENDS_PER_SECOND=str(SENDER_RATE),
        HTTP_PORT=str(_free_port()),
        LOCALES_DIR=str(locales),
        CACHE_DIR=str(CACHE_DIR),
        OUTBOX_LEASE_SECONDS=str(lease),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


async def run_kill(
    database_url: str, locales: Path, logs: Path, args: argparse.Namespace
) -> dict[str, Any]:
    await asyncio.to_thread(migrate.upgrade, database_url)
    engine = make_engine(database_url)
    sessionmaker = make_sessionmaker(engine)
    bots: list[BotProcess] = []
    name = logs / f"bot-{uuid.uuid4().hex[:6]}"
    try:
        with FakeServer() as fake:
            async with httpx.AsyncClient() as client:
                return await _kill_phases(
                    fake, client, sessionmaker, bots, database_url, locales, name, args
                )
    finally:
        for bot in bots:
            _stop(bot.process)
        await engine.dispose()


async def _kill_phases(
    fake: FakeServer,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    bots: list[BotProcess],
    database_url: str,
    locales: Path,
    name: Path,
    args: argparse.Namespace,
) -> dict[str, Any]:
    def start(label: str) -> BotProcess:
        env = bot_env(database_url, locales, fake, args.kill_lease_seconds)
        bot = BotProcess(env, name.with_suffix(f".{label}.log"))
        bots.append(bot)
        return bot

    async def quiet(bot: BotProcess, stored: int, seconds: float) -> float:
        """Until everything is handled and sent and no send came for `seconds`; returns
        the time of the last send seen."""
        last_count, last_change = await fake.sent(client), time.perf_counter()

        async def check() -> bool:
            nonlocal last_count, last_change
            bot.alive()
            count = await fake.sent(client)
            if count != last_count:
                last_count, last_change = count, time.perf_counter()
            if time.perf_counter() - last_change < seconds:
                return False
            have, pending, unfinished = await outbox_state(sessionmaker)
            return have >= stored and pending == 0 and unfinished == 0

        await wait_until(check, "a quiet bot", every=0.1)
        return last_change

    first = start("first")
    await first.wait_healthy(client)
    await fake.enqueue(client, [DRY_RUN_CHAT], "/start")
    await quiet(first, 1, 1.0)
    per_update = (await fake.sent_per_chat(client)).get(DRY_RUN_CHAT, 0)
    if per_update < 1:
        raise RuntimeError(f"the dry run got no reply:\n{first.log_tail()}")
    chats = [KILL_CHATS + index for index in range(args.kill_updates)]
    target = per_update + math.ceil(args.kill_at_share * per_update * len(chats))
    await fake.enqueue(client, chats, "/start")

    async def enough() -> bool:
        first.alive()
        return await fake.sent(client) >= target

    await wait_until(enough, "replies before the kill", every=0.005)
    os.kill(first.process.pid, signal.SIGKILL)
    first.process.wait(10)
    sent_at_kill = await fake.sent(client) - per_update
    second = start("second")
    restarted = time.perf_counter()
    await second.wait_healthy(client)
    healthy = time.perf_counter() - restarted
    last_send = await quiet(second, 1 + len(chats), args.kill_quiet_seconds)
    await asyncio.to_thread(_stop, second.process)
    received = await fake.sent_per_chat(client)
    async with sessionmaker() as session:
        outbox = await OutboxRepository(session).counts()
        unknown_rows = await session.execute(
            select(OutboxMessage.address, func.count())
            .where(OutboxMessage.status == UNKNOWN)
            .group_by(OutboxMessage.address)
        )
        unknown = {int(address): int(n) for address, n in unknown_rows}
        inbox_rows = await session.execute(
            select(InboxUpdate.status, func.count()).group_by(InboxUpdate.status)
        )
        inbox = {status: int(n) for status, n in inbox_rows}
    got = [received.get(chat, 0) for chat in chats]
    missing = [max(0, per_update - n) for n in got]
    explained = sum(min(m, unknown.get(chat, 0)) for chat, m in zip(chats, missing, strict=True))
    return {
        "kill_updates": len(chats),
        "kill_messages_per_update": per_update,
        "kill_sent_at_kill": sent_at_kill,
        "kill_lost": sum(1 for n in got if n == 0),
        "kill_incomplete": sum(1 for n in got if 0 < n < per_update),
        "kill_duplicated": sum(1 for n in got if n > per_update),
        "kill_outbox_unknown": sum(unknown.get(chat, 0) for chat in chats),
        "kill_messages_missing": sum(missing),
        "kill_messages_missing_not_unknown": sum(missing) - explained,
        "kill_not_stored": len(chats) + 1 - sum(inbox.values()),
        "kill_inbox_not_done": sum(n for status, n in inbox.items() if status != "done"),
        "kill_outbox_not_sent": sum(n for status, n in outbox.items() if status != "sent"),
        "kill_restart_seconds": round(healthy, 2),
        "kill_recovered_seconds": round(last_send - restarted, 2),
    }


# ---------------------------------------------------------------- databases, main


def compile_catalogs(target: Path) -> Path:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "locales").glob("*/LC_MESSAGES/messages.po"):
        out = target / po.parent.parent.name / "LC_MESSAGES"
        out.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as source, (out / "messages.mo").open("wb") as sink:
            write_mo(sink, read_po(source))
    return target


@contextlib.contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A throwaway database on the server of `server_url`, dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(server_url.replace("postgres://", "postgresql://", 1)).set(
        drivername="postgresql"
    )
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = base.render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def run_database(
    label: str,
    urls: Callable[[str], contextlib.AbstractContextManager[str]],
    locales: Path,
    logs: Path,
    args: argparse.Namespace,
    echo: float,
) -> dict[str, Any]:
    report: dict[str, Any] = {}
    with urls("durable") as url:
        for key, value in (await run_durable(url, locales, args)).items():
            report[key] = value
            if key == "burst_updates_per_second":
                report["burst_share_of_echo"] = round(value / echo, 2)
    if not args.no_kill:
        with urls("kill") as url:
            report.update(await run_kill(url, locales, logs, args))
    return {f"{label}_{key}": value for key, value in report.items()}


async def main(args: argparse.Namespace) -> None:
    report: dict[str, Any] = {
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "users": args.users,
        "messages_per_user": len(MESSAGES),
        "sender_rate_limit_per_s": SENDER_RATE,
        "steady_rate_per_s": args.steady_rate,
        "steady_seconds": args.steady_seconds,
        "kill_at_share": args.kill_at_share,
        "kill_lease_seconds": args.kill_lease_seconds,
        "kill_quiet_seconds": args.kill_quiet_seconds,
        **{f"goal_{key}": value for key, value in GOALS.items()},
    }
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        locales = compile_catalogs(Path(folder) / "locales")
        logs = Path(folder)
        sequential = await run_echo(args.users, concurrent=False)
        concurrent = await run_echo(args.users, concurrent=True)
        report["echo_updates"] = sequential["updates"]
        report["echo_sequential_updates_per_second"] = sequential["updates_per_second"]
        report["echo_concurrent_updates_per_second"] = concurrent["updates_per_second"]
        echo = max(sequential["updates_per_second"], concurrent["updates_per_second"])
        report["echo_updates_per_second"] = echo

        @contextlib.contextmanager
        def sqlite(name: str) -> Iterator[str]:
            yield f"sqlite:///{folder}/{name}.db"

        report.update(await run_database("sqlite", sqlite, locales, logs, args, echo))
        if args.postgres_url:

            def postgres(_name: str) -> contextlib.AbstractContextManager[str]:
                return postgres_database(args.postgres_url)

            report.update(await run_database("postgresql", postgres, locales, logs, args, echo))
    report["bench_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report))


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200, help="burst: chats x 3 messages")
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--steady-rate", type=float, default=50.0, help="updates/s")
    parser.add_argument("--steady-seconds", type=float, default=20.0)
    parser.add_argument("--kill-updates", type=int, default=300)
    parser.add_argument(
        "--kill-at-share",
        type=float,
        default=0.3,
        help="SIGKILL once this share of the expected messages were sent",
    )
    parser.add_argument("--kill-lease-seconds", type=float, default=2.0)
    parser.add_argument("--kill-quiet-seconds", type=float, default=3.0)
    parser.add_argument("--no-steady", action="store_true")
    parser.add_argument("--no-kill", action="store_true")
    return parser.parse_args()


def _terminated(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # unwinds through the context managers that stop the children


if __name__ == "__main__":
    arguments = _parse()
    signal.signal(signal.SIGTERM, _terminated)
    asyncio.run(main(arguments))

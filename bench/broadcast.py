"""Broadcasts through the one outbound path (bot/outbound/sender.py) against the fake Telegram
Bot API, next to a bare loop of sendMessage calls to the same fake in the same run; prints one
JSON object.

Everything measured runs in a process of its own: the fake (tests/support/fake_telegram.py,
a fresh one per measurement) and every sender: the real `OutboxSender` and `TelegramChannel`
with the knobs `bot run` gives them (`SenderConfig`), reading its database like `bot run`, so
that its peak memory is its own (`VmHWM`, which starts afresh at exec; `ru_maxrss` would carry
this process's peak over). Quiet hours are off, so the figures do not depend on the time of
day. Databases: SQLite in a temporary file and, with --postgres-url or TEST_DATABASE_URL, a
throwaway PostgreSQL database (dropped afterwards); migrated, then filled as the broadcast
planner fills them: `recipients` users (Telegram chats from 10,000,000), one broadcasts row,
and one outbox row per user (`kind="broadcast"`, `broadcast_id`, a unique `dedup_key`).

- `unlimited_<db>_*` (a): rate limits off (`TELEGRAM_SENDS_PER_SECOND` far above what the fake
  takes; the addresses all differ, so the 1 s per chat never applies). `messages_per_second`:
  recipients / (the fake's last arrival - the sender's start); `peak_mb` and `cpu_seconds`:
  the sender process's; `sent_once`: every row `sent` and every chat got exactly one message.
  `share_of_bare`: messages_per_second / `bare_per_second` (goal: at least 0.5, and at least
  1,000 messages/s, so that the sender is never the bottleneck).
- `bare_httpx_per_second`: the floor of the stack: `recipients` sendMessage calls (JSON, each
  answer parsed) by `concurrency` workers sharing one httpx.AsyncClient with as many
  connections; `bare_lanes_per_second`: the same over the transport the channel uses
  (`BotApiLanes`: httpcore connections, one request at a time each). `bare_per_second` is
  the faster of the two. `bare_*_peak_mb` and `bare_*_cpu_seconds` as for the sender (the
  lanes' process imports the channel module, as the sender's does).
- `limited_<case>_*` (b): `TELEGRAM_SENDS_PER_SECOND` = `rate_limit`, `rate_limit x seconds`
  rows; one sender on SQLite (`sqlite_1`), one on PostgreSQL (`postgresql_1`), two started
  together on one PostgreSQL database (`postgresql_2`). From the fake's arrival times:
  `rate` = (n - 1) / (last - first arrival) (goal: within 5 % of the limit, and not above;
  the sender spaces its slots 3 % wider than 1 / limit, `SenderConfig.rate_headroom`);
  `max_in_any_second`: the most arrivals in any window [t, t + 1 s) (goal: never above the
  limit); `max_in_a_clock_second`: the same per second of the clock; `per_process`: the
  messages each sender sent; `sent_once` as above.
- `load_average_at_start` / `load_average_at_end`: the machine's 1-minute load (other work on
  the machine slows every figure down).

Usage: .venv/bin/python bench/broadcast.py [--recipients 20000] [--rate 25] [--seconds 20]
       [--concurrency 12] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from inbound import postgres_database  # noqa: E402

TOKEN = "123456:TEST-token"  # tests/support/fake_telegram.py
FIRST_CHAT = 10_000_000
TEXT = "Thông báo: sóng 2G tại xã Chiềng Sinh tắt từ ngày 15/10. Anh/chị kiểm tra máy nhé."
UNLIMITED = 1_000_000.0  # sends/s: far above what the fake can take
GOALS = {"messages_per_second": 1000, "share_of_bare": 0.5, "rate_within": 0.05}
START_DELAY = 4.0  # seconds: the senders of one case import and connect, then start together


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: since its exec), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _emit(figures: dict[str, Any]) -> None:
    print(json.dumps(figures), flush=True)


# ---------------------------------------------------------------- child processes


async def sender_child(database_url: str, fake_url: str, rate: float, start_at: float) -> None:
    """`--sender`: the real sender against the database until nothing is pending or sending."""
    from sqlalchemy import func, select

    from bot.channels.telegram import TelegramChannel
    from bot.outbound.sender import OutboxSender, SenderConfig
    from db.models import OutboxMessage
    from db.repositories.outbox import PENDING, SENDING
    from db.session import make_engine, make_sessionmaker

    engine = make_engine(database_url)
    sessionmaker = make_sessionmaker(engine)
    channel = TelegramChannel(TOKEN, base_url=f"{fake_url}/bot")
    delivered: Counter[str] = Counter()
    rates = {"telegram": rate, "zalo": rate}
    config = SenderConfig(rates=rates, chat_interval={"telegram": 1.0})  # no quiet hours
    sender = OutboxSender(
        sessionmaker,
        {"telegram": channel},
        config=config,
        rates=rates,
        on_outcome=lambda _channel, outcome: delivered.update([outcome.kind]),
    )
    unfinished = select(func.count()).where(OutboxMessage.status.in_((PENDING, SENDING)))
    await channel.start()  # as `bot run` does: getMe
    async with sessionmaker() as session:  # connect before the start
        await session.scalar(unfinished)
    await asyncio.sleep(max(0.0, start_at - time.time()))
    started, cpu = time.time(), time.process_time()
    stop = asyncio.Event()
    running = asyncio.create_task(sender.run(stop))
    while True:
        await asyncio.sleep(0.5)  # the figures come from the fake's clock, not from this
        async with sessionmaker() as session:
            if not await session.scalar(unfinished):
                break
    stop.set()
    await running
    await sender.drain(5)
    finished = time.time()
    await channel.aclose()
    await engine.dispose()
    _emit(
        {
            "started": started,
            "finished": finished,
            "cpu_seconds": round(time.process_time() - cpu, 2),
            "peak_mb": _peak_mb(),
            "outcomes": dict(delivered),
        }
    )


async def bare_child(mode: str, fake_url: str, count: int, concurrency: int) -> None:
    """`--bare`: `count` sendMessage calls by `concurrency` workers, nothing else."""
    import httpx

    url = f"{fake_url}/bot{TOKEN}/sendMessage"
    chats = iter(range(FIRST_CHAT, FIRST_CHAT + count))
    if mode == "httpx":
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        client = httpx.AsyncClient(limits=limits, timeout=10)

        async def post(body: bytes) -> bytes:
            response = await client.post(
                url, content=body, headers={"Content-Type": "application/json"}
            )
            return response.content

        close = client.aclose
    else:
        from bot.channels.telegram import BotApiLanes

        lanes = BotApiLanes(fake_url, concurrency, timeout=10)

        async def post(body: bytes) -> bytes:
            return (await lanes.post(url, body)).content

        close = lanes.aclose

    async def worker() -> None:
        for chat in chats:
            body = json.dumps({"chat_id": chat, "text": TEXT}, ensure_ascii=False).encode()
            if not json.loads(await post(body)).get("ok"):
                raise RuntimeError("the fake refused a message")

    started, cpu = time.time(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    finished = time.time()
    await close()
    cpu_seconds = round(time.process_time() - cpu, 2)
    _emit(
        {
            "started": started,
            "finished": finished,
            "cpu_seconds": cpu_seconds,
            "peak_mb": _peak_mb(),
        }
    )


# ---------------------------------------------------------------- processes and the fake


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _spawn(args: list[str], log: Path) -> subprocess.Popen[str]:
    with log.open("wb") as stderr:
        return subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True
        )


def _result(process: subprocess.Popen[str], log: Path, timeout: float = 600) -> dict[str, Any]:
    """The JSON line a child printed (its log tail when it failed)."""
    output, _ = process.communicate(timeout=timeout)
    if process.returncode != 0 or not output.strip():
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"child {process.args} exited with {process.returncode}:\n{tail}")
    return json.loads(output.strip().splitlines()[-1])


@contextlib.contextmanager
def fake_server(logs: Path) -> Iterator[str]:
    """A fresh fake Telegram Bot API in a process of its own; its base URL."""
    import httpx

    port = _free_port()
    process = _spawn(["-m", "tests.support.fake_telegram", str(port)], logs / f"fake-{port}.log")
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the fake Telegram server did not start")
            try:
                httpx.get(f"{url}/_test/stats", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def arrivals(fake_url: str) -> list[tuple[int, float]]:
    """Every message the fake took: (chat id, arrival time)."""
    import httpx

    response = httpx.get(f"{fake_url}/_test/arrivals", timeout=60)
    return [(int(chat), float(at)) for chat, at in response.json()["result"]]


# ---------------------------------------------------------------- databases


def fill(database_url: str, recipients: int) -> None:
    """Migrate, then write `recipients` users, a broadcast and its outbox rows."""
    from sqlalchemy import create_engine, insert
    from sqlalchemy.engine import make_url

    from db import migrate
    from db.models import Broadcast, OutboxMessage, User

    migrate.upgrade(database_url)
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    engine = create_engine(url)
    now = datetime.now(UTC)
    chats = range(FIRST_CHAT, FIRST_CHAT + recipients)
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(User),
                [
                    {"channel": "telegram", "external_id": str(c), "address": str(c),
                     "locale": "vi", "created_at": now, "last_seen_at": now}
                    for c in chats
                ],
            )  # fmt: skip
            users = dict(
                connection.execute(
                    User.__table__.select().with_only_columns(User.external_id, User.id)
                ).all()
            )
            broadcast = connection.execute(
                insert(Broadcast).returning(Broadcast.id),
                {"kind": "announcement", "status": "sending", "text_vi": TEXT, "audience": {},
                 "send_at": now, "started_at": now, "recipients": recipients, "skipped": 0},
            ).scalar_one()  # fmt: skip
            connection.execute(
                insert(OutboxMessage),
                [
                    {"channel": "telegram", "address": str(c), "user_id": users[str(c)],
                     "dedup_key": f"bc:{broadcast}:{users[str(c)]}", "kind": "broadcast",
                     "broadcast_id": broadcast, "body": {"text": TEXT}, "status": "pending",
                     "attempts": 0, "parts_sent": 0, "not_before": now, "created_at": now}
                    for c in chats
                ],
            )  # fmt: skip
    finally:
        engine.dispose()


def outbox_statuses(database_url: str) -> Counter[str]:
    from sqlalchemy import create_engine, func, select
    from sqlalchemy.engine import make_url

    from db.models import OutboxMessage

    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            return Counter({status: int(n) for status, n in connection.execute(query)})
    finally:
        engine.dispose()


# ---------------------------------------------------------------- figures


def sent_once(database_url: str, received: list[tuple[int, float]], recipients: int) -> bool:
    per_chat = Counter(chat for chat, _at in received)
    everyone = set(per_chat) == set(range(FIRST_CHAT, FIRST_CHAT + recipients))
    once = max(per_chat.values(), default=0) == 1
    return everyone and once and outbox_statuses(database_url) == Counter({"sent": recipients})


def window_figures(times: list[float]) -> dict[str, Any]:
    """Rate and the most arrivals in one second, sliding and per clock second."""
    times = sorted(times)
    most = max((bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)), default=0)
    per_clock_second = Counter(int(t) for t in times)
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    return {
        "rate": round((len(times) - 1) / span, 2) if span else None,
        "max_in_any_second": most,
        "max_in_a_clock_second": max(per_clock_second.values(), default=0),
        "seconds": round(span, 2),
    }


def run_senders(
    database_url: str, fake_url: str, rate: float, processes: int, logs: Path, label: str
) -> list[dict[str, Any]]:
    start_at = time.time() + START_DELAY
    children = [
        (
            _spawn(
                [__file__, "--sender", database_url, fake_url, str(rate), str(start_at)],
                logs / f"{label}-{n}.log",
            ),
            logs / f"{label}-{n}.log",
        )
        for n in range(processes)
    ]
    return [_result(process, log) for process, log in children]


def unlimited(database_url: str, label: str, args: argparse.Namespace, logs: Path) -> dict:
    fill(database_url, args.recipients)
    with fake_server(logs) as fake:
        [child] = run_senders(database_url, fake, UNLIMITED, 1, logs, f"unlimited-{label}")
        received = arrivals(fake)
    last = max(at for _chat, at in received)
    return {
        "messages_per_second": round(args.recipients / (last - child["started"]), 1),
        "peak_mb": child["peak_mb"],
        "cpu_seconds": child["cpu_seconds"],
        "sent_once": sent_once(database_url, received, args.recipients),
    }


def limited(
    database_url: str, processes: int, args: argparse.Namespace, logs: Path, label: str
) -> dict:
    rows = int(args.rate * args.seconds)
    fill(database_url, rows)
    with fake_server(logs) as fake:
        children = run_senders(database_url, fake, args.rate, processes, logs, label)
        received = arrivals(fake)
    figures = window_figures([at for _chat, at in received])
    figures["per_process"] = [child["outcomes"].get("delivered", 0) for child in children]
    figures["sent_once"] = sent_once(database_url, received, rows)
    return figures


def bare(mode: str, args: argparse.Namespace, logs: Path) -> dict[str, Any]:
    with fake_server(logs) as fake:
        process = _spawn(
            [__file__, "--bare", mode, fake, str(args.recipients), str(args.concurrency)],
            logs / f"bare-{mode}.log",
        )
        child = _result(process, logs / f"bare-{mode}.log")
    return {
        "per_second": round(args.recipients / (child["finished"] - child["started"]), 1),
        "peak_mb": child["peak_mb"],
        "cpu_seconds": child["cpu_seconds"],
    }


def main(args: argparse.Namespace) -> None:
    from bot.outbound.sender import SenderConfig

    report: dict[str, Any] = {
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "recipients": args.recipients,
        "concurrency": args.concurrency,
        "rate_limit": args.rate,
        "seconds": args.seconds,
        **{f"goal_{key}": value for key, value in GOALS.items()},
    }
    assert args.concurrency == SenderConfig().broadcast_concurrency, "compare like with like"
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        logs = Path(folder)

        def sqlite(name: str) -> contextlib.AbstractContextManager[str]:
            return contextlib.nullcontext(f"sqlite:///{folder}/{name}.db")

        def postgres(_name: str) -> contextlib.AbstractContextManager[str]:
            return postgres_database(args.postgres_url)

        makers = [("sqlite", sqlite)] + ([("postgresql", postgres)] if args.postgres_url else [])
        for mode in ("httpx", "lanes"):
            report.update({f"bare_{mode}_{k}": v for k, v in bare(mode, args, logs).items()})
        floor = max(report["bare_httpx_per_second"], report["bare_lanes_per_second"])
        report["bare_per_second"] = floor
        for label, make in makers:
            with make("unlimited") as url:
                figures = unlimited(url, label, args, logs)
            figures["share_of_bare"] = round(figures["messages_per_second"] / floor, 2)
            report.update({f"unlimited_{label}_{k}": v for k, v in figures.items()})
        cases = [("sqlite_1", sqlite, 1)]
        if args.postgres_url:
            cases += [("postgresql_1", postgres, 1), ("postgresql_2", postgres, 2)]
        for label, make, processes in cases:
            with make(f"limited-{label}") as url:
                figures = limited(url, processes, args, logs, label)
            report.update({f"limited_{label}_{k}": v for k, v in figures.items()})
    report["load_average_at_end"] = round(os.getloadavg()[0], 2)
    report["bench_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report))


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=20_000, help="(a): broadcast rows")
    parser.add_argument("--rate", type=float, default=25.0, help="(b): sends/s, the limit")
    parser.add_argument("--seconds", type=float, default=20.0, help="(b): length of a run")
    parser.add_argument(
        "--concurrency", type=int, default=12, help="requests in flight (the sender's)"
    )
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_DATABASE_URL"))
    return parser.parse_args()


def _terminated(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # unwinds through the context managers that stop the children


if __name__ == "__main__":
    if sys.argv[1:2] == ["--sender"]:
        url, fake, rate, start = sys.argv[2:6]
        asyncio.run(sender_child(url, fake, float(rate), float(start)))
    elif sys.argv[1:2] == ["--bare"]:
        mode, fake, count, concurrency = sys.argv[2:6]
        asyncio.run(bare_child(mode, fake, int(count), int(concurrency)))
    else:
        signal.signal(signal.SIGTERM, _terminated)
        main(_parse())

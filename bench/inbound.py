"""Inbound throughput through the fake Telegram Bot API; prints one JSON object.

Latency is reported three ways. Turn latency is the time a turn takes once it holds a
database slot (the runner's own measure, also exported as `bot_turn_seconds`), under the
burst. Waiting is the time an update spent queued for its conversation lock and a slot
(`bot_turn_wait_seconds`): with all 3,000 updates arriving at once it grows with the queue, not
with the cost of a turn. One at a time is the whole turn, waiting included, with no queue.

1,000 simulated users each send a menu command, a question and a device check (3,000
updates), queued on the fake server and fetched by python-telegram-bot's polling. Measured:
updates per second and p50/p99 turn latency of the full bot, on SQLite and (when
--postgres-url or TEST_DATABASE_URL is given) on PostgreSQL, next to a bare PTB echo bot on the
same fake server in the same run.

Usage: .venv/bin/python bench/inbound.py [--users N] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import ApplicationBuilder, MessageHandler, filters  # noqa: E402

from bot.app import build_app  # noqa: E402
from bot.channels.telegram import TelegramChannel, build_application  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.runner import TurnTiming  # noqa: E402
from db import migrate  # noqa: E402
from tests.support.fake_telegram import TOKEN  # noqa: E402

MESSAGES = ["/start", "khi nao tat song 2g vay ad", "may cua me e la nokia 1280"]


class FakeServer:
    """The fake Telegram Bot API in its own process, so it does not share our event loop."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> FakeServer:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.fake_telegram", str(self.port)], cwd=ROOT
        )
        for _ in range(200):
            try:
                httpx.get(f"{self.base_url}/_test/stats", timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("fake Telegram server did not start")

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def queue_updates(fake: FakeServer, users: int) -> int:
    chat_ids = [10_000 + user for user in range(users)]
    async with httpx.AsyncClient() as client:
        for message in MESSAGES:
            await client.post(
                f"{fake.base_url}/_test/enqueue", json={"chat_ids": chat_ids, "text": message}
            )
    return users * len(MESSAGES)


async def wait_until(condition, timeout: float = 600.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark did not finish")
        await asyncio.sleep(0.02)


async def run_bot(
    fake: FakeServer, database_url: str, users: int, locales: Path
) -> dict[str, float]:
    await asyncio.to_thread(migrate.upgrade, database_url)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        locales_dir=locales,
        cache_dir=ROOT / "var" / "cache",
    )
    app = build_app(settings)
    worked: list[float] = []
    waited: list[float] = []

    def observe(timing: TurnTiming) -> None:
        worked.append(timing.worked_seconds)
        waited.append(timing.waited_seconds)

    app.runner.observe_timings(observe)
    application = build_application(TOKEN, base_url=f"{fake.base_url}/bot")
    TelegramChannel(application, app.runner.handle)
    total = await queue_updates(fake, users)
    await application.initialize()
    await application.start()
    start = time.perf_counter()
    await application.updater.start_polling(timeout=1, poll_interval=0)
    await wait_until(lambda: len(worked) >= total)
    elapsed = time.perf_counter() - start
    await application.updater.stop()
    await application.stop()
    await application.shutdown()
    unloaded = await one_at_a_time(app, users)
    await app.aclose()
    return {
        "updates": total,
        "updates_per_second": round(total / elapsed, 1),
        "turn_p50_ms": _ms(worked, 0.5),
        "turn_p99_ms": _ms(worked, 0.99),
        "wait_p50_ms_under_burst": _ms(waited, 0.5),
        "wait_p99_ms_under_burst": _ms(waited, 0.99),
        "turn_p50_ms_one_at_a_time": _ms(unloaded, 0.5),
        "turn_p99_ms_one_at_a_time": _ms(unloaded, 0.99),
        "errors": app.runner.errors,
    }


def _ms(seconds: list[float], share: float) -> float:
    ordered = sorted(seconds)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 2)


async def one_at_a_time(app, users: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Turn latency without queueing: the same mix, one message after the other."""
    from bot.core.messages import Incoming

    times = []
    for user in range(min(users, 300)):
        for message in MESSAGES:
            incoming = Incoming(channel="bench", user_id=str(user), text=message)
            start = time.perf_counter()
            await app.runner.handle(incoming)
            times.append(time.perf_counter() - start)
    return times


async def run_echo(fake: FakeServer, users: int) -> dict[str, float]:
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(f"{fake.base_url}/bot")
        .concurrent_updates(True)
        .build()
    )
    done = 0

    async def echo(update: Update, _context) -> None:  # type: ignore[no-untyped-def]
        nonlocal done
        await update.message.reply_text(update.message.text)
        done += 1

    application.add_handler(MessageHandler(filters.TEXT, echo))
    total = await queue_updates(fake, users)
    await application.initialize()
    await application.start()
    start = time.perf_counter()
    await application.updater.start_polling(timeout=1, poll_interval=0)
    await wait_until(lambda: done >= total)
    elapsed = time.perf_counter() - start
    await application.updater.stop()
    await application.stop()
    await application.shutdown()
    return {"updates": total, "updates_per_second": round(total / elapsed, 1)}


def compile_catalogs(target: Path) -> Path:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "locales").glob("*/LC_MESSAGES/messages.po"):
        out = target / po.parent.parent.name / "LC_MESSAGES"
        out.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as source, (out / "messages.mo").open("wb") as sink:
            write_mo(sink, read_po(source))
    return target


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_DATABASE_URL"))
    args = parser.parse_args()
    report: dict[str, object] = {"users": args.users, "messages_per_user": len(MESSAGES)}
    with tempfile.TemporaryDirectory() as folder:
        locales = compile_catalogs(Path(folder) / "locales")
        with FakeServer() as fake:
            report["echo_bot"] = await run_echo(fake, args.users)
            report["bot_sqlite"] = await run_bot(
                fake, f"sqlite:///{folder}/bench.db", args.users, locales
            )
            if args.postgres_url:
                report["bot_postgresql"] = await run_postgres(
                    fake, args.postgres_url, args.users, locales
                )
    echo = report["echo_bot"]["updates_per_second"]  # type: ignore[index]
    for key in ("bot_sqlite", "bot_postgresql"):
        if key in report:
            report[key]["share_of_echo_throughput"] = round(  # type: ignore[index]
                report[key]["updates_per_second"] / echo,
                2,  # type: ignore[index]
            )
    print(json.dumps(report))


async def run_postgres(
    fake: FakeServer, server_url: str, users: int, locales: Path
) -> dict[str, float]:
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
        return await run_bot(
            fake, base.set(database=name).render_as_string(hide_password=False), users, locales
        )
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())

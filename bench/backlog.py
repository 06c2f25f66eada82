"""Memory of `bot run` while a long queue waits; prints one JSON object.

The fake Telegram server holds UPDATES text updates before the bot starts (a bot that was
down for a while). `bot run` (polling, SQLite, a fresh database) stores them in the inbox as
fast as it can fetch them — 100 per getUpdates — and answers them at its own pace, so most of
them wait in the database, not in memory. Printed: the bot's resident memory (VmRSS of its
process) once it is healthy, its peak while storing and answering, the inbox's largest
pending count seen, and the updates handled by the end. With INBOX_MAX_PENDING below the
queue (`--max-pending`), polling pauses at that limit instead.

Usage: .venv/bin/python bench/backlog.py [--updates 60000] [--seconds 60] [--max-pending N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.support.fake_telegram import TOKEN  # noqa: E402

CACHE_DIR = ROOT / "var" / "cache"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def inbox_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path, timeout=30) as connection:
        rows = connection.execute("SELECT status, count(*) FROM inbox GROUP BY status").fetchall()
    return {status: count for status, count in rows}


async def wait_http(url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(url)).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def compile_catalogs(target: Path) -> Path:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "locales").glob("*/LC_MESSAGES/messages.po"):
        out = target / po.parent.parent.name / "LC_MESSAGES"
        out.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as source, (out / "messages.mo").open("wb") as handle:
            write_mo(handle, read_po(source, locale=po.parent.parent.name))
    return target


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=60_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-pending", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        database = work / "bot.db"
        fake_port, bot_port = free_port(), free_port()
        fake = subprocess.Popen(
            [sys.executable, "-m", "tests.support.fake_telegram", str(fake_port)], cwd=ROOT
        )
        bot = None
        try:
            base = f"http://127.0.0.1:{fake_port}"
            await wait_http(f"{base}/_test/stats")
            async with httpx.AsyncClient(timeout=120) as client:
                for start in range(0, args.updates, 5000):
                    chats = list(range(start + 1, min(args.updates, start + 5000) + 1))
                    await client.post(
                        f"{base}/_test/enqueue", json={"chat_ids": chats, "text": "/start"}
                    )
            env = {k: v for k, v in os.environ.items() if not k.endswith("_BOT_TOKEN")}
            env.update(
                DATABASE_URL=f"sqlite:///{database}",
                TELEGRAM_BOT_TOKEN=TOKEN,
                TELEGRAM_BASE_URL=f"{base}/bot",
                HTTP_PORT=str(bot_port),
                LOCALES_DIR=str(compile_catalogs(work / "locales")),
                CACHE_DIR=str(CACHE_DIR),
                INBOX_MAX_PENDING=str(args.max_pending or args.updates * 2),
                TELEGRAM_SENDS_PER_SECOND="100000",
            )
            subprocess.run(
                [sys.executable, "-m", "bot", "db", "upgrade"], env=env, cwd=ROOT, check=True
            )
            bot = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"], env=env, cwd=ROOT, stderr=subprocess.DEVNULL
            )
            await wait_http(f"http://127.0.0.1:{bot_port}/healthz")
            at_start = peak = rss_mb(bot.pid)
            largest_pending = 0
            deadline = time.monotonic() + args.seconds
            while time.monotonic() < deadline:
                await asyncio.sleep(1.0)
                peak = max(peak, rss_mb(bot.pid))
                largest_pending = max(largest_pending, inbox_counts(database).get("pending", 0))
            counts = inbox_counts(database)
        finally:
            if bot is not None:
                bot.terminate()
                bot.wait(30)
            fake.terminate()
            fake.wait(30)
    print(
        json.dumps(
            {
                "queued_updates": args.updates,
                "seconds": args.seconds,
                "inbox_max_pending": args.max_pending or args.updates * 2,
                "rss_mb_when_healthy": at_start,
                "rss_mb_peak": peak,
                "rss_growth_mb": round(peak - at_start, 1),
                "largest_pending_seen": largest_pending,
                "inbox_at_end": counts,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())

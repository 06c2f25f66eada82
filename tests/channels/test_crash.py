"""`bot run` killed with SIGKILL in the middle of a burst and started again, for Telegram
and Zalo, webhook and polling, on SQLite and PostgreSQL, the fake platform redelivering what
got no 200 (or no offset): every update is answered, and nothing is sent twice.

A message whose request was on its way at the kill is `unknown` (not resent: the platform
may have delivered it); the test checks it arrived at most once. Zalo's getUpdates confirms
nothing, so the one update handed out at the instant of the kill may be lost; nothing else.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter

import pytest
from sqlalchemy import select

from db.models import InboxUpdate, OutboxMessage
from db.session import make_engine
from tests.support import fake_telegram, fake_zalo
from tests.support.processes import BotProcess, bot_env, free_port, wait_until
from tests.support.recording import deliver_until_accepted
from tests.support.servers import serving

pytestmark = [pytest.mark.db, pytest.mark.slow]
SECRET = "crash-test-secret"
BURST = 120  # people, one "/start" each: two messages each (greeting, menu)
PER_ANSWER = 2


class Platform:
    """One fake platform, as the crash test drives it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.fake = fake_telegram.FakeTelegram() if name == "telegram" else fake_zalo.FakeZalo()

    def settings(self, base_url: str, port: int, webhook: bool) -> dict[str, str]:
        prefix = self.name.upper()
        values = {
            f"{prefix}_BOT_TOKEN": self.fake.token,
            f"{prefix}_BASE_URL": f"{base_url}/bot" if self.name == "telegram" else base_url,
        }
        if webhook:
            values[f"{prefix}_WEBHOOK_URL"] = self.hook(port)
            values[f"{prefix}_WEBHOOK_SECRET"] = SECRET
        return values

    def env(self, base_url: str, port: int, *, webhook: bool, **settings: str) -> dict[str, str]:
        """The environment of a `bot run` against this platform (paths from `settings`)."""
        return {"HTTP_PORT": str(port), **self.settings(base_url, port, webhook), **settings}

    def hook(self, port: int) -> str:
        return f"http://127.0.0.1:{port}/{self.name}/webhook"

    def headers(self) -> dict[str, str]:
        if self.name == "telegram":
            return {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        return {"X-Bot-Api-Secret-Token": SECRET}

    def updates(self) -> list[dict]:
        if self.name == "telegram":
            return [self.fake.text_update(1000 + i, "/start") for i in range(BURST)]
        return [self.fake.update(f"z{i}", "/start") for i in range(BURST)]

    @staticmethod
    def chat_of(update: dict) -> object:
        return update["message"]["chat"]["id"]

    async def queue(self, updates: list[dict]) -> None:
        for update in updates:
            await self.fake.deliver(update)


async def outbox_and_inbox(url: str) -> tuple[list[tuple[str, str, str]], Counter[str]]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            outbox = (
                await connection.execute(
                    select(OutboxMessage.address, OutboxMessage.status, OutboxMessage.body)
                )
            ).all()
            inbox = Counter((await connection.execute(select(InboxUpdate.status))).scalars().all())
    finally:
        await engine.dispose()
    return [(a, s, b["text"]) for a, s, b in outbox], inbox


@pytest.mark.parametrize("mode", ["webhook", "polling"])
@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_sigkill_in_a_burst_loses_nothing_and_sends_nothing_twice(
    channel, mode, database_url, tmp_path, locales_dir, bot_cache_dir
):
    platform = Platform(channel)
    webhook = mode == "webhook"
    async with serving(platform.fake.app()) as base_url:
        platform.fake.base_url = base_url
        port = free_port()
        env = bot_env(
            tmp_path,
            locales_dir,
            **platform.env(
                base_url,
                port,
                webhook=webhook,
                DATABASE_URL=database_url,
                CACHE_DIR=str(bot_cache_dir),
                OUTBOX_LEASE_SECONDS="1",
                OUTBOX_POLL_SECONDS="0.2",
                TELEGRAM_SENDS_PER_SECOND="2000",
                ZALO_SENDS_PER_SECOND="2000",
            ),
        )
        updates = platform.updates()
        chats = [platform.chat_of(update) for update in updates]
        bot = await BotProcess.start(env, tmp_path / "first.log")
        await bot.wait_healthy(port)
        pushing = None
        if webhook:
            pushing = asyncio.create_task(
                deliver_until_accepted(platform.hook(port), updates, platform.headers())
            )
        else:
            await platform.queue(updates)
        sent = platform.fake.sent
        await wait_until(lambda: len(sent) >= BURST * PER_ANSWER // 3, 60, "the first replies")
        os.kill(bot.process.pid, signal.SIGKILL)
        await bot.process.wait()
        sent_at_kill = len(sent)
        assert sent_at_kill < BURST * PER_ANSWER, "the kill came after the burst"
        handed_out_before = len(getattr(platform.fake, "handed_out", []))
        again = await BotProcess.start(env, tmp_path / "second.log")
        try:
            if pushing is not None:
                await asyncio.wait_for(pushing, 90)

            def answered() -> bool:
                return sum(1 for c in set(chats) if platform.fake.texts_to(c)) >= BURST - 1

            await wait_until(answered, 90, "the answers")
            await asyncio.sleep(2.5)  # leases of the killed process run out; stragglers
        finally:
            code = await again.stop()
        assert code == 0, again.log_tail()

    outbox, inbox = await outbox_and_inbox(database_url)
    unknown = [(a, t) for a, s, t in outbox if s == "unknown"]
    assert inbox.get("pending", 0) == 0 and inbox.get("failed", 0) == 0, inbox
    assert {s for _a, s, _t in outbox} <= {"sent", "unknown"}, Counter(s for _a, s, _t in outbox)
    # Nothing twice: no person got the same text two times.
    twice = [c for c in chats if max(Counter(platform.fake.texts_to(c)).values(), default=0) > 1]
    assert twice == []
    # Nothing lost: each person got both messages, except a message left unknown at the kill.
    unknown_chats = {a for a, _t in unknown}
    short = [c for c in chats if len(platform.fake.texts_to(c)) < PER_ANSWER]
    lost = [c for c in short if str(c) not in unknown_chats]
    if channel == "zalo" and not webhook:
        # Only the update handed out as the process died may be lost (Zalo confirms nothing).
        assert len(lost) <= 1, lost
        if lost:
            handed = platform.fake.handed_out[:handed_out_before]
            assert platform.chat_of(handed[-1]) in lost or len(handed) < BURST
    else:
        assert lost == [], (lost, inbox)
    assert len(unknown) <= 50  # at most the sends in flight at the kill
    print(f"{channel} {mode}: {sent_at_kill} sent at the kill, {len(unknown)} unknown, lost {lost}")


async def test_sigterm_in_a_backlog_stops_within_the_grace_and_keeps_the_rest(
    sqlite_url, tmp_path, locales_dir, bot_cache_dir
):
    platform = Platform("telegram")
    async with serving(platform.fake.app()) as base_url:
        platform.fake.base_url = base_url
        port = free_port()
        env = bot_env(
            tmp_path,
            locales_dir,
            **platform.env(
                base_url,
                port,
                webhook=False,
                DATABASE_URL=sqlite_url,
                CACHE_DIR=str(bot_cache_dir),
                SHUTDOWN_GRACE_SECONDS="3",
            ),
        )
        backlog = [platform.fake.text_update(5000 + i, "/start") for i in range(300)]
        bot = await BotProcess.start(env, tmp_path / "first.log")
        await bot.wait_healthy(port)
        await platform.queue(backlog)
        await wait_until(lambda: len(platform.fake.sent) >= 10, 60, "the first replies")
        asked = time.monotonic()
        code = await bot.stop()
        stopped_in = time.monotonic() - asked
        assert code == 0, bot.log_tail()
        assert stopped_in < 6, stopped_in  # the grace (3 s) and the HTTP server's close
        _outbox, inbox = await outbox_and_inbox(sqlite_url)
        assert inbox["pending"] > 0 and inbox["done"] > 0  # the rest waits, stored
        again = await BotProcess.start(env, tmp_path / "second.log")
        try:
            chats = {platform.chat_of(update) for update in backlog}
            await wait_until(
                lambda: all(platform.fake.texts_to(c) for c in chats), 120, "the backlog"
            )
        finally:
            assert await again.stop() == 0, again.log_tail()
    _outbox, inbox = await outbox_and_inbox(sqlite_url)
    assert set(inbox) == {"done"}

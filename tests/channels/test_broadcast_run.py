"""A broadcast as `bot run` carries it: its scheduler starts it when due, the sender sends
it to the fake Telegram server within the rate; killed with SIGKILL half-way and started
again, it resumes, every subscriber gets it at most once (a message in flight at the kill is
`unknown`, never resent), it finishes with its report, and its author is told once. Quiet
hours hold it back."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.services.broadcasts import BroadcastService
from db.models import Broadcast, OutboxMessage, Subscription, User
from db.repositories.broadcasts import Audience
from db.session import make_engine, make_sessionmaker
from tests.support import fake_telegram
from tests.support.processes import BotProcess, free_port, sender_env, wait_until
from tests.support.servers import serving
from tests.support.staff import SON_LA, add_staff

pytestmark = [pytest.mark.db, pytest.mark.slow]
SUBSCRIBERS = 60
AUTHOR_CHAT = 6999


async def prepare(app, url: str, *, send_at: datetime) -> int:
    """SUBSCRIBERS Telegram subscribers of Sơn La (chats 7000…), an admin (chat 6999) and
    their announcement for `send_at`; its id."""
    staff = await add_staff(app, str(AUTHOR_CHAT), "admin", province=SON_LA, channel="telegram")
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            author = await session.scalar(select(User).where(User.external_id == str(AUTHOR_CHAT)))
            assert author is not None
            author.address = str(AUTHOR_CHAT)
            for number in range(SUBSCRIBERS):
                user = User(
                    channel="telegram",
                    external_id=str(7000 + number),
                    locale="vi",
                    address=str(7000 + number),
                )
                session.add(user)
                await session.flush()
                session.add(
                    Subscription(
                        user_id=user.id, province_code=SON_LA, consent_text_version="sub-2026-12"
                    )
                )
            service = BroadcastService(session, content=app.content, places=app.places)
            row = await service.create(
                staff,
                text_vi="Xã phát máy 4G cho hộ nghèo ngày 20/12.",
                text_en=None,
                audience=Audience(),
                send_at=send_at,
                author_user_id=author.id,
            )
            return row.id
    finally:
        await engine.dispose()


async def broadcast_state(url: str, broadcast_id: int) -> tuple[Broadcast, list[OutboxMessage]]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            row = await session.get(Broadcast, broadcast_id)
            messages = list(
                await session.scalars(
                    select(OutboxMessage).where(OutboxMessage.broadcast_id == broadcast_id)
                )
            )
            assert row is not None
            return row, messages
    finally:
        await engine.dispose()


async def test_a_broadcast_killed_half_way_resumes_and_reaches_everyone_once(
    make_app, database_url, tmp_path, locales_dir, bot_cache_dir
):
    app = make_app(database_url)
    broadcast_id = await prepare(app, database_url, send_at=datetime.now(UTC))
    fake = fake_telegram.FakeTelegram()
    async with serving(fake.app()) as base_url:
        fake.base_url = base_url
        port = free_port()
        env = sender_env(
            tmp_path,
            locales_dir,
            bot_cache_dir,
            database_url,
            fake,
            port,
            TELEGRAM_SENDS_PER_SECOND="15",
            OUTBOX_LEASE_SECONDS="1",
        )
        await BotProcess.killed_when(
            env,
            tmp_path / "first.log",
            port,
            lambda: len(fake.sent) >= SUBSCRIBERS // 3,
            "the first messages",
        )
        sent_at_kill = len(fake.sent)
        assert sent_at_kill < SUBSCRIBERS, "the kill came after the broadcast"
        again = await BotProcess.start(env, tmp_path / "second.log")
        try:
            await wait_until(lambda: fake.texts_to(AUTHOR_CHAT), 90, "the author's report")
        finally:
            assert await again.stop() == 0, again.log_tail()
    row, messages = await broadcast_state(database_url, broadcast_id)
    per_chat = Counter(m["chat_id"] for m in fake.sent if m["chat_id"] != AUTHOR_CHAT)
    assert max(per_chat.values()) == 1, "a subscriber got the broadcast twice"
    unknown = {int(m.address) for m in messages if m.status == "unknown"}
    missing = {7000 + n for n in range(SUBSCRIBERS)} - set(per_chat)
    assert missing <= unknown
    assert row.status == "done" and row.recipients == SUBSCRIBERS
    assert sum(row.report.values()) == SUBSCRIBERS
    sent = {int(m.address) for m in messages if m.status == "sent"}
    assert sent <= set(per_chat)  # what is recorded as sent arrived
    assert set(per_chat) <= sent | unknown  # what arrived unrecorded was in flight at the kill
    [report] = fake.texts_to(AUTHOR_CHAT)
    assert report.startswith(f"Thông báo số {broadcast_id} đã gửi xong:")
    print(f"broadcast: {sent_at_kill} sent at the kill, {len(unknown)} unknown")


async def test_quiet_hours_hold_a_broadcast_back(
    make_app, sqlite_url, tmp_path, locales_dir, bot_cache_dir
):
    app = make_app(sqlite_url)
    broadcast_id = await prepare(app, sqlite_url, send_at=datetime.now(UTC))
    here = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    quiet = f"{(here - timedelta(hours=1)):%H:00}-{(here + timedelta(hours=2)):%H:00}"
    fake = fake_telegram.FakeTelegram()
    async with serving(fake.app()) as base_url:
        fake.base_url = base_url
        port = free_port()
        env = sender_env(tmp_path, locales_dir, bot_cache_dir, sqlite_url, fake, port)
        env["QUIET_HOURS"] = quiet
        bot = await BotProcess.start(env, tmp_path / "bot.log")
        try:
            await bot.wait_healthy(port)
            await fake.deliver(fake.text_update(42, "/start"))  # a reply is not held
            await fake.wait_for_messages(42, 2, timeout=30)
            await asyncio.sleep(3)
        finally:
            assert await bot.stop() == 0, bot.log_tail()
    row, messages = await broadcast_state(sqlite_url, broadcast_id)
    assert row.status == "sending" and len(messages) == SUBSCRIBERS
    assert {m.status for m in messages} == {"pending"}
    assert [m["chat_id"] for m in fake.sent] == [42, 42]


async def test_two_processes_on_one_postgresql_send_each_message_once(
    make_app, postgres_database, tmp_path, locales_dir, bot_cache_dir
):
    postgres_database.truncate()
    url = postgres_database.url
    app = make_app(url)
    broadcast_id = await prepare(app, url, send_at=datetime.now(UTC))
    fake = fake_telegram.FakeTelegram()
    fake.blocked_chats.update({7003, 7004})  # two people blocked the bot
    fake.send_failures = ["429"] * 5  # and the platform pushes back at first
    async with serving(fake.app()) as base_url:
        fake.base_url = base_url
        ports = free_port(), free_port()
        processes = []
        for number, port in enumerate(ports):
            env = sender_env(
                tmp_path,
                locales_dir,
                bot_cache_dir,
                url,
                fake,
                port,
                TELEGRAM_SENDS_PER_SECOND="40",
                TELEGRAM_WEBHOOK_URL=(f"http://127.0.0.1:{port}/telegram/webhook"),
                TELEGRAM_WEBHOOK_SECRET="two-processes",
            )
            processes.append(await BotProcess.start(env, tmp_path / f"bot{number}.log"))
        try:
            for process, port in zip(processes, ports, strict=True):
                await process.wait_healthy(port)
            await wait_until(lambda: fake.texts_to(AUTHOR_CHAT), 90, "the author's report")
        finally:
            for process in processes:
                assert await process.stop() == 0, process.log_tail()
    row, _messages = await broadcast_state(url, broadcast_id)
    per_chat = Counter(m["chat_id"] for m in fake.sent if m["chat_id"] != AUTHOR_CHAT)
    assert max(per_chat.values()) == 1
    assert set(per_chat) == {7000 + n for n in range(SUBSCRIBERS)} - {7003, 7004}
    assert row.report == {"sent": SUBSCRIBERS - 2, "blocked": 2}
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            ended = await session.scalars(
                select(Subscription.ended_by).where(Subscription.ended_at.is_not(None))
            )
            assert sorted(ended) == ["blocked", "blocked"]
    finally:
        await engine.dispose()
    assert len(fake.texts_to(AUTHOR_CHAT)) == 1

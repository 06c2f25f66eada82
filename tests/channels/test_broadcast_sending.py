"""Broadcasts through the one outbound path (issue 14): the rate of a bot token holds for two
`bot run` processes on one PostgreSQL database, each recipient gets a message once, also across
a SIGKILL; quiet hours hold broadcast rows (never replies) and a broadcast under way pauses and
resumes by itself; Zalo's daily and monthly caps are counted from the outbox; a person who
blocked the bot is unsubscribed; cancelled rows are never sent and count as finished."""

from __future__ import annotations

import asyncio
import bisect
import os
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from db.models import Broadcast, OutboxMessage, Subscription, User, utcnow
from db.repositories.outbox import NewMessage, OutboxRepository
from db.repositories.subscriptions import SubscriptionRepository
from db.session import make_engine, make_sessionmaker
from tests.support import fake_telegram
from tests.support.fake_zalo import FakeZalo
from tests.support.processes import BotProcess, free_port, sender_env, wait_until
from tests.support.runtime import fast_settings, running
from tests.support.servers import serving

pytestmark = pytest.mark.db
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


class SetClock:
    """The sender's clock: real time, moved to a chosen local moment (and moved again)."""

    def __init__(self, local: datetime) -> None:
        self.set(local)

    def set(self, local: datetime) -> None:
        self.offset = local.astimezone(UTC) - datetime.now(UTC)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


async def broadcast_to(
    sessionmaker, chats: list[str], *, channel: str = "telegram", status: str = "pending"
) -> int:
    """Users for these chats (made when new), one broadcast, and one outbox row per user as
    the broadcast planner writes them; the broadcast's id."""
    now = utcnow()
    async with sessionmaker() as session, session.begin():
        broadcast = Broadcast(
            kind="announcement", status="sending", text_vi="Thông báo", audience={}, send_at=now
        )
        session.add(broadcast)
        await session.flush()
        for chat in chats:
            user = await session.scalar(
                select(User).where(User.channel == channel, User.external_id == chat)
            )
            if user is None:
                user = User(channel=channel, external_id=chat, address=chat, locale="vi")
                session.add(user)
                await session.flush()
            session.add(
                OutboxMessage(
                    channel=channel,
                    address=chat,
                    user_id=user.id,
                    dedup_key=f"bc:{broadcast.id}:{user.id}",
                    kind="broadcast",
                    broadcast_id=broadcast.id,
                    body={"text": f"Thông báo {broadcast.id}"},
                    status=status,
                    finished_at=now - timedelta(days=10) if status != "pending" else None,
                )
            )
        return broadcast.id


async def reply_to(sessionmaker, chat: str, text: str, *, channel: str = "telegram") -> None:
    async with sessionmaker() as session, session.begin():
        await OutboxRepository(session).add(
            [NewMessage(channel, chat, f"reply:{chat}:{text}", "reply", {"text": text})]
        )


async def rows(sessionmaker) -> list[tuple[str, str, str]]:
    """(kind, address, status) of every outbox row, oldest first."""
    async with sessionmaker() as session:
        query = select(OutboxMessage.kind, OutboxMessage.address, OutboxMessage.status)
        return [tuple(row) for row in await session.execute(query.order_by(OutboxMessage.id))]


async def settle(sessionmaker, until, timeout: float = 15.0) -> list[tuple[str, str, str]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await rows(sessionmaker)
        if until(found):
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"the outbox is {await rows(sessionmaker)}")


def most_in_one_second(times: list[float]) -> int:
    """The most arrivals in any window [t, t + 1 s)."""
    ordered = sorted(times)
    return max((bisect.bisect_left(ordered, t + 1.0) - i for i, t in enumerate(ordered)), default=0)


def telegram_app(make_app, database_url, fake, **overrides):
    return make_app(
        database_url,
        telegram_bot_token=fake_telegram.TOKEN,
        telegram_base_url=f"{fake.base_url}/bot",
        **fast_settings(**overrides),
    )


# ---------------------------------------------------------------- in the test's process


async def test_quiet_hours_hold_broadcast_rows_but_never_replies(
    make_app, database_url, telegram_fake
):
    fake = telegram_fake
    app = telegram_app(make_app, database_url, fake, quiet_hours="21:00-07:00")
    sessionmaker = app.runner.sessionmaker
    await broadcast_to(sessionmaker, ["5", "6"])
    await reply_to(sessionmaker, "5", "trả lời")  # written after the broadcast row to chat 5
    clock = SetClock(datetime(2026, 12, 3, 22, 0, tzinfo=ZONE))
    async with running(app) as runtime:
        runtime.sender.clock = clock
        runtime.sender.wake("telegram", "5")
        await settle(sessionmaker, lambda found: ("reply", "5", "sent") in found)
        await asyncio.sleep(0.6)  # a dozen polls of the outbox
        assert [t for t in await rows(sessionmaker) if t[0] == "broadcast"] == [
            ("broadcast", "5", "pending"),
            ("broadcast", "6", "pending"),
        ]
        assert fake.texts_to(5) == ["trả lời"] and fake.texts_to(6) == []
        clock.set(datetime(2026, 12, 4, 7, 0, 1, tzinfo=ZONE))  # the morning
        await settle(sessionmaker, lambda found: all(s == "sent" for _k, _a, s in found))
    assert fake.texts_to(5) == ["trả lời", "Thông báo 1"] and len(fake.texts_to(6)) == 1


async def test_a_broadcast_reaching_quiet_hours_pauses_and_resumes_in_the_morning(
    make_app, database_url, telegram_fake
):
    fake = telegram_fake
    app = telegram_app(
        make_app, database_url, fake, quiet_hours="21:00-07:00", telegram_sends_per_second=10.0
    )
    sessionmaker = app.runner.sessionmaker
    chats = [str(1000 + n) for n in range(40)]
    await broadcast_to(sessionmaker, chats)
    evening = datetime(2026, 12, 3, 20, 59, 58, 500000, tzinfo=ZONE)
    clock = SetClock(evening)
    quiet_from = datetime(2026, 12, 3, 21, 0, tzinfo=ZONE)
    async with running(app) as runtime:
        runtime.sender.clock = clock
        await asyncio.sleep(3.0)  # 1.5 s before 21:00 and 1.5 s after
        evening_offset, before = clock.offset, len(fake.sent)
        assert 8 <= before <= 20, before  # about 1.5 s at 10/s
        await asyncio.sleep(1.0)
        assert len(fake.sent) == before  # paused
        clock.set(datetime(2026, 12, 4, 6, 59, 59, 500000, tzinfo=ZONE))
        morning_offset = clock.offset
        await settle(sessionmaker, lambda found: all(s == "sent" for _k, _a, s in found))
    assert Counter(m["chat_id"] for m in fake.sent) == Counter(int(c) for c in chats)
    at = [datetime.fromtimestamp(m["at"], UTC) for m in fake.sent]
    assert all(
        moment + evening_offset < quiet_from + timedelta(seconds=0.05) for moment in at[:before]
    )
    morning = datetime(2026, 12, 4, 7, 0, tzinfo=ZONE)
    assert all(moment + morning_offset >= morning for moment in at[before:])


async def test_a_person_who_blocked_the_bot_is_unsubscribed(make_app, database_url, telegram_fake):
    fake = telegram_fake
    fake.blocked_chats.add(5)
    app = telegram_app(make_app, database_url, fake, quiet_hours="off")
    sessionmaker = app.runner.sessionmaker
    await broadcast_to(sessionmaker, ["5", "6"])
    async with sessionmaker() as session, session.begin():
        blocked = await session.scalar(select(User).where(User.external_id == "5"))
        await SubscriptionRepository(session).start(
            user_id=blocked.id, province_code=14, ward_code=None, text_version="1"
        )
    await broadcast_to(sessionmaker, ["5"])  # a second broadcast, waiting behind the first
    async with running(app):
        found = await settle(
            sessionmaker, lambda found: all(s in ("sent", "blocked") for *_r, s in found)
        )
    assert found == [
        ("broadcast", "5", "blocked"),
        ("broadcast", "6", "sent"),
        ("broadcast", "5", "blocked"),
    ]
    async with sessionmaker() as session:
        user = await session.get(User, blocked.id)
        subscription = await session.scalar(select(Subscription))
    assert user.unreachable_at is not None
    assert subscription.ended_at is not None and subscription.ended_by == "blocked"
    assert fake.texts_to(5) == [] and fake.texts_to(6) == ["Thông báo 1"]


@pytest.mark.parametrize(("cap", "later"), [("zalo_daily_cap", 1), ("zalo_monthly_cap", 32)])
async def test_zalo_caps_are_counted_from_the_outbox_and_the_rest_waits(
    make_app, database_url, cap, later
):
    fake = FakeZalo()
    async with serving(fake.app()) as url:
        app = make_app(
            database_url,
            zalo_bot_token=fake.token,
            zalo_base_url=url,
            quiet_hours="off",
            **{cap: 3},
            **fast_settings(),
        )
        sessionmaker = app.runner.sessionmaker
        await broadcast_to(sessionmaker, [f"z{n}" for n in range(5)], channel="zalo")
        await reply_to(sessionmaker, "z9", "trả lời", channel="zalo")  # replies have no cap
        clock = SetClock(datetime.now(ZONE))
        async with running(app) as runtime:
            runtime.sender.clock = clock
            runtime.sender.wake("zalo", "z9")
            await settle(sessionmaker, lambda found: sum(s == "sent" for _k, _a, s in found) == 4)
            await asyncio.sleep(0.6)
        async with running(app) as runtime:  # a new sender: it counts, it does not remember
            runtime.sender.clock = clock
            await asyncio.sleep(0.6)
            statuses = Counter(s for k, _a, s in await rows(sessionmaker) if k == "broadcast")
            assert statuses == {"sent": 3, "pending": 2}
            assert len(fake.sent) == 4
            clock.set(datetime.now(ZONE) + timedelta(days=later))
            await settle(sessionmaker, lambda found: all(s == "sent" for _k, _a, s in found))
    assert sorted(m["chat_id"] for m in fake.sent) == ["z0", "z1", "z2", "z3", "z4", "z9"]


async def test_cancelled_rows_are_never_sent_and_count_as_finished(
    make_app, database_url, telegram_fake
):
    fake = telegram_fake
    app = telegram_app(make_app, database_url, fake, quiet_hours="off")
    sessionmaker = app.runner.sessionmaker
    await broadcast_to(sessionmaker, ["7", "8"], status="cancelled")  # finished 10 days ago
    await broadcast_to(sessionmaker, ["5", "6"])
    async with running(app):
        await settle(sessionmaker, lambda found: [s for *_r, s in found].count("sent") == 2)
        await asyncio.sleep(0.3)
    assert sorted(m["chat_id"] for m in fake.sent) == [5, 6]
    async with sessionmaker() as session, session.begin():
        outbox = OutboxRepository(session)
        assert await outbox.counts() == {"cancelled": 2, "sent": 2}
        assert await outbox.unfinished_count() == 0
        # Retention keeps broadcast rows (their keys keep "once" true) and drops their text.
        assert await outbox.prune(finished_before=utcnow() - timedelta(days=1)) == 0
        assert await outbox.drop_bodies(finished_before=utcnow() - timedelta(days=1)) == 2
    async with sessionmaker() as session:
        kept = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [(m.status, bool(m.body)) for m in kept] == [
        ("cancelled", False),
        ("cancelled", False),
        ("sent", True),
        ("sent", True),
    ]


# ---------------------------------------------------------------- `bot run` processes


async def delivered_by(port: int) -> float:
    """Messages this `bot run` delivered, from its /metrics."""
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    for line in text.splitlines():
        if line.startswith('bot_outbound_sends_total{channel="telegram",outcome="delivered"}'):
            return float(line.split()[-1])
    return 0.0


@pytest.mark.slow
async def test_two_processes_keep_the_rate_of_the_token_and_send_each_row_once(
    postgres_database, tmp_path, locales_dir, bot_cache_dir
):
    postgres_database.truncate()
    url = postgres_database.url
    fake = fake_telegram.FakeTelegram()
    chats = [str(2000 + n) for n in range(60)]
    async with serving(fake.app()) as base_url:
        fake.base_url = base_url
        ports = [free_port(), free_port()]
        bots = []
        try:
            for n, port in enumerate(ports):
                env = sender_env(
                    tmp_path, locales_dir, bot_cache_dir, url, fake, port,
                    TELEGRAM_SENDS_PER_SECOND="10",
                )  # fmt: skip
                bots.append(await BotProcess.start(env, tmp_path / f"bot{n}.log"))
            for bot, port in zip(bots, ports, strict=True):
                await bot.wait_healthy(port)
            engine = make_engine(url)
            try:
                await broadcast_to(make_sessionmaker(engine), chats)
            finally:
                await engine.dispose()
            await wait_until(lambda: len(fake.sent) >= len(chats), 60, "the broadcast")
            await asyncio.sleep(0.5)
            shares = [await delivered_by(port) for port in ports]
        finally:
            for bot in bots:
                assert await bot.stop() == 0, bot.log_tail()
    assert Counter(m["chat_id"] for m in fake.sent) == Counter(int(c) for c in chats)
    assert most_in_one_second([m["at"] for m in fake.sent]) <= 10
    assert sum(shares) == len(chats) and min(shares) > 0, shares  # both sent, together 10/s
    engine = make_engine(url)
    try:
        found = await rows(make_sessionmaker(engine))
    finally:
        await engine.dispose()
    assert {s for *_r, s in found} == {"sent"} and len(found) == len(chats)


@pytest.mark.slow
async def test_a_broadcast_killed_half_way_resumes_without_sending_anything_twice(
    database_url, tmp_path, locales_dir, bot_cache_dir
):
    fake = fake_telegram.FakeTelegram()
    chats = [str(3000 + n) for n in range(60)]
    engine = make_engine(database_url)
    sessionmaker = make_sessionmaker(engine)
    try:
        await broadcast_to(sessionmaker, chats)
        async with serving(fake.app()) as base_url:
            fake.base_url = base_url
            port = free_port()
            env = sender_env(
                tmp_path, locales_dir, bot_cache_dir, database_url, fake, port,
                TELEGRAM_SENDS_PER_SECOND="15", OUTBOX_LEASE_SECONDS="1",
            )  # fmt: skip
            bot = await BotProcess.start(env, tmp_path / "first.log")
            await bot.wait_healthy(port)
            await wait_until(lambda: len(fake.sent) >= len(chats) // 3, 60, "the first third")
            os.kill(bot.process.pid, signal.SIGKILL)
            await bot.process.wait()
            sent_at_kill = len(fake.sent)
            assert sent_at_kill < len(chats), "the kill came after the broadcast"
            again = await BotProcess.start(env, tmp_path / "second.log")
            try:
                await settle(
                    sessionmaker,
                    lambda found: all(s in ("sent", "unknown") for *_r, s in found),
                    timeout=60,
                )
            finally:
                assert await again.stop() == 0, again.log_tail()
        found = await rows(sessionmaker)
    finally:
        await engine.dispose()
    per_chat = Counter(str(m["chat_id"]) for m in fake.sent)
    assert max(per_chat.values()) == 1, "a recipient got the broadcast twice"
    unknown = {address for _k, address, status in found if status == "unknown"}
    assert set(chats) - set(per_chat) <= unknown, "a message never sent is not unknown"
    assert len(unknown) <= 15  # at most the slots of one second taken before the kill
    assert most_in_one_second([m["at"] for m in fake.sent]) <= 15  # across the restart too
    print(f"broadcast: {sent_at_kill} sent at the kill, {len(unknown)} unknown")

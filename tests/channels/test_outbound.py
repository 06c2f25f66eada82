"""The one outbound path against a fake Telegram: each typed outcome lands in the outbox as
the issue says (429 waits, 5xx retries up to a limit, 403 blocks, a lost answer is unknown
and never resent, a dead sender's lease becomes unknown)."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.core.messages import InboundUpdate
from db.models import OutboxMessage, User, utcnow
from db.repositories.outbox import NewMessage, OutboxRepository
from tests.support.fake_telegram import TOKEN
from tests.support.runtime import fast_settings, running

pytestmark = pytest.mark.db


@pytest.fixture
def fake(telegram_fake):
    return telegram_fake


def app_for(make_app, database_url, fake, **overrides):
    return make_app(
        database_url,
        telegram_bot_token=TOKEN,
        telegram_base_url=f"{fake.base_url}/bot",
        **fast_settings(**overrides),
    )


async def queue(app, *texts: str, address: str = "5") -> None:
    async with app.runner.sessionmaker() as session, session.begin():
        await OutboxRepository(session).add(
            NewMessage("telegram", address, f"test:{address}:{i}", "reply", {"text": text})
            for i, text in enumerate(texts)
        )


async def statuses(app) -> list[tuple[str, int]]:
    async with app.runner.sessionmaker() as session:
        query = select(OutboxMessage.status, OutboxMessage.attempts).order_by(OutboxMessage.id)
        return [tuple(row) for row in await session.execute(query)]


async def settle(app, until, timeout: float = 10.0) -> list[tuple[str, int]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await statuses(app)
        if until(found):
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"outbox is {await statuses(app)}")


async def test_429_waits_retry_after_then_sends_in_order(make_app, database_url, fake):
    app = app_for(make_app, database_url, fake)
    fake.send_failures = ["429"]
    async with running(app) as runtime:
        await queue(app, "một", "hai")
        started = time.monotonic()
        runtime.sender.wake("telegram", "5")
        found = await settle(app, lambda rows: all(s == "sent" for s, _ in rows))
    assert time.monotonic() - started >= 0.9  # retry_after = 1 s
    assert found == [("sent", 2), ("sent", 1)]
    assert fake.texts_to(5) == ["một", "hai"]


async def test_5xx_is_retried_up_to_the_limit_then_failed(make_app, database_url, fake):
    app = app_for(make_app, database_url, fake, outbox_max_attempts=2)
    fake.send_failures = ["500", "500"]
    async with running(app) as runtime:
        await queue(app, "một")
        runtime.sender.wake("telegram", "5")
        found = await settle(app, lambda rows: rows[0][0] == "failed")
    assert found == [("failed", 2)] and fake.texts_to(5) == []


async def test_403_marks_the_person_unreachable_and_drops_the_rest(make_app, database_url, fake):
    app = app_for(make_app, database_url, fake)
    fake.blocked_chats.add(5)
    async with running(app) as runtime:
        await runtime.intake.store([InboundUpdate("telegram", "1", "5", "5", "text", "/start")])
        await settle(app, lambda rows: len(rows) == 2 and rows[0][0] == "blocked")
        found = await settle(app, lambda rows: all(s == "blocked" for s, _ in rows))
    assert [status for status, _ in found] == ["blocked", "blocked"]
    async with app.runner.sessionmaker() as session:
        user = await session.scalar(select(User))
    assert user.unreachable_at is not None and user.address == "5"


async def test_an_answer_lost_after_the_request_left_is_unknown_and_not_resent(
    make_app, database_url, fake
):
    app = app_for(make_app, database_url, fake)
    fake.hang_seconds, fake.send_failures = 12.0, ["hang"]  # longer than the 10 s read time-out
    async with running(app) as runtime:
        await queue(app, "một", "hai")
        runtime.sender.wake("telegram", "5")
        found = await settle(app, lambda rows: rows[-1][0] == "sent", timeout=20)
        await asyncio.sleep(0.5)
    assert found == [("unknown", 1), ("sent", 1)]
    assert fake.texts_to(5) == ["một", "hai"]  # "một" arrived once, and was not sent again


async def test_a_lease_left_by_a_dead_sender_becomes_unknown(make_app, database_url, fake):
    app = app_for(make_app, database_url, fake)
    await queue(app, "một", "hai")
    async with app.runner.sessionmaker() as session, session.begin():
        first = await session.scalar(select(OutboxMessage).order_by(OutboxMessage.id))
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == first.id)
            .values(status="sending", attempts=1, lease_until=utcnow() - timedelta(seconds=1))
        )
    async with running(app):  # nothing wakes it: the sender finds the due rows itself
        found = await settle(app, lambda rows: rows[-1][0] == "sent")
    assert found == [("unknown", 1), ("sent", 1)] and fake.texts_to(5) == ["hai"]


async def test_many_addresses_are_sent_in_rounds_each_in_order_and_once(
    make_app, database_url, fake
):
    app = app_for(make_app, database_url, fake)
    addresses = [str(100 + n) for n in range(40)]
    for address in addresses:
        await queue(app, "một", "hai", "ba", address=address)
    async with running(app) as runtime:
        for address in addresses:
            runtime.sender.wake("telegram", address)
        found = await settle(app, lambda rows: all(s == "sent" for s, _ in rows), timeout=30)
    assert found == [("sent", 1)] * 120
    for address in addresses:
        assert fake.texts_to(int(address)) == ["một", "hai", "ba"]


async def test_the_rate_limit_holds_across_addresses(make_app, database_url, fake):
    app = app_for(make_app, database_url, fake, telegram_sends_per_second=20.0)
    addresses = [str(200 + n) for n in range(12)]
    for address in addresses:
        await queue(app, "một", address=address)
    async with running(app) as runtime:
        started = time.monotonic()
        for address in addresses:
            runtime.sender.wake("telegram", address)
        await settle(app, lambda rows: all(s == "sent" for s, _ in rows))
        elapsed = time.monotonic() - started
    assert elapsed >= 11 / 20 - 0.05  # 12 sends at 20/s: the last one 0.55 s after the first
    assert sorted(m["chat_id"] for m in fake.sent) == [int(a) for a in addresses]

"""Concurrent turns of one user: none lost, first contact creates one user (both backends)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.core.messages import InboundUpdate, Incoming
from bot.core.runner import TurnTiming
from bot.inbound.intake import Intake
from db.models import OutboxMessage, User
from tests.support.flows import router_with_test_flows

pytestmark = pytest.mark.db


async def test_two_runners_first_contact_creates_one_user(make_app, database_url):
    apps = [make_app(database_url), make_app(database_url)]
    replies = await asyncio.gather(
        *(app.runner.handle(Incoming(channel="zalo", user_id="u1", text="/start")) for app in apps)
    )
    assert all(r and "Chào anh/chị ạ" in r[0].text for r in replies)
    assert all(app.runner.errors == 0 for app in apps)
    async with apps[0].runner.sessionmaker() as session:
        count = await session.scalar(select(func.count()).select_from(User))
    assert count == 1


async def test_concurrent_messages_of_one_user_are_not_lost(make_app, database_url):
    app = make_app(database_url, router=router_with_test_flows())
    await app.runner.handle(Incoming(channel="t", user_id="u", text="/survey"))
    first, second = await asyncio.gather(
        app.runner.handle(Incoming(channel="t", user_id="u", text="Lan")),
        app.runner.handle(Incoming(channel="t", user_id="u", text="Bản Mòng")),
    )
    assert first[0].text == "Which village?"
    assert second[0].text == "Thanks Lan from Bản Mòng."


async def test_same_update_stored_by_two_workers_is_answered_once(make_app, database_url):
    apps = [make_app(database_url), make_app(database_url)]
    intakes = [
        Intake(app.runner.sessionmaker, max_pending=100, max_text_chars=4000) for app in apps
    ]
    update = InboundUpdate("zalo", "m-1", "u9", "u9", "text", "/start")
    stored = await asyncio.gather(*(intake.store([update]) for intake in intakes))
    assert sorted(stored) == [0, 1]
    handled = await asyncio.gather(*(app.runner.handle_next() for app in apps))
    assert sorted(h is not None for h in handled) == [False, True]
    async with apps[0].runner.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


async def test_one_persons_stored_messages_are_answered_in_order(make_app, database_url):
    apps = [make_app(database_url, router=router_with_test_flows()) for _ in range(2)]
    intake = Intake(apps[0].runner.sessionmaker, max_pending=100, max_text_chars=4000)
    texts = ["/survey", "Lan", "Bản Mòng"]
    await intake.store(
        InboundUpdate("t", f"u-{i}", "u", "u", "text", text) for i, text in enumerate(texts)
    )
    while any(await asyncio.gather(*(app.runner.handle_next() for app in apps))):
        pass
    async with apps[0].runner.sessionmaker() as session:
        bodies = (
            await session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id))
        ).all()
    assert [body["text"] for body in bodies][-1] == "Thanks Lan from Bản Mòng."


async def test_a_message_queued_behind_the_same_users_turn_is_timed_as_waiting(
    make_app, database_url
):
    app = make_app(database_url, router=router_with_test_flows())
    timings: list[TurnTiming] = []
    app.runner.observe_timings(timings.append)
    await app.runner.handle(Incoming(channel="t", user_id="u", text="/survey"))
    await asyncio.gather(
        app.runner.handle(Incoming(channel="t", user_id="u", text="Lan")),
        app.runner.handle(Incoming(channel="t", user_id="u", text="Bản Mòng")),
    )
    assert len(timings) == 3 and {t.channel for t in timings} == {"t"}
    assert all(t.worked_seconds > 0 and t.waited_seconds >= 0 for t in timings)
    # The second message of the pair waited for the first one's turn; the first did not wait.
    assert timings[2].waited_seconds > 10 * timings[1].waited_seconds

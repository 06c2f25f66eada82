"""Concurrent turns of one user: none lost, first contact creates one user (both backends)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.core.messages import Incoming
from bot.core.runner import TurnTiming
from db.models import User
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


async def test_same_update_delivered_to_two_workers_is_processed_once(make_app, database_url):
    apps = [make_app(database_url), make_app(database_url)]
    incoming = Incoming(channel="zalo", user_id="u9", text="/start", message_id="m-1")
    first, second = await asyncio.gather(*(app.runner.handle(incoming) for app in apps))
    assert sorted([bool(first), bool(second)]) == [False, True]
    assert sum(app.runner.duplicates for app in apps) == 1


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

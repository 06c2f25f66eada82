"""The inbox path on both databases: a failing turn still answers once, the strangest names
a platform can send are stored, a huge text is cut before it is cleaned, rows are pruned."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

import bot.core.runner as runner_module
from bot.channels.telegram import parse_update as telegram_update
from bot.core.messages import InboundUpdate
from bot.inbound.intake import Intake
from bot.services.retention import prune_handled
from db.models import InboxUpdate, OutboxMessage, User
from tests.support.flows import router_with_test_flows

pytestmark = pytest.mark.db


def intake_for(app) -> Intake:
    return Intake(app.runner.sessionmaker, max_pending=1000, max_text_chars=4000)


async def rows(app, model):
    async with app.runner.sessionmaker() as session:
        return (await session.scalars(select(model).order_by(model.id))).all()


async def test_a_failing_turn_is_answered_once_with_an_apology(make_app, database_url):
    app = make_app(database_url, router=router_with_test_flows())
    await intake_for(app).store([InboundUpdate("zalo", "b-1", "u1", "c1", "text", "/boom")])
    handled = await app.runner.handle_next()
    assert handled is not None and handled.failed and handled.replies == 1
    assert await app.runner.handle_next() is None
    [update] = await rows(app, InboxUpdate)
    [message] = await rows(app, OutboxMessage)
    assert update.status == "failed"
    assert message.body["text"].startswith("Xin lỗi anh/chị, hệ thống vừa gặp lỗi.")
    assert (message.address, message.status) == ("c1", "pending")


async def test_a_failing_turn_in_a_batch_leaves_the_other_turns_of_the_batch_intact(
    make_app, database_url
):
    app = make_app(database_url, router=router_with_test_flows())
    await intake_for(app).store(
        [
            InboundUpdate("zalo", "b-1", "u1", "c1", "text", "/start"),
            InboundUpdate("zalo", "b-2", "u2", "c2", "text", "/boom"),
            InboundUpdate("zalo", "b-3", "u3", "c3", "text", "/start"),
            InboundUpdate("zalo", "b-4", "u1", "c1", "text", "/start"),  # u1's second: later
        ]
    )
    handled = await app.runner.handle_batch(4)
    assert [(h.address, h.failed) for h in handled] == [("c1", False), ("c2", True), ("c3", False)]
    [(second,)] = [[h.address for h in await app.runner.handle_batch(4)]]
    assert second == "c1" and await app.runner.handle_batch(4) == []
    updates = await rows(app, InboxUpdate)
    assert [u.status for u in updates] == ["done", "failed", "done", "done"]
    replies_to = [m.address for m in await rows(app, OutboxMessage)]
    # The turn after the failed one was not undone by its rollback: c1 and c3 have their
    # welcome, c2 its one apology.
    assert replies_to.count("c2") == 1 and replies_to.count("c1") == 2 * replies_to.count("c3")


async def test_names_with_nul_and_the_longest_telegram_name_are_stored(make_app, database_url):
    app = make_app(database_url)
    updates = [
        {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 11, "type": "private"},
                "from": {"id": 11, "is_bot": False, "first_name": "Lò\x00 Văn", "last_name": "A"},
                "text": "xin chào",
            },
        },
        {
            "update_id": 2,
            "message": {
                "message_id": 2,
                "date": 0,
                "chat": {"id": 12, "type": "private"},
                "from": {"id": 12, "is_bot": False, "first_name": "Ư" * 64, "last_name": "😀" * 64},
                "text": "xin chào\x00",
            },
        },
    ]
    assert await intake_for(app).store(telegram_update(u) for u in updates) == 2
    assert await app.runner.handle_next() is not None
    assert await app.runner.handle_next() is not None
    users = await rows(app, User)
    assert [u.display_name for u in users] == ["Lò Văn A", ("Ư" * 64 + " " + "😀" * 64)[:128]]
    assert all(u.address for u in users)
    assert [r.status for r in await rows(app, InboxUpdate)] == ["done", "done"]


async def test_a_huge_text_is_cut_before_it_is_cleaned(make_app, database_url, monkeypatch):
    app = make_app(database_url)
    seen: list[int] = []
    real_clean = runner_module.clean_input

    def spy(text: str) -> str:
        seen.append(len(text))
        return real_clean(text)

    monkeypatch.setattr(runner_module, "clean_input", spy)
    huge = "khi nao tat song 2g " * 500_000  # 10 MB
    intake = Intake(app.runner.sessionmaker, max_pending=10, max_text_chars=10**8)
    await intake.store([InboundUpdate("zalo", "big", "u2", "u2", "text", huge)])
    assert await app.runner.handle_next() is not None
    assert seen and max(seen) <= 4 * app.settings.max_input_chars
    messages = await rows(app, OutboxMessage)
    assert messages[0].body["text"].startswith("Tin nhắn dài quá")


async def test_handled_rows_are_pruned_after_the_retention_period(make_app, database_url):
    app = make_app(database_url)
    await intake_for(app).store([InboundUpdate("zalo", "p-1", "u3", "u3", "text", "/start")])
    await intake_for(app).store([InboundUpdate("zalo", "p-2", "u4", "u4", "text", "/start")])
    await app.runner.handle_next()
    assert await prune_handled(app.runner.sessionmaker, older_than=timedelta(days=1)) == {
        "inbox": 0,
        "outbox": 0,
        "bodies": 0,
    }
    pruned = await prune_handled(app.runner.sessionmaker, older_than=timedelta(seconds=-60))
    assert pruned["inbox"] == 1  # the pending one stays, and unsent messages stay
    assert pruned["outbox"] == 0
    assert [r.update_id for r in await rows(app, InboxUpdate)] == ["p-2"]

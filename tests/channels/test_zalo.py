"""Zalo through real HTTP both ways: a fake Zalo Bot API, polling and webhook mode."""

from __future__ import annotations

import asyncio
import sys

import httpx
import pytest

from bot.channels.base import Rejected, split_text
from bot.channels.zalo import ZaloChannel, ZaloClient, parse_update
from bot.core.messages import InboundUpdate, Reply
from bot.metrics import Metrics
from bot.web import create_web_app
from tests.support.fake_zalo import TOKEN, FakeZalo
from tests.support.processes import BotProcess, bot_env, free_port
from tests.support.runtime import fast_settings, running
from tests.support.servers import serving

pytestmark = pytest.mark.db
SECRET = "s3cret-token-for-tests"


@pytest.fixture
async def fake():
    platform = FakeZalo()
    async with serving(platform.app()) as url:
        platform.base_url = url  # type: ignore[attr-defined]
        yield platform


def zalo_app(make_app, database_url, fake, **overrides):
    return make_app(
        database_url,
        zalo_bot_token=TOKEN,
        zalo_base_url=fake.base_url,
        **fast_settings(**overrides),
    )


async def test_polling_conversation(make_app, database_url, fake):
    app = zalo_app(make_app, database_url, fake)
    async with running(app) as runtime:
        stop = asyncio.Event()
        poller = asyncio.create_task(runtime.zalo.poll(runtime.intake, stop, timeout=1))
        try:
            await fake.deliver(fake.update("u1", "/start"))
            texts = await fake.wait_for_messages("u1", 2)
            assert "Chào anh/chị ạ" in texts[0]
            assert "  1. Lộ trình tắt sóng" in texts[1]  # buttons as numbered choices
            await fake.deliver(fake.update("u1", "1"))
            texts = await fake.wait_for_messages("u1", 3)
            assert "16/10/2024" in texts[2]
            await fake.deliver(fake.update("u1", "may cua me e la nokia 1280"))
            texts = await fake.wait_for_messages("u1", 4)
            assert "Máy Nokia 1280 chỉ dùng được sóng 2G." in texts[3]
        finally:
            stop.set()
            poller.cancel()
            await asyncio.gather(poller, return_exceptions=True)
    assert "deleteWebhook" in fake.calls


async def test_a_redelivered_update_is_stored_and_answered_once(make_app, database_url, fake):
    app = zalo_app(make_app, database_url, fake)
    async with running(app) as runtime:
        update = fake.update("u2", "xin chào", message_id="aaaabbbbccccdddd0001")
        assert await runtime.intake.store([parse_update(update)]) == 1
        assert await runtime.intake.store([parse_update(update)]) == 0
        await fake.wait_for_messages("u2", 1)
        await asyncio.sleep(0.3)
    assert len(fake.texts_to("u2")) == 1


async def test_long_ids_that_share_a_prefix_are_two_updates(make_app, database_url, fake):
    app = zalo_app(make_app, database_url, fake)
    async with running(app) as runtime:
        prefix = "m" * 300
        first = fake.update("u6", "xin chào", message_id=prefix + "1")
        second = fake.update("u6", "/start", message_id=prefix + "2")
        assert await runtime.intake.store([parse_update(first), parse_update(second)]) == 2
        texts = await fake.wait_for_messages("u6", 3)
    assert "Chào anh/chị ạ" in texts[1]


async def test_non_text_gets_a_friendly_answer(make_app, database_url, fake):
    app = zalo_app(make_app, database_url, fake)
    async with running(app) as runtime:
        await runtime.intake.store([parse_update(fake.update("u3", None))])
        texts = await fake.wait_for_messages("u3", 1)
    assert "chỉ đọc được tin nhắn chữ" in texts[0]


async def test_send_contract_outcomes(fake):
    channel = ZaloChannel(ZaloClient(TOKEN, base_url=fake.base_url, timeout=1))
    try:
        fake.send_failures = ["429"]
        assert (await channel.send("u4", Reply("xin chào"))).kind == "retry"
        fake.send_failures = ["500"]
        assert (await channel.send("u4", Reply("xin chào"))).kind == "retry"
        assert (await channel.send("u4", Reply("xin chào"))).kind == "delivered"
        fake.blocked_chats.add("u5")
        assert (await channel.send("u5", Reply("xin chào"))).kind == "blocked"
        fake.hang_seconds, fake.send_failures = 2.0, ["hang"]
        assert (await channel.send("u6", Reply("xin chào"))).kind == "unknown"
        assert fake.texts_to("u6") == ["xin chào"]  # it did arrive: never resent blindly
    finally:
        await channel.aclose()


async def test_webhook_mode_secret_flat_and_wrapped_bodies(make_app, database_url, fake):
    app = zalo_app(make_app, database_url, fake, zalo_webhook_secret=SECRET)
    metrics = Metrics()
    async with running(app, metrics) as runtime:
        web = create_web_app(app, metrics=metrics, intake=runtime.intake, zalo=runtime.zalo)
        async with serving(web) as url:
            await runtime.zalo.set_webhook(f"{url}/zalo/webhook", SECRET)
            assert await fake.deliver(fake.update("w1", "/start")) == 200
            assert len(await fake.wait_for_messages("w1", 2)) == 2
            update = fake.update("w1", "khi nao tat song 2g", message_id="ffff000011112222")
            assert await fake.deliver(update, wrapped=True) == 200
            assert await fake.deliver(update, wrapped=True) == 200  # redelivered
            texts = await fake.wait_for_messages("w1", 3)
            await asyncio.sleep(0.3)
            assert len(fake.texts_to("w1")) == 3 and "16/10/2024" in texts[2]
            turns = app.runner.turns
            assert await fake.deliver(fake.update("w1", "/start"), secret="wrong-secret") == 403
            async with httpx.AsyncClient() as client:
                missing = await client.post(f"{url}/zalo/webhook", json=fake.update("w1", "/start"))
                assert missing.status_code == 403
                health = await client.get(f"{url}/healthz")
                assert health.status_code == 200 and health.json()["database"] == "ok"
                exposition = (await client.get(f"{url}/metrics")).text
            await asyncio.sleep(0.3)
            assert app.runner.turns == turns
    assert 'bot_incoming_updates_total{channel="zalo"} 2.0' in exposition
    for histogram in ("bot_update_seconds", "bot_turn_seconds", "bot_turn_wait_seconds"):
        assert f'{histogram}_count{{channel="zalo"}} 2.0' in exposition


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (
            {
                "event_name": "message.text.received",
                "message": {
                    "message_id": "1",
                    "chat": {"id": "c"},
                    "from": {"id": "c"},
                    "text": "hi",
                },
            },
            "hi",
        ),
        (
            {
                "ok": True,
                "result": {
                    "event_name": "message.text.received",
                    "message": {
                        "message_id": "1",
                        "chat": {"id": "c"},
                        "from": {"id": "c"},
                        "text": "hi",
                    },
                },
            },
            "hi",
        ),
        (
            {
                "message": {
                    "message_id": "1",
                    "chat": {"id": "c"},
                    "from": {"id": "c", "first_name": "A"},
                    "text": "hi",
                }
            },
            "hi",
        ),
        (
            {
                "event_name": "message.sticker.received",
                "message": {
                    "message_id": "1",
                    "chat": {"id": "c"},
                    "from": {"id": "c"},
                    "sticker": "x",
                },
            },
            None,
        ),
    ],
)
def test_tolerant_update_parsing(body, text):
    update = parse_update(body)
    assert isinstance(update, InboundUpdate) and update.address == "c"
    assert (update.kind, update.text) == (("text", text) if text else ("unsupported", ""))


def test_updates_that_are_not_from_a_person_are_ignored():
    bot_message = {"message": {"chat": {"id": "c"}, "from": {"id": "b", "is_bot": True}}}
    assert parse_update(bot_message) is None
    assert parse_update({"event_name": "user.follow"}) is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        [1],
        None,
        {"message": "x"},
        {"message": {"chat": {}}},
        {"message": {"chat": {"id": "c"}, "text": 5}},
        {"message": {"chat": {"id": ["c"]}, "text": "x"}},
        {"message": {"chat": {"id": "c" * 129}, "text": "x"}},
        {"message": {"message_id": "m" * 513, "chat": {"id": "c"}, "text": "x"}},
    ],
)
def test_malformed_updates_are_set_aside(body):
    assert isinstance(parse_update(body), Rejected)


def test_long_texts_are_split_on_line_breaks():
    text = "\n".join(f"dòng {i} " + "x" * 90 for i in range(60))
    parts = split_text(text, 2000)
    assert len(parts) > 1
    assert all(len(p.encode("utf-16-le")) // 2 <= 2000 for p in parts)
    assert "\n".join(parts) == text


async def test_bot_run_polls_zalo_and_stops_cleanly_on_sigterm(
    fake, tmp_path, locales_dir, bot_cache_dir
):
    port = free_port()
    env = bot_env(
        tmp_path,
        locales_dir,
        ZALO_BOT_TOKEN=TOKEN,
        ZALO_BASE_URL=fake.base_url,
        HTTP_PORT=str(port),
        CACHE_DIR=str(bot_cache_dir),
    )
    upgrade = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "db", "upgrade", env=env
    )
    assert await upgrade.wait() == 0
    process = await BotProcess.start(env, tmp_path / "bot-run.log")
    try:
        await fake.deliver(fake.update("r1", "/start"))
        texts = await fake.wait_for_messages("r1", 2, timeout=60)
        assert "Chào anh/chị ạ" in texts[0]
        async with httpx.AsyncClient() as client:
            health = await client.get(f"http://127.0.0.1:{port}/healthz")
        assert health.status_code == 200
    finally:
        code = await process.stop()
    assert code == 0, process.log_tail()

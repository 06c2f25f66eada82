"""Zalo through real HTTP both ways: a fake Zalo Bot API, polling and webhook mode."""

from __future__ import annotations

import asyncio
import sys

import httpx
import pytest

from bot.channels.base import split_text
from bot.channels.zalo import ZaloChannel, ZaloClient, parse_update
from bot.metrics import Metrics, instrumented
from bot.web import InFlight, create_web_app
from tests.support.fake_zalo import TOKEN, FakeZalo
from tests.support.processes import BotProcess, bot_env, free_port
from tests.support.servers import serving

pytestmark = pytest.mark.db
SECRET = "s3cret-token-for-tests"


@pytest.fixture
async def fake():
    platform = FakeZalo()
    async with serving(platform.app()) as url:
        platform.base_url = url  # type: ignore[attr-defined]
        yield platform


def channel_for(app, fake, metrics=None):
    handle = (
        app.runner.handle if metrics is None else instrumented(app.runner.handle, "zalo", metrics)
    )
    sent = []
    channel = ZaloChannel(
        ZaloClient(TOKEN, base_url=fake.base_url, timeout=5),
        handle,
        on_send=sent.append,
    )
    channel.outcomes = sent  # type: ignore[attr-defined]
    return channel


async def test_polling_conversation(make_app, database_url, fake):
    app = make_app(database_url)
    channel = channel_for(app, fake)
    stop = asyncio.Event()
    poller = asyncio.create_task(channel.poll(stop, timeout=1))
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
        await poller
        await channel.client.aclose()
    assert "deleteWebhook" in fake.calls


async def test_duplicate_delivery_is_processed_once(make_app, database_url, fake):
    app = make_app(database_url)
    channel = channel_for(app, fake)
    update = fake.update("u2", "xin chào", message_id="aaaabbbbccccdddd0001")
    await channel.process(update)
    await channel.process(update)
    assert len(fake.texts_to("u2")) == 1
    assert app.runner.duplicates == 1
    await channel.client.aclose()


async def test_non_text_gets_a_friendly_answer(make_app, database_url, fake):
    app = make_app(database_url)
    channel = channel_for(app, fake)
    await channel.process(fake.update("u3", None))
    assert "chỉ đọc được tin nhắn chữ" in fake.texts_to("u3")[0]
    assert app.runner.turns == 0
    await channel.client.aclose()


async def test_rate_limit_is_retried_and_a_blocked_user_is_counted(
    make_app, database_url, fake, monkeypatch
):
    monkeypatch.setattr(asyncio, "sleep", _no_sleep)
    app = make_app(database_url)
    channel = channel_for(app, fake)
    fake.fail_next_sends = 1
    await channel.process(fake.update("u4", "xin chào"))
    assert len(fake.texts_to("u4")) == 1
    assert channel.outcomes == ["retry", "ok"]
    fake.blocked_chats.add("u5")
    await channel.process(fake.update("u5", "xin chào"))
    assert channel.outcomes[-1] == "blocked"
    await channel.client.aclose()


_real_sleep = asyncio.sleep


async def _no_sleep(delay, *args, **kwargs):
    await _real_sleep(0)


async def test_webhook_mode_secret_flat_and_wrapped_bodies(
    make_app, database_url, fake, make_settings
):
    app = make_app(database_url, zalo_webhook_secret=SECRET)
    metrics = Metrics()
    channel = channel_for(app, fake, metrics)
    in_flight = InFlight()
    web = create_web_app(app, metrics=metrics, zalo=channel, in_flight=in_flight)
    async with serving(web) as url:
        await channel.client.set_webhook(f"{url}/zalo/webhook", SECRET)
        assert await fake.deliver(fake.update("w1", "/start")) == 200
        await in_flight.wait()
        assert len(await fake.wait_for_messages("w1", 2)) == 2
        update = fake.update("w1", "khi nao tat song 2g", message_id="ffff000011112222")
        assert await fake.deliver(update, wrapped=True) == 200
        assert await fake.deliver(update, wrapped=True) == 200  # redelivered
        await in_flight.wait()
        texts = fake.texts_to("w1")
        assert len(texts) == 3 and "16/10/2024" in texts[2]
        turns = app.runner.turns
        assert await fake.deliver(fake.update("w1", "/start"), secret="wrong-secret") == 403
        async with httpx.AsyncClient() as client:
            missing = await client.post(f"{url}/zalo/webhook", json=fake.update("w1", "/start"))
            assert missing.status_code == 403
            health = await client.get(f"{url}/healthz")
            assert health.status_code == 200 and health.json()["database"] == "ok"
            exposition = (await client.get(f"{url}/metrics")).text
        await in_flight.wait()
        assert app.runner.turns == turns
        assert 'bot_incoming_updates_total{channel="zalo"} 3.0' in exposition
        for histogram in ("bot_update_seconds", "bot_turn_seconds", "bot_turn_wait_seconds"):
            assert f'{histogram}_count{{channel="zalo"}} 3.0' in exposition
    await channel.client.aclose()


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
    assert update is not None and update.chat_id == "c"
    assert update.text == text


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"message": "x"},
        {"message": {"chat": {}}},
        {"message": {"chat": {"id": "c"}, "from": {"id": "b", "is_bot": True}, "text": "x"}},
    ],
)
def test_updates_that_are_not_from_a_person_are_ignored(body):
    assert parse_update(body) is None


def test_long_texts_are_split_on_line_breaks():
    text = "\n".join(f"dòng {i} " + "x" * 90 for i in range(60))
    parts = split_text(text, 2000)
    assert len(parts) > 1
    assert all(len(p.encode("utf-16-le")) // 2 <= 2000 for p in parts)
    assert "\n".join(parts) == text


async def test_bot_run_polls_zalo_and_stops_cleanly_on_sigterm(fake, tmp_path, locales_dir):
    port = free_port()
    env = bot_env(
        tmp_path,
        locales_dir,
        ZALO_BOT_TOKEN=TOKEN,
        ZALO_BASE_URL=fake.base_url,
        HTTP_PORT=str(port),
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

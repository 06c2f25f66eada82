"""Telegram through real HTTP both ways: PTB against a fake Bot API, polling and webhook."""

from __future__ import annotations

import asyncio
import sys

import httpx
import pytest

from bot.channels.telegram import TelegramChannel, build_application
from bot.core.messages import Button, Reply
from bot.metrics import Metrics
from bot.web import InFlight, create_web_app
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.fake_zalo import TOKEN as ZALO_TOKEN
from tests.support.fake_zalo import FakeZalo
from tests.support.processes import BotProcess, bot_env, free_port
from tests.support.servers import serving

pytestmark = pytest.mark.db
SECRET = "tg-secret_for-tests"


@pytest.fixture
async def fake():
    platform = FakeTelegram()
    async with serving(platform.app()) as url:
        platform.base_url = url
        yield platform


async def make_channel(app, fake, *, polling: bool):
    outcomes: list[str] = []
    application = build_application(TOKEN, base_url=f"{fake.base_url}/bot", polling=polling)
    channel = TelegramChannel(application, app.runner.handle, on_send=outcomes.append)
    channel.outcomes = outcomes  # type: ignore[attr-defined]
    await application.initialize()
    await application.start()
    return channel


async def close(channel):
    application = channel.application
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    await application.stop()
    await application.shutdown()


async def test_polling_conversation_with_inline_buttons(make_app, database_url, fake):
    app = make_app(database_url)
    channel = await make_channel(app, fake, polling=True)
    await channel.application.updater.start_polling(timeout=1, poll_interval=0)
    try:
        await fake.deliver(fake.text_update(42, "/start"))
        texts = await fake.wait_for_messages(42, 2)
        assert "Chào anh/chị ạ" in texts[0]
        keyboard = fake.keyboards_to(42)[1]["inline_keyboard"]
        assert keyboard[0][0] == {"text": "Lộ trình tắt sóng", "callback_data": "menu:timeline"}
        await fake.deliver(fake.button_update(42, "menu:timeline"))
        texts = await fake.wait_for_messages(42, 3)
        assert "16/10/2024" in texts[2]
        await fake.deliver(fake.text_update(42, "/kiemtra nokia 1280"))
        texts = await fake.wait_for_messages(42, 4)
        assert "Máy Nokia 1280 chỉ dùng được sóng 2G." in texts[3]
    finally:
        await close(channel)
    assert "deleteWebhook" in fake.calls and "answerCallbackQuery" in fake.calls


async def test_webhook_mode_secret_and_duplicates(make_app, database_url, fake):
    app = make_app(database_url, telegram_webhook_secret=SECRET)
    channel = await make_channel(app, fake, polling=False)
    in_flight = InFlight()
    web = create_web_app(app, metrics=Metrics(), telegram=channel, in_flight=in_flight)
    try:
        async with serving(web) as url:
            await channel.bot.set_webhook(f"{url}/telegram/webhook", secret_token=SECRET)
            update = fake.text_update(7, "khi nao tat song 2g")
            assert await fake.deliver(update) == 200
            assert await fake.deliver(update) == 200  # Telegram retries: same update_id
            await in_flight.wait()
            texts = await fake.wait_for_messages(7, 1)
            assert len(texts) == 1 and "16/10/2024" in texts[0]
            turns = app.runner.turns
            assert await fake.deliver(fake.text_update(7, "/start"), secret="wrong") == 403
            await in_flight.wait()
            assert app.runner.turns == turns
    finally:
        await close(channel)


async def test_non_text_and_edits_get_a_friendly_answer(make_app, database_url, fake):
    app = make_app(database_url)
    channel = await make_channel(app, fake, polling=False)
    try:
        from telegram import Update

        for update in (fake.photo_update(9), fake.edited_update(9, "sửa")):
            await channel.process(Update.de_json(update, channel.bot))
        texts = fake.texts_to(9)
        assert len(texts) == 2 and all("chỉ đọc được tin nhắn chữ" in t for t in texts)
        assert app.runner.turns == 0
    finally:
        await close(channel)


async def test_long_text_split_retry_after_and_blocked(make_app, database_url, fake):
    app = make_app(database_url)
    channel = await make_channel(app, fake, polling=False)
    try:
        long_text = "\n".join(f"Dòng {i}: " + "chữ " * 40 for i in range(120))
        await channel.send_reply(5, Reply(long_text, (Button("Các mục chính", "menu"),)))
        parts = fake.texts_to(5)
        assert len(parts) > 2 and all(len(p) <= 4096 for p in parts)
        assert "\n".join(parts) == long_text
        keyboards = fake.keyboards_to(5)
        assert keyboards[-1] is not None and all(k is None for k in keyboards[:-1])
        fake.fail_next_sends = 1
        await channel.send_reply(6, Reply("xin chào"))
        assert fake.texts_to(6) == ["xin chào"]
        assert channel.outcomes[-2:] == ["retry", "ok"]
        fake.blocked_chats.add(8)
        await channel.send_reply(8, Reply("xin chào"))
        assert channel.outcomes[-1] == "blocked"
    finally:
        await close(channel)


async def test_bot_run_with_both_channels(fake, tmp_path, locales_dir):
    zalo = FakeZalo()
    async with serving(zalo.app()) as zalo_url:
        port = free_port()
        env = bot_env(
            tmp_path,
            locales_dir,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=f"{fake.base_url}/bot",
            ZALO_BOT_TOKEN=ZALO_TOKEN,
            ZALO_BASE_URL=zalo_url,
            HTTP_PORT=str(port),
        )
        migrate = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "db", "upgrade", env=env
        )
        assert await migrate.wait() == 0
        process = await BotProcess.start(env, tmp_path / "bot-run.log")
        try:
            await fake.deliver(fake.text_update(77, "/start"))
            await zalo.deliver(zalo.update("z77", "/start"))
            assert "Chào anh/chị ạ" in (await fake.wait_for_messages(77, 2, timeout=60))[0]
            assert "Chào anh/chị ạ" in (await zalo.wait_for_messages("z77", 2, timeout=60))[0]
            async with httpx.AsyncClient() as client:
                metrics = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
            assert 'bot_incoming_updates_total{channel="telegram"} 1.0' in metrics
            assert 'bot_incoming_updates_total{channel="zalo"} 1.0' in metrics
        finally:
            code = await process.stop()
        assert code == 0, process.log_tail()

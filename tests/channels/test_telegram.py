"""Telegram through real HTTP both ways: our getUpdates loop and PTB's Bot against a fake
Bot API; the webhook; every update through the inbox and every reply through the outbox."""

from __future__ import annotations

import asyncio
import sys

import httpx
import pytest

from bot.channels.telegram import TelegramChannel, parse_update
from bot.core.messages import Button, InboundUpdate, Incoming, Reply
from bot.metrics import Metrics
from bot.web import create_web_app
from tests.support.chat import Chat
from tests.support.fake_telegram import TOKEN
from tests.support.fake_zalo import TOKEN as ZALO_TOKEN
from tests.support.fake_zalo import FakeZalo
from tests.support.processes import BotProcess, bot_env, free_port
from tests.support.registration import begin_for_myself
from tests.support.runtime import fast_settings, running
from tests.support.servers import serving

pytestmark = pytest.mark.db
SECRET = "tg-secret_for-tests"


@pytest.fixture
def fake(telegram_fake):
    return telegram_fake


def telegram_app(make_app, database_url, fake, **overrides):
    return make_app(
        database_url,
        telegram_bot_token=TOKEN,
        telegram_base_url=f"{fake.base_url}/bot",
        **fast_settings(**overrides),
    )


async def test_polling_conversation_with_inline_buttons(make_app, database_url, fake):
    app = telegram_app(make_app, database_url, fake)
    async with running(app) as runtime:
        stop = asyncio.Event()
        poller = asyncio.create_task(runtime.telegram.poll(runtime.intake, stop, timeout=1))
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
            stop.set()
            poller.cancel()
            await asyncio.gather(poller, return_exceptions=True)
    assert "deleteWebhook" in fake.calls and "answerCallbackQuery" in fake.calls


async def test_webhook_stores_before_200_and_a_redelivery_is_answered_once(
    make_app, database_url, fake
):
    app = telegram_app(make_app, database_url, fake, telegram_webhook_secret=SECRET)
    async with running(app) as runtime:
        web = create_web_app(
            app, metrics=Metrics(), intake=runtime.intake, telegram=runtime.telegram
        )
        async with serving(web) as url:
            await runtime.telegram.set_webhook(f"{url}/telegram/webhook", SECRET)
            update = fake.text_update(7, "khi nao tat song 2g")
            assert await fake.deliver(update) == 200
            assert await fake.deliver(update) == 200  # Telegram retries: same update_id
            texts = await fake.wait_for_messages(7, 1)
            await asyncio.sleep(0.3)
            assert len(fake.texts_to(7)) == 1 and "16/10/2024" in texts[0]
            turns = app.runner.turns
            assert await fake.deliver(fake.text_update(7, "/start"), secret="wrong") == 403
            await asyncio.sleep(0.3)
            assert app.runner.turns == turns


async def test_photos_and_edits_get_a_text_only_answer_in_vietnamese(make_app, database_url, fake):
    app = telegram_app(make_app, database_url, fake)
    async with running(app) as runtime:
        await runtime.intake.store(
            [parse_update(fake.photo_update(9)), parse_update(fake.edited_update(9, "sửa"))]
        )
        texts = await fake.wait_for_messages(9, 2)
    assert all(
        t == "Xin lỗi, tôi chỉ đọc được tin nhắn chữ. Anh/chị vui lòng gõ câu hỏi ạ." for t in texts
    )


async def test_a_shared_contact_reaches_the_bot_as_its_phone_number(make_app, database_url, fake):
    update = fake.text_update(11, "x")
    del update["message"]["text"]
    update["message"]["contact"] = {
        "phone_number": "+84912345678",
        "first_name": "Bà",
        "user_id": 11,
    }
    parsed = parse_update(update)
    assert isinstance(parsed, InboundUpdate)
    assert (parsed.kind, parsed.text) == ("text", "+84912345678")
    app = telegram_app(make_app, database_url, fake)
    async with running(app) as runtime:
        await runtime.intake.store([parsed])
        [text] = await fake.wait_for_messages(11, 1)
    typed = await app.runner.handle(Incoming("telegram", "12", "+84912345678"))
    assert text == typed[0].text  # the same answer as the number typed


async def test_the_registration_asks_for_the_number_with_a_share_button(
    make_app, database_url, fake
):
    app = telegram_app(make_app, database_url, fake)
    chat = Chat(app, user_id="21", channel="telegram")
    await begin_for_myself(chat)
    await chat.send("Lò Văn Huy")
    [asking] = chat.last
    assert asking.request_phone == "📞 Gửi số điện thoại của tôi"
    channel = TelegramChannel(TOKEN, base_url=f"{fake.base_url}/bot", timeout=1.0)
    try:
        await channel.send("21", asking)
    finally:
        await channel.aclose()
    keys = fake.keyboards_to(21)[-1]["keyboard"]
    assert keys[0] == [{"text": "📞 Gửi số điện thoại của tôi", "request_contact": True}]
    assert [row[0]["text"] for row in keys[1:]] == ["Quay lại", "Dừng"]  # typed as text
    update = fake.text_update(21, "x")
    del update["message"]["text"]
    update["message"]["contact"] = {"phone_number": "84912345678", "first_name": "Huy"}
    async with running(app) as runtime:
        await runtime.intake.store([parse_update(update)])
        text = (await fake.wait_for_messages(21, 2))[1]
    assert text.startswith("Đây cũng là số của máy cũ cần đổi")


async def test_send_contract_splits_long_texts_and_types_its_outcomes(fake):
    channel = TelegramChannel(TOKEN, base_url=f"{fake.base_url}/bot", timeout=1.0)
    try:
        long_text = "\n".join(f"Dòng {i}: " + "chữ " * 40 for i in range(120))
        outcome = await channel.send("5", Reply(long_text, (Button("Các mục chính", "menu"),)))
        parts = fake.texts_to(5)
        assert outcome.kind == "delivered" and outcome.parts_delivered == len(parts) > 2
        assert all(len(p) <= 4096 for p in parts) and "\n".join(parts) == long_text
        keyboards = fake.keyboards_to(5)
        assert keyboards[-1] is not None and all(k is None for k in keyboards[:-1])
        # A retry resumes after the parts already delivered.
        outcome = await channel.send("6", Reply(long_text), skip_parts=len(parts) - 1)
        assert fake.texts_to(6) == [parts[-1]] and outcome.parts_delivered == len(parts)
        fake.send_failures = ["429"]
        outcome = await channel.send("7", Reply("xin chào"))
        assert (outcome.kind, outcome.retry_after, fake.texts_to(7)) == ("retry", 1.0, [])
        fake.send_failures = ["500"]
        assert (await channel.send("7", Reply("xin chào"))).kind == "retry"
        fake.blocked_chats.add(8)
        assert (await channel.send("8", Reply("xin chào"))).kind == "blocked"
        fake.hang_seconds = 2.0
        fake.send_failures = ["hang"]
        outcome = await channel.send("9", Reply("xin chào"))
        assert outcome.kind == "unknown" and fake.texts_to(9) == ["xin chào"]
        fake.send_failures = []
        outcome = await channel.send("10", Reply("x" * 5000))  # the fake refuses > 4,096
        assert (outcome.kind, len(fake.texts_to(10))) == ("delivered", 2)
    finally:
        await channel.aclose()


async def test_send_to_an_api_that_is_down_is_retried_never_unknown():
    channel = TelegramChannel(TOKEN, base_url=f"http://127.0.0.1:{free_port()}/bot", timeout=1.0)
    try:
        outcome = await channel.send("5", Reply("xin chào"))
        assert outcome.kind == "retry", outcome
    finally:
        await channel.aclose()


async def test_bot_run_with_both_channels(fake, tmp_path, locales_dir, bot_cache_dir):
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
            CACHE_DIR=str(bot_cache_dir),
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
                health = (await client.get(f"http://127.0.0.1:{port}/healthz")).json()
            assert 'bot_incoming_updates_total{channel="telegram"} 1.0' in metrics
            assert 'bot_incoming_updates_total{channel="zalo"} 1.0' in metrics
            assert 'bot_outbound_sends_total{channel="telegram",outcome="delivered"} 2.0' in metrics
            assert health["channels"] == {
                "telegram": "running",
                "zalo": "running",
                "inbox": "running",
                "sender": "running",
                "scheduler": "running",
            }
        finally:
            code = await process.stop()
        assert code == 0, process.log_tail()


async def test_an_officer_receives_the_export_of_their_commune_as_a_file(
    make_app, database_url, fake, tmp_path
):
    import io

    import openpyxl

    from tests.support.registration import fill
    from tests.support.staff import CHIENG_SINH, add_staff

    app = telegram_app(make_app, database_url, fake, export_dir=tmp_path / "exports")
    for user, ward, name in (("c1", "chieng sinh", "Lò Thị Mai"), ("c2", "to hieu", "Cầm Văn Nga")):
        citizen = Chat(app, user_id=user)
        await fill(citizen, ward=ward, phone=f"09120000{user[1]}1", name=name)
        await citizen.press("Gửi")
    await add_staff(app, "77", "officer", ward=CHIENG_SINH, channel="telegram")
    async with running(app) as runtime:
        stop = asyncio.Event()
        poller = asyncio.create_task(runtime.telegram.poll(runtime.intake, stop, timeout=1))
        try:
            await fake.deliver(fake.text_update(77, "/xuat"))
            await fake.wait_for_messages(77, 2)
            for _ in range(100):
                if fake.documents:
                    break
                await asyncio.sleep(0.05)
        finally:
            stop.set()
            poller.cancel()
            await asyncio.gather(poller, return_exceptions=True)
    [document] = fake.documents
    assert document["chat_id"] == 77 and document["filename"].endswith(".xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(document["content"])).active.values)
    assert [row[1] for row in rows[1:]] == ["Lò Thị Mai"]  # Chiềng Sinh only
    assert fake.texts_to(77)[0].startswith("Tệp xuất: 1 hồ sơ.")

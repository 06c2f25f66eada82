"""Webhooks under bad input and load: every answer is a clear status, never a 500, and
nothing is stored that cannot be handled."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select

from bot.metrics import Metrics
from bot.web import create_web_app
from db.models import InboxUpdate
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.fake_zalo import TOKEN as ZALO_TOKEN
from tests.support.runtime import fast_settings, running
from tests.support.servers import serving

pytestmark = pytest.mark.db
SECRET = "webhook-secret-for-tests"
TELEGRAM = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
ZALO = {"X-Bot-Api-Secret-Token": SECRET}


def make(make_app, sqlite_url, **overrides):
    overrides.setdefault("telegram_base_url", "http://127.0.0.1:9/bot")  # nothing sent here
    return make_app(
        sqlite_url,
        telegram_bot_token=TOKEN,
        telegram_webhook_secret=SECRET,
        zalo_bot_token=ZALO_TOKEN,
        zalo_base_url="http://127.0.0.1:9",
        zalo_webhook_secret=SECRET,
        http_max_body_bytes=4096,
        http_body_timeout=0.5,
        **fast_settings(**overrides),
    )


def web_for(app, runtime):
    return create_web_app(
        app, metrics=Metrics(), intake=runtime.intake, telegram=runtime.telegram, zalo=runtime.zalo
    )


def text_update(update_id: int, text: object) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": 5, "type": "private"},
            "from": {"id": 5, "is_bot": False, "first_name": "An"},
            "text": text,
        },
    }


@pytest.mark.parametrize("path,headers", [("/telegram/webhook", TELEGRAM), ("/zalo/webhook", ZALO)])
async def test_bad_bodies_get_400_or_413_never_500(make_app, sqlite_url, path, headers):
    app = make(make_app, sqlite_url)
    async with running(app, connect=False) as runtime, serving(web_for(app, runtime)) as url:
        deep = "[" * 100_000 + "]" * 100_000
        cases = {
            "[1]": 400,
            "null": 400,
            "42": 400,
            '"text"': 400,
            "{not json": 400,
            deep: 413,  # bigger than the limit: refused before it is parsed
            "[" * 2000 + "]" * 2000: 400,  # deep, and small enough to be read
            "\xff\xfe": 400,
        }
        async with httpx.AsyncClient() as client:
            for body, status in cases.items():
                response = await client.post(
                    url + path,
                    content=body.encode("latin-1"),
                    headers={**headers, "Content-Type": "application/json"},
                )
                assert response.status_code == status, body[:20]
            wrong_type = text_update(1, 42) if "telegram" in path else {"message": {"text": 42}}
            response = await client.post(url + path, json=wrong_type, headers=headers)
            assert response.status_code == 400

            async def chunks():
                for _ in range(10):
                    yield b" " * 1000  # no Content-Length: counted while it is read

            response = await client.post(url + path, content=chunks(), headers=headers)
            assert response.status_code == 413
    assert await runtime.intake.pending() == 0


async def test_a_slow_body_gets_408_and_frees_the_server(make_app, sqlite_url):
    app = make(make_app, sqlite_url)
    async with running(app, connect=False) as runtime, serving(web_for(app, runtime)) as url:
        port = int(url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /telegram/webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\nContent-Length: 500\r\n\r\n".encode()
            + b'{"update_id": '
        )
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 5)
        writer.close()
        assert b" 408 " in status_line
        async with httpx.AsyncClient() as client:
            assert (await client.get(url + "/healthz")).status_code == 200


async def test_a_full_backlog_answers_503_so_the_platform_retries(make_app, sqlite_url):
    app = make(make_app, sqlite_url, inbox_max_pending=2)
    async with running(app, connect=False) as runtime:
        web = web_for(app, runtime)
        async with serving(web) as url, httpx.AsyncClient() as client:
            # Pretend the workers are far behind: the count says the backlog is full.
            runtime.intake._pending, runtime.intake._counted_at = 2, float("inf")
            response = await client.post(
                url + "/telegram/webhook", json=text_update(9, "xin chào"), headers=TELEGRAM
            )
            assert response.status_code == 503 and response.headers["retry-after"] == "5"
            health = (await client.get(url + "/healthz")).json()
            assert health["inbox_pending"] == 2


async def test_api_docs_are_off_unless_turned_on(make_app, sqlite_url):
    for docs, status in ((False, 404), (True, 200)):
        app = make(make_app, sqlite_url, http_docs=docs)
        async with (
            running(app, connect=False) as runtime,
            serving(web_for(app, runtime)) as url,
            httpx.AsyncClient() as client,
        ):
            assert (await client.get(url + "/docs")).status_code == status
            assert (await client.get(url + "/openapi.json")).status_code == status


async def test_a_number_as_text_is_set_aside_and_polling_goes_on(make_app, sqlite_url):
    fake = FakeTelegram()
    async with serving(fake.app()) as fake_url:
        fake.base_url = fake_url
        app = make(make_app, sqlite_url, telegram_base_url=f"{fake_url}/bot")
        async with running(app) as runtime:
            stop = asyncio.Event()
            poller = asyncio.create_task(runtime.telegram.poll(runtime.intake, stop, timeout=1))
            try:
                bad = fake.text_update(31, "x")
                bad["message"]["text"] = 12345
                await fake.deliver(bad)
                await fake.deliver(fake.text_update(31, "/start"))
                texts = await fake.wait_for_messages(31, 2)
            finally:
                stop.set()
                poller.cancel()
                await asyncio.gather(poller, return_exceptions=True)
    assert "Chào anh/chị ạ" in texts[0]
    async with app.runner.sessionmaker() as session:
        statuses = (
            await session.scalars(select(InboxUpdate.status).order_by(InboxUpdate.id))
        ).all()
    assert statuses == ["rejected", "done"]

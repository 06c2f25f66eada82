"""A token the platform refuses: `bot run` stops at start with one line naming the setting;
refused later, /healthz answers 503. The token is never shown."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.cli.conftest import assert_one_line_error, run_bot_async
from tests.support.fake_telegram import TOKEN as TELEGRAM_TOKEN
from tests.support.fake_telegram import FakeTelegram
from tests.support.fake_zalo import TOKEN as ZALO_TOKEN
from tests.support.fake_zalo import FakeZalo
from tests.support.processes import BotProcess, bot_env, free_port
from tests.support.servers import serving

pytestmark = pytest.mark.slow

WRONG_TOKEN = "987654321:Wrong-token-NEVER-shown"
WRONG_SECRET_PART = WRONG_TOKEN.split(":")[1]


def platform_settings(platform: str, url: str, token: str) -> dict[str, str]:
    """The settings of one channel on a fake platform at `url`."""
    if platform == "telegram":
        return {"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_BASE_URL": f"{url}/bot"}
    return {"ZALO_BOT_TOKEN": token, "ZALO_BASE_URL": url}


@pytest.mark.parametrize("platform", ["telegram", "zalo"])
@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
async def test_a_refused_token_stops_bot_run_at_start(env, tmp_path, platform, webhook):
    fake = FakeTelegram() if platform == "telegram" else FakeZalo()
    prefix = platform.upper()
    async with serving(fake.app()) as url:
        settings = {**platform_settings(platform, url, WRONG_TOKEN), "HTTP_PORT": "0"}
        if webhook:
            settings[f"{prefix}_WEBHOOK_URL"] = f"https://example.org/{platform}/webhook"
            settings[f"{prefix}_WEBHOOK_SECRET"] = "a-good-secret_1"
        result = await run_bot_async(["run"], {**env, **settings}, tmp_path, timeout=60)
    line = assert_one_line_error(
        result, f"{prefix}_BOT_TOKEN", hidden=(WRONG_TOKEN, WRONG_SECRET_PART)
    )
    assert result.returncode == 1
    assert "rejected the token" in line


@pytest.mark.parametrize("platform", ["telegram", "zalo"])
async def test_a_token_refused_while_polling_turns_healthz_503(
    tmp_path, sqlite_url, locales_dir, bot_cache_dir, platform
):
    fake = FakeTelegram() if platform == "telegram" else FakeZalo()
    token = TELEGRAM_TOKEN if platform == "telegram" else ZALO_TOKEN
    port = free_port()
    async with serving(fake.app()) as url:
        env = {
            **bot_env(tmp_path, locales_dir, DATABASE_URL=sqlite_url, CACHE_DIR=str(bot_cache_dir)),
            **platform_settings(platform, url, token),
            "HTTP_PORT": str(port),
        }
        process = await BotProcess.start(env, tmp_path / "bot-run.log")
        try:
            await process.wait_healthy(port)
            fake.token = "111:the-token-was-revoked"  # as if reset in BotFather / Bot Manager
            # An update ends the long poll in progress; the next poll is refused.
            if platform == "telegram":
                await fake.deliver(fake.text_update(5, "/start"))
            else:
                await fake.deliver(fake.update("z5", "/start"))
            health = await _wait_for_health(port, lambda r: r.status_code == 503)
        finally:
            code = await process.stop()
    assert health.json()["channels"][platform] == "token rejected", (
        health.json(),
        process.log_tail(),
    )
    log = process.log_tail(20_000)
    assert f"{platform.upper()}_BOT_TOKEN" in log and "rejected the token" in log
    assert token not in log and token.split(":")[1] not in log
    assert "Traceback" not in log
    assert code == 0, log


async def _wait_for_health(port: int, done, timeout: float = 60.0) -> httpx.Response:
    """/healthz, polled until `done(response)`."""
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient() as client:
        while True:
            response = await client.get(f"http://127.0.0.1:{port}/healthz")
            if done(response) or asyncio.get_running_loop().time() > deadline:
                return response
            await asyncio.sleep(0.2)

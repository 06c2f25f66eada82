"""Webhook secrets are checked against the platforms' rules before anything is sent."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.config import Settings, setting_errors
from tests.cli.conftest import assert_one_line_error, run_bot_async
from tests.support.fake_telegram import TOKEN as TELEGRAM_TOKEN
from tests.support.fake_telegram import FakeTelegram
from tests.support.fake_zalo import TOKEN as ZALO_TOKEN
from tests.support.fake_zalo import FakeZalo
from tests.support.servers import serving


@pytest.mark.parametrize(
    ("field", "secret", "valid"),
    [
        ("telegram_webhook_secret", "a", True),
        ("telegram_webhook_secret", "Ab_9-" * 51 + "x", True),  # 256 characters
        ("telegram_webhook_secret", "Ab_9-" * 51 + "xy", False),  # 257
        ("telegram_webhook_secret", "with space", False),
        ("telegram_webhook_secret", "dấu-tiếng-Việt", False),
        ("telegram_webhook_secret", "a/b+c=d", False),
        ("zalo_webhook_secret", "12345678", True),
        ("zalo_webhook_secret", "1234567", False),  # Zalo wants 8 at least
        ("zalo_webhook_secret", "has.dot.inside", False),
    ],
)
def test_webhook_secret_rules(field, secret, valid):
    if valid:
        assert Settings(_env_file=None, **{field: secret}) is not None  # type: ignore[call-arg]
        return
    with pytest.raises(ValidationError) as raised:
        Settings(_env_file=None, **{field: secret})  # type: ignore[call-arg]
    [line] = setting_errors(raised.value)
    assert line.startswith(f"{field.upper()}: must be ")
    assert secret not in line and secret not in str(raised.value)


@pytest.mark.slow
@pytest.mark.parametrize("platform", ["telegram", "zalo"])
async def test_bot_run_refuses_a_bad_secret_before_calling_the_platform(env, tmp_path, platform):
    fake = FakeTelegram() if platform == "telegram" else FakeZalo()
    secret = "my secret & more!"  # a space, & and ! are outside [A-Za-z0-9_-]
    prefix = platform.upper()
    async with serving(fake.app()) as url:
        settings = {
            f"{prefix}_BOT_TOKEN": TELEGRAM_TOKEN if platform == "telegram" else ZALO_TOKEN,
            f"{prefix}_BASE_URL": f"{url}/bot" if platform == "telegram" else url,
            f"{prefix}_WEBHOOK_URL": f"https://example.org/{platform}/webhook",
            f"{prefix}_WEBHOOK_SECRET": secret,
            "HTTP_PORT": "0",
        }
        result = await run_bot_async(["run"], {**env, **settings}, tmp_path, timeout=30)
    assert_one_line_error(result, f"{prefix}_WEBHOOK_SECRET", hidden=(secret,))
    assert result.returncode == 2
    assert fake.calls == []  # nothing was sent to the platform

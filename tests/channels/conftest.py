"""Fixtures of the channel tests."""

from __future__ import annotations

import pytest

from tests.support.fake_telegram import FakeTelegram
from tests.support.servers import serving


@pytest.fixture
async def telegram_fake():
    """A fake Telegram Bot API served on 127.0.0.1."""
    platform = FakeTelegram()
    async with serving(platform.app()) as url:
        platform.base_url = url
        yield platform

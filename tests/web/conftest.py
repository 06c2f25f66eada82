"""Fixtures of the web console's tests: Debian's Chromium driven by Playwright, and `bot run`
serving the console against a fake Telegram."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.channels.conftest import telegram_fake  # noqa: F401  (a fixture used here too)
from tests.support.processes import BotProcess, free_port, sender_env

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
INSTALL_HINT = (
    f"Chromium is not installed at {CHROMIUM}: the web console's browser tests need it. "
    "Install it with `sudo apt-get install chromium` (Debian; .ci/run installs it in CI)."
)


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    """Headless Chromium. Missing, it fails the run in CI and is skipped elsewhere, saying
    how to install it."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(INSTALL_HINT)
        pytest.skip(INSTALL_HINT)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@dataclass
class Served:
    """`bot run` serving the console: its address and the app of the test (same database)."""

    url: str
    port: int
    process: BotProcess


@pytest.fixture
async def served(
    sqlite_url,
    tmp_path,
    locales_dir,
    bot_cache_dir,
    telegram_fake,  # noqa: F811
) -> AsyncIterator[Served]:
    """`bot run` on the test's SQLite database, on a free port of 127.0.0.1."""
    port = free_port()
    env = sender_env(tmp_path, locales_dir, bot_cache_dir, sqlite_url, telegram_fake, port)
    process = await BotProcess.start(env, tmp_path / "bot.log")
    try:
        await process.wait_healthy(port)
        yield Served(f"http://127.0.0.1:{port}", port, process)
    finally:
        assert await process.stop() == 0, process.log_tail()


def screenshots_dir() -> Path | None:
    """Where the tests' helper saves a picture of each main page (SCREENSHOTS_DIR; `make
    screenshots` sets it to docs/screenshots), or None."""
    folder = os.environ.get("SCREENSHOTS_DIR")
    return Path(folder) if folder else None

"""Running the `bot` command as a separate process in tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.support.fake_telegram import FakeTelegram

# A cold start trains the question matcher (a few seconds, more on a loaded machine).
START_TIMEOUT = 120.0


async def wait_until(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Until `condition()` is true; fails naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bot_env(tmp_path: Path, locales_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a bot process: no inherited tokens, a test database and catalogs."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_BOT_TOKEN")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path}/bot.db",
        LOCALES_DIR=str(locales_dir),
        CACHE_DIR=str(tmp_path / "cache"),
    )
    env.update(settings)
    return env


def sender_env(
    tmp_path: Path,
    locales_dir: Path,
    cache_dir: Path,
    url: str,
    fake: FakeTelegram,
    port: int,
    **settings: str,
) -> dict[str, str]:
    """The environment of a `bot run` against a fake Telegram server (`fake`, with `token`
    and `base_url`) that polls it and sends what waits in the outbox: quick to notice due
    messages and work, no quiet hours unless `settings` set them."""
    return bot_env(
        tmp_path,
        locales_dir,
        DATABASE_URL=url,
        CACHE_DIR=str(cache_dir),
        HTTP_PORT=str(port),
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_BASE_URL=f"{fake.base_url}/bot",
        OUTBOX_POLL_SECONDS="0.2",
        SCHEDULER_SECONDS="0.5",
        QUIET_HOURS="off",
        **settings,
    )


def run_bot(
    args: list[str], env: dict[str, str], cwd: Path, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """`bot ARGS` in a process of its own, with `stdin` piped in; output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


class BotProcess:
    """`bot run` started in the background; its standard error goes to a file, never a pipe
    (a full pipe nobody reads would block the bot and look like a hang)."""

    def __init__(self, process: asyncio.subprocess.Process, log_path: Path) -> None:
        self.process = process
        self.log_path = log_path

    @classmethod
    async def start(cls, env: dict[str, str], log_path: Path) -> BotProcess:
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=env, stderr=log
            )
        return cls(process, log_path)

    def log_tail(self, chars: int = 3000) -> str:
        """The end of what the process wrote to standard error."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]

    async def wait_healthy(self, port: int, timeout: float = START_TIMEOUT) -> None:
        """Until /healthz answers 200; fails with the log tail if the bot exits or never does."""
        deadline = asyncio.get_running_loop().time() + timeout
        async with httpx.AsyncClient() as client:
            while asyncio.get_running_loop().time() < deadline:
                if self.process.returncode is not None:
                    raise AssertionError(
                        f"bot exited with {self.process.returncode}:\n{self.log_tail()}"
                    )
                try:
                    if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"bot did not start within {timeout:.0f} s:\n{self.log_tail()}")

    async def stop(self) -> int:
        """SIGTERM, then the exit code (a bot that does not stop in 30 s fails the test)."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), 30)

    @classmethod
    async def killed_when(
        cls,
        env: dict[str, str],
        log_path: Path,
        port: int,
        condition: Callable[[], object],
        what: str,
        timeout: float = 60,
    ) -> None:
        """Start `bot run`, wait until `condition()` (`what`), then kill it with SIGKILL (also
        when the wait failed), as a crash would."""
        bot = await cls.start(env, log_path)
        try:
            await bot.wait_healthy(port)
            await wait_until(condition, timeout, what)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(bot.process.pid, signal.SIGKILL)
            await bot.process.wait()

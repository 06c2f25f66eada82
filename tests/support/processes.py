"""Running the `bot` command as a separate process in tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path


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

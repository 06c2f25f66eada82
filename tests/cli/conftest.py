"""Running `bot` as an operator does, and checking that an error is told in one line."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import bot_env


@pytest.fixture
def env(tmp_path: Path, locales_dir: Path, bot_cache_dir: Path) -> dict[str, str]:
    """A bot process's environment: no tokens, an SQLite file in the test's folder."""
    return bot_env(tmp_path, locales_dir, CACHE_DIR=str(bot_cache_dir))


async def run_bot_async(
    args: list[str], env: dict[str, str], cwd: Path, *, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """`bot ARGS` in a process of its own, awaited (so that a fake platform served by the
    test's event loop can answer it); killed, and the test failed, after `timeout` seconds."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        out, err = await process.communicate()
        raise AssertionError(
            f"bot {' '.join(args)} still running after {timeout:.0f} s:\n{err.decode()[-3000:]}"
        ) from None
    assert process.returncode is not None
    return subprocess.CompletedProcess(args, process.returncode, out.decode(), err.decode())


def assert_one_line_error(
    result: subprocess.CompletedProcess[str], setting: str, *, hidden: tuple[str, ...] = ()
) -> str:
    """The process failed with exactly one line on stderr, `Error: …` naming `setting`, and
    none of the `hidden` texts (tokens, secrets, passwords) anywhere in its output."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines[0]
    assert setting in lines[0], lines[0]
    assert result.returncode != 0
    for text in hidden:
        assert text not in result.stdout + result.stderr
    return lines[0]

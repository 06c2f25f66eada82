"""A database that cannot be reached is one line naming DATABASE_URL, and exit 1."""

from __future__ import annotations

import pytest

from tests.cli.conftest import assert_one_line_error
from tests.support.processes import free_port, run_bot

pytestmark = pytest.mark.slow

# Every command that opens the database (`run` needs a channel to get that far).
COMMANDS = [
    ["db", "upgrade"],
    ["db", "check"],
    ["db", "prune"],
    ["faq", "misses"],
    ["devices", "misses"],
    ["device", "Nokia 105"],
    ["chat"],
    ["run"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_an_unreachable_postgresql_is_one_line(env, tmp_path, command):
    url = f"postgresql://postgres:Secret-pw-42@127.0.0.1:{free_port()}/x"  # nothing listens
    settings = {
        "DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": "123456:TOKEN-never-shown",
        "TELEGRAM_BASE_URL": f"http://127.0.0.1:{free_port()}/bot",
    }
    result = run_bot(command, {**env, **settings}, tmp_path, stdin="/start\n")
    line = assert_one_line_error(
        result, "DATABASE_URL", hidden=("Secret-pw-42", "TOKEN-never-shown")
    )
    assert result.returncode == 1
    assert "cannot connect to postgresql://postgres:***@127.0.0.1:" in line
    assert "Connection refused" in line


def test_an_sqlite_file_that_cannot_be_created_is_one_line(env, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    url = f"sqlite:///{blocker}/bot.db"  # its folder would be a file
    result = run_bot(["faq", "misses"], {**env, "DATABASE_URL": url}, tmp_path)
    line = assert_one_line_error(result, "DATABASE_URL")
    assert result.returncode == 1
    assert f"cannot connect to {url}" in line

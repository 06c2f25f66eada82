"""A bad setting is one line on stderr that names its environment variable, and exit 2."""

from __future__ import annotations

import pytest

from tests.cli.conftest import assert_one_line_error
from tests.support.processes import run_bot

pytestmark = pytest.mark.slow

# Commands that read settings; those that also open the database come first.
COMMANDS = [["db", "upgrade"], ["faq", "misses"], ["chat"], ["device", "Nokia 105"], ["run"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_an_unsupported_database_url_is_named(env, tmp_path, command):
    result = run_bot(command, {**env, "DATABASE_URL": "mysql://x"}, tmp_path)
    line = assert_one_line_error(result, "DATABASE_URL")
    assert result.returncode == 2
    assert '"mysql://x" is not supported' in line
    assert "sqlite:///" in line and "postgresql://" in line  # what to write instead


def test_a_malformed_database_url_is_named_without_its_password(env, tmp_path):
    url = "postgresql://bot:Pa55-word-Xyz@db:port/bot"  # the port is not a number
    result = run_bot(["db", "upgrade"], {**env, "DATABASE_URL": url}, tmp_path)
    line = assert_one_line_error(result, "DATABASE_URL", hidden=("Pa55-word-Xyz",))
    assert result.returncode == 2
    assert "is not a database URL" in line and "postgresql://bot:***@db:port/bot" in line


@pytest.mark.parametrize(
    ("variable", "value", "explained"),
    [
        ("BOT_TODAY", "yesterday", "is not a date; use YYYY-MM-DD"),
        ("HTTP_PORT", "abc", "is not a whole number"),
        ("TIMEZONE", "Asia/Hanoi-typo", "is not a time zone"),
        ("LOG_LEVEL", "loud", "is not a log level"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(env, tmp_path, variable, value, explained):
    result = run_bot(["faq", "misses"], {**env, variable: value}, tmp_path)
    line = assert_one_line_error(result, variable)
    assert result.returncode == 2
    assert f'"{value}" {explained}' in line


def test_each_bad_setting_gets_its_own_line(env, tmp_path):
    result = run_bot(
        ["ask", "khi nào tắt 2G"], {**env, "BOT_TODAY": "x", "HTTP_PORT": "y"}, tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        'Error: BOT_TODAY: "x" is not a date; use YYYY-MM-DD',
        'Error: HTTP_PORT: "y" is not a whole number',
    ]

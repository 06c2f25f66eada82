"""`bot run` start-up errors other than settings and tokens."""

from __future__ import annotations

import socket

import pytest

from tests.cli.conftest import assert_one_line_error
from tests.support.processes import free_port, run_bot

pytestmark = pytest.mark.slow


def test_a_port_in_use_is_one_line(env, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = {
            "HTTP_PORT": str(port),
            "TELEGRAM_BOT_TOKEN": "123456:TOKEN-never-shown",
            "TELEGRAM_BASE_URL": f"http://127.0.0.1:{free_port()}/bot",
        }
        result = run_bot(["run"], {**env, **settings}, tmp_path)
    line = assert_one_line_error(result, "HTTP_PORT", hidden=("TOKEN-never-shown",))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in line


def test_an_unreachable_platform_is_one_line_naming_its_base_url(env, tmp_path):
    base_url = f"http://127.0.0.1:{free_port()}/bot"
    settings = {
        "HTTP_PORT": "0",
        "TELEGRAM_BOT_TOKEN": "123456:TOKEN-never-shown",
        "TELEGRAM_BASE_URL": base_url,
    }
    result = run_bot(["run"], {**env, **settings}, tmp_path)
    line = assert_one_line_error(result, "TELEGRAM_BASE_URL", hidden=("TOKEN-never-shown",))
    assert result.returncode == 1
    assert f"Could not reach the messaging platform at {base_url}" in line

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


def test_the_http_servers_connections_send_at_once():
    """Answers on a kept-alive connection must not wait for the client's delayed ACK: the
    listening sockets carry TCP_NODELAY, which accepted connections inherit."""
    from bot.server import listen

    [server] = listen("127.0.0.1", 0)
    with server, socket.create_connection(server.getsockname()) as _client:
        accepted, _address = server.accept()
        with accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1


def test_a_database_not_migrated_is_one_line(env, tmp_path):
    import subprocess
    import sys
    import time

    port = free_port()
    fake = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_telegram", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):  # until the stand-in Bot API listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        settings = {
            "HTTP_PORT": "0",
            "TELEGRAM_BOT_TOKEN": "123456:TEST-token",
            "TELEGRAM_BASE_URL": f"http://127.0.0.1:{port}/bot",
        }
        result = run_bot(["run"], {**env, **settings}, tmp_path)
    finally:
        fake.terminate()
        fake.wait(10)
    line = assert_one_line_error(result, "DATABASE_URL", hidden=("TEST-token",))
    assert "run `bot db upgrade` first" in line

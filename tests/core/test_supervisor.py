"""Background loops never die silently: a failing loop is logged and restarted, and
/healthz says so while it is down."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from bot.metrics import Metrics
from bot.server import LoopSupervisor
from bot.web import create_web_app
from tests.support.runtime import running
from tests.support.servers import serving


async def test_a_failing_loop_is_logged_and_restarted(caplog, monkeypatch):
    monkeypatch.setattr("bot.server.pause", _short_pause)
    supervisor = LoopSupervisor()
    stop = asyncio.Event()
    runs: list[str] = []

    async def flaky() -> None:
        runs.append(supervisor.states["zalo"])
        if len(runs) < 3:
            raise RuntimeError("one bad update")
        stop.set()

    with caplog.at_level(logging.ERROR, logger="bot.server"):
        await asyncio.wait_for(supervisor.supervise("zalo", flaky, stop), 5)
    assert len(runs) == 3 and supervisor.states["zalo"] == "stopped"
    failures = [r for r in caplog.records if "zalo stopped" in r.getMessage()]
    assert len(failures) == 2 and failures[0].exc_info is not None


async def _short_pause(stop: asyncio.Event, seconds: float) -> None:
    await asyncio.sleep(0.01)


@pytest.mark.db
async def test_healthz_is_503_while_a_loop_is_down(make_app, sqlite_url):
    app = make_app(sqlite_url)
    loops = {"telegram": "running", "zalo": "restarting after RuntimeError"}
    async with running(app, connect=False) as runtime:
        web = create_web_app(app, metrics=Metrics(), intake=runtime.intake, loops=loops)
        async with serving(web) as url, httpx.AsyncClient() as client:
            down = await client.get(url + "/healthz")
            loops["zalo"] = "running"
            up = await client.get(url + "/healthz")
    assert down.status_code == 503 and down.json()["channels"]["zalo"].startswith("restarting")
    assert up.status_code == 200 and up.json()["inbox_pending"] == 0

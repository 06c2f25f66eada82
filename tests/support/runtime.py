"""The inbox workers and the sender of a test app, running in the test's event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.app import App, Runtime, build_runtime
from bot.metrics import Metrics


@asynccontextmanager
async def running(
    app: App, metrics: Metrics | None = None, *, connect: bool = True
) -> AsyncIterator[Runtime]:
    """Build the app's runtime (channels from its settings) and run workers and sender until
    the block ends; then stop them and close the channels. `connect` runs Telegram's getMe
    first (off when no fake platform is there)."""
    runtime = build_runtime(app, metrics or Metrics())
    if runtime.telegram is not None and connect:
        await runtime.telegram.start()
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(runtime.workers.run(stop)),
        asyncio.create_task(runtime.sender.run(stop)),
    ]
    try:
        yield runtime
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        await runtime.sender.drain(5)
        await runtime.aclose()


def fast_settings(**overrides: object) -> dict[str, object]:
    """Settings that make a test's sender quick to notice due messages and expired leases."""
    return {
        "outbox_poll_seconds": 0.05,
        "outbox_lease_seconds": 2.0,
        "telegram_sends_per_second": 1000.0,
        "zalo_sends_per_second": 1000.0,
        **overrides,
    }

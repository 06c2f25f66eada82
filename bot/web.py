"""HTTP server (FastAPI): Telegram and Zalo webhooks, /healthz and /metrics."""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any

from fastapi import FastAPI, Header, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from telegram import Update

from bot.app import App
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel
from bot.metrics import Metrics

log = logging.getLogger(__name__)


class InFlight:
    """Turns started by webhooks, so a shutdown can wait for them."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[None]] = set()

    def start(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def wait(self) -> None:
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)


def _secret_ok(given: str | None, expected: str | None) -> bool:
    return bool(given and expected) and hmac.compare_digest(str(given), str(expected))


def create_web_app(
    app: App,
    *,
    metrics: Metrics,
    zalo: ZaloChannel | None = None,
    telegram: TelegramChannel | None = None,
    in_flight: InFlight | None = None,
) -> FastAPI:
    """The ASGI app. Webhook routes exist only for configured channels."""
    web = FastAPI(title="2G/3G sunset assistant", docs_url=None, redoc_url=None)
    in_flight = in_flight or InFlight()
    web.state.in_flight = in_flight
    metrics.errors.set_function(lambda: app.runner.errors)
    app.runner.observe_timings(metrics.observe_turn)

    @web.get("/healthz")
    async def healthz() -> JSONResponse:
        try:
            async with app.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            log.exception("Health check: database unreachable")
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    @web.get("/metrics")
    async def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    if zalo is not None:
        secret = app.settings.zalo_webhook_secret
        expected = secret.get_secret_value() if secret else None

        @web.post("/zalo/webhook")
        async def zalo_webhook(
            request: Request,
            x_bot_api_secret_token: str | None = Header(default=None),
        ) -> JSONResponse:
            if not _secret_ok(x_bot_api_secret_token, expected):
                return JSONResponse({"ok": False, "description": "Forbidden"}, status_code=403)
            try:
                body = await request.json()
            except ValueError:
                return JSONResponse({"ok": False, "description": "Bad JSON"}, status_code=400)
            if isinstance(body, dict):
                in_flight.start(zalo.process(body))
            return JSONResponse({"ok": True})

    if telegram is not None:
        telegram_secret = app.settings.telegram_webhook_secret
        telegram_expected = telegram_secret.get_secret_value() if telegram_secret else None

        @web.post("/telegram/webhook")
        async def telegram_webhook(
            request: Request,
            x_telegram_bot_api_secret_token: str | None = Header(default=None),
        ) -> Response:
            if not _secret_ok(x_telegram_bot_api_secret_token, telegram_expected):
                return Response(status_code=403)
            try:
                update = Update.de_json(await request.json(), telegram.bot)
            except (ValueError, TypeError, KeyError):
                return Response(status_code=400)
            if update is not None:
                in_flight.start(telegram.process(update))
            return Response(status_code=200)

    return web

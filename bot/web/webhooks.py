"""HTTP server (FastAPI): Telegram and Zalo webhooks into the inbox, /healthz and /metrics.

A webhook answers 200 only after its update is committed to the inbox; a full backlog or a
database that cannot store answers 503 (the platform retries later). Bodies are bounded in
size (413) and in the time they may take to arrive (408); a body that is not a readable
update gets 400, never 500.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.requests import ClientDisconnect

from bot.app import App
from bot.channels import telegram as telegram_updates
from bot.channels import zalo as zalo_updates
from bot.channels.base import Parsed, Rejected
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel
from bot.inbound.intake import Intake
from bot.metrics import Metrics

log = logging.getLogger(__name__)

# What /healthz reports of each channel loop: "running", "webhook", or why it is not.
LoopStates = Mapping[str, str]
HEALTHY_LOOP_STATES = ("running", "webhook")


class BadBody(Exception):
    """The request body could not be taken: its HTTP status and a short reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def read_json(request: Request, *, limit: int, timeout: float) -> Any:
    """The request's JSON, read at most `limit` bytes and within `timeout` seconds."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BadBody(413, "body too large")
    chunks: list[bytes] = []

    async def collect() -> None:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BadBody(413, "body too large")
            chunks.append(chunk)

    try:
        await asyncio.wait_for(collect(), timeout)
    except TimeoutError as error:
        raise BadBody(408, "body not received in time") from error
    except ClientDisconnect as error:
        raise BadBody(400, "client went away") from error
    try:
        return json.loads(b"".join(chunks))
    except (ValueError, RecursionError) as error:  # RecursionError: nesting too deep
        raise BadBody(400, "not JSON") from error


def _secret_ok(given: str | None, expected: str | None) -> bool:
    return bool(given and expected) and hmac.compare_digest(str(given), str(expected))


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


def create_web_app(
    app: App,
    *,
    metrics: Metrics,
    intake: Intake,
    zalo: ZaloChannel | None = None,
    telegram: TelegramChannel | None = None,
    loops: LoopStates | None = None,
) -> FastAPI:
    """The ASGI app. Webhook routes exist only for configured channels; API docs only when
    HTTP_DOCS is on."""
    settings = app.settings
    docs = settings.http_docs
    web = FastAPI(
        title="2G/3G sunset assistant",
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    loops = loops if loops is not None else {}
    metrics.errors.set_function(lambda: app.runner.errors)
    app.runner.observe_timings(metrics.observe_turn)

    async def take(
        request: Request, parse: Callable[[Any], Parsed], channel: str
    ) -> tuple[int, Parsed]:
        """Read, parse and store one webhook update; the HTTP status to answer."""
        try:
            raw = await read_json(
                request, limit=settings.http_max_body_bytes, timeout=settings.http_body_timeout
            )
        except BadBody as error:
            log.warning("%s webhook: %s (%s)", channel, error.reason, error.status)
            return error.status, None
        parsed = parse(raw)
        if isinstance(parsed, Rejected):
            log.warning(
                "%s webhook: malformed update %s: %s", channel, parsed.update_id, parsed.reason
            )
            return 400, None
        if parsed is None:
            return 200, None
        try:
            if await intake.backlog_full():
                return 503, None
            await intake.store([parsed])
        except Exception:
            log.exception("%s webhook: could not store an update", channel)
            return 503, None
        return 200, parsed

    @web.get("/healthz")
    async def healthz() -> JSONResponse:
        channels = dict(loops)  # one snapshot: the states may change during the awaits
        body: dict[str, Any] = {"status": "ok", "database": "ok", "channels": channels}
        try:
            async with app.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            body["inbox_pending"] = await intake.pending()
        except Exception:
            log.exception("Health check: database unreachable")
            body.update(status="error", database="unreachable")
            return JSONResponse(body, status_code=503)
        if any(state not in HEALTHY_LOOP_STATES for state in channels.values()):
            body["status"] = "degraded"
            return JSONResponse(body, status_code=503)
        return JSONResponse(body)

    @web.get("/metrics")
    async def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    if zalo is not None:
        zalo_secret = _secret(settings.zalo_webhook_secret)

        @web.post("/zalo/webhook")
        async def zalo_webhook(request: Request) -> JSONResponse:
            if not _secret_ok(request.headers.get("x-bot-api-secret-token"), zalo_secret):
                return JSONResponse({"ok": False, "description": "Forbidden"}, status_code=403)
            status, _parsed = await take(request, zalo_updates.parse_update, "zalo")
            return JSONResponse({"ok": status == 200}, status_code=status, headers=_retry(status))

    if telegram is not None:
        telegram_secret = _secret(settings.telegram_webhook_secret)

        @web.post("/telegram/webhook")
        async def telegram_webhook(request: Request) -> Response:
            given = request.headers.get("x-telegram-bot-api-secret-token")
            if not _secret_ok(given, telegram_secret):
                return Response(status_code=403)
            status, parsed = await take(request, telegram_updates.parse_update, "telegram")
            if status == 200:
                telegram.acknowledge([parsed])
            return Response(status_code=status, headers=_retry(status))

    return web


def _retry(status: int) -> dict[str, str]:
    """Retry-After for a 503 (backlog full or database unavailable)."""
    return {"Retry-After": "5"} if status == 503 else {}

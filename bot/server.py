"""`bot run`: every configured channel plus the HTTP server, with a clean shutdown on SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal

import httpx
import uvicorn
from telegram.error import TelegramError

from bot.app import App, build_app
from bot.channels.telegram import CHANNEL as TELEGRAM
from bot.channels.telegram import TelegramChannel, build_application
from bot.channels.zalo import CHANNEL as ZALO
from bot.channels.zalo import ZaloApiError, ZaloChannel, ZaloClient
from bot.config import Settings
from bot.metrics import Metrics, instrumented
from bot.web import InFlight, create_web_app

log = logging.getLogger(__name__)


class StartupError(Exception):
    """`bot run` could not start: a setting is missing or a platform cannot be reached."""


def check_webhook_settings(settings: Settings) -> None:
    """Webhook mode needs its secret: refuse to start rather than accept unsigned requests."""
    if settings.telegram_webhook_url and settings.telegram_webhook_secret is None:
        raise StartupError("TELEGRAM_WEBHOOK_SECRET is required with TELEGRAM_WEBHOOK_URL.")
    if settings.zalo_webhook_url and settings.zalo_webhook_secret is None:
        raise StartupError("ZALO_WEBHOOK_SECRET is required with ZALO_WEBHOOK_URL.")


def build_zalo(app: App, metrics: Metrics) -> ZaloChannel | None:
    """The Zalo channel, when a token is configured."""
    token = app.settings.zalo_bot_token
    if token is None:
        return None
    client = ZaloClient(token.get_secret_value(), base_url=app.settings.zalo_base_url)
    return ZaloChannel(
        client,
        instrumented(app.runner.handle, ZALO, metrics),
        on_send=lambda outcome: metrics.sends.labels(ZALO, outcome).inc(),
    )


def build_telegram(app: App, metrics: Metrics) -> TelegramChannel | None:
    """The Telegram channel, when a token is configured."""
    token = app.settings.telegram_bot_token
    if token is None:
        return None
    application = build_application(
        token.get_secret_value(),
        base_url=app.settings.telegram_base_url,
        polling=not app.settings.telegram_webhook_url,
    )
    return TelegramChannel(
        application,
        instrumented(app.runner.handle, TELEGRAM, metrics),
        on_send=lambda outcome: metrics.sends.labels(TELEGRAM, outcome).inc(),
    )


async def start_telegram(channel: TelegramChannel, settings: Settings) -> None:
    """getMe, then either polling or setWebhook with the secret."""
    application = channel.application
    await application.initialize()
    await application.start()
    if settings.telegram_webhook_url:
        secret = settings.telegram_webhook_secret
        assert secret is not None  # check_webhook_settings
        await channel.bot.set_webhook(
            settings.telegram_webhook_url, secret_token=secret.get_secret_value()
        )
        log.warning("Telegram: webhook mode (%s)", settings.telegram_webhook_url)
    else:
        assert application.updater is not None
        await application.updater.start_polling(timeout=20)
        log.warning("Telegram: polling mode")


async def stop_telegram(channel: TelegramChannel) -> None:
    """Stop polling (no new updates), let handlers finish, close the client."""
    application = channel.application
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()


async def start_zalo(
    channel: ZaloChannel, settings: Settings, stop: asyncio.Event
) -> list[asyncio.Task[None]]:
    """setWebhook with the secret, or a long-polling task (returned, to be awaited at exit)."""
    if settings.zalo_webhook_url:
        secret = settings.zalo_webhook_secret
        assert secret is not None  # check_webhook_settings
        await channel.client.set_webhook(settings.zalo_webhook_url, secret.get_secret_value())
        log.warning("Zalo: webhook mode (%s)", settings.zalo_webhook_url)
        return []
    log.warning("Zalo: polling mode")
    return [asyncio.create_task(channel.poll(stop))]


async def serve(settings: Settings) -> None:
    """Run until SIGTERM/SIGINT; then stop taking updates and finish the turns in flight.

    Raises StartupError, having released everything, when it cannot start.
    """
    check_webhook_settings(settings)
    app = build_app(settings)
    metrics = Metrics()
    zalo = build_zalo(app, metrics)
    telegram = build_telegram(app, metrics)
    in_flight = InFlight()
    web = create_web_app(app, metrics=metrics, zalo=zalo, telegram=telegram, in_flight=in_flight)
    server = uvicorn.Server(
        uvicorn.Config(web, host=settings.http_host, port=settings.http_port, log_level="warning")
    )
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    workers: list[asyncio.Task[None]] = [asyncio.create_task(server.serve())]
    try:
        if telegram is not None:
            await start_telegram(telegram, settings)
        if zalo is not None:
            workers.extend(await start_zalo(zalo, settings, stop))
    except (TelegramError, ZaloApiError, httpx.HTTPError) as error:
        server.should_exit = True
        await asyncio.gather(*workers, return_exceptions=True)
        if telegram is not None:
            await stop_telegram(telegram)
        if zalo is not None:
            await zalo.client.aclose()
        await app.aclose()
        raise StartupError(f"Could not reach the messaging platform: {error}") from error
    log.warning("HTTP server on %s:%s", settings.http_host, settings.http_port)
    await stop.wait()
    log.warning("Stopping: no new updates; finishing the turns in flight")
    server.should_exit = True
    for worker in workers[1:]:
        worker.cancel()
    if telegram is not None:
        await stop_telegram(telegram)
    await asyncio.gather(*workers, return_exceptions=True)
    await in_flight.wait()
    if zalo is not None:
        await zalo.client.aclose()
    await app.aclose()

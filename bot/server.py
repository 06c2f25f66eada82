"""`bot run`: the channels, the inbox workers, the sender and the HTTP server, with a
bounded shutdown on SIGTERM.

On SIGTERM: stop taking updates (the HTTP server closes, polling loops end), let each inbox
worker finish its turn and the sender its sends in progress, within SHUTDOWN_GRACE_SECONDS;
then cancel. Whatever is stored and not handled, or written and not sent, waits in the
database for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import time as dt_time
from datetime import timedelta

import httpx
import uvicorn
from telegram.error import NetworkError, TelegramError

from bot.app import App, Runtime, build_app, build_runtime
from bot.channels.base import pause
from bot.channels.telegram import TelegramTokenRejected
from bot.channels.zalo import ZaloApiError, ZaloTokenRejected
from bot.config import Settings
from bot.metrics import Metrics
from bot.scheduler import Scheduler
from bot.services.retention import prune_exports, prune_handled
from bot.web import create_web_app
from bot.web.console import mount_console

log = logging.getLogger(__name__)

HOUSEKEEPING_SECONDS = 3600.0
MAX_RESTART_BACKOFF = 60.0


# A platform refused the bot token: no retry helps until the setting is corrected.
TOKEN_REJECTED = (TelegramTokenRejected, ZaloTokenRejected)
TOKEN_HELP = {
    "TELEGRAM_BOT_TOKEN": "check it with @BotFather",
    "ZALO_BOT_TOKEN": "check it in Zalo Bot Manager",
}
TOKEN_REJECTED_STATE = "token rejected"


class StartupError(Exception):
    """`bot run` could not start: a setting is missing or wrong, or a platform cannot be
    reached. Its text is one line that names the setting and never holds a token."""


def token_rejected(error: TelegramTokenRejected | ZaloTokenRejected) -> str:
    """One line naming the token's setting and what to do."""
    return (
        f"{error.setting}: {error.platform} rejected the token ({error}); "
        f"{TOKEN_HELP[error.setting]}"
    )


def check_webhook_settings(settings: Settings) -> None:
    """Webhook mode needs its secret: refuse to start rather than accept unsigned requests."""
    if settings.telegram_webhook_url and settings.telegram_webhook_secret is None:
        raise StartupError("TELEGRAM_WEBHOOK_SECRET is required with TELEGRAM_WEBHOOK_URL.")
    if settings.zalo_webhook_url and settings.zalo_webhook_secret is None:
        raise StartupError("ZALO_WEBHOOK_SECRET is required with ZALO_WEBHOOK_URL.")


class LoopSupervisor:
    """Keeps background loops alive: a loop that raises is logged with its context and
    restarted with backoff; `states` is what /healthz reports."""

    def __init__(self) -> None:
        self.states: dict[str, str] = {}

    async def supervise(
        self, name: str, run: Callable[[], Awaitable[None]], stop: asyncio.Event
    ) -> None:
        """Run `run()` until `stop` is set, restarting it whenever it fails or returns."""
        backoff = 1.0
        while not stop.is_set():
            self.states[name] = "running"
            started = time.monotonic()
            try:
                await run()
            except asyncio.CancelledError:
                self.states[name] = "stopped"
                raise
            except TOKEN_REJECTED as error:
                # Not a crash (no traceback), and no retry helps soon: /healthz says 503.
                log.error(
                    "%s stopped: %s; /healthz reports it; trying again in %.0f s",
                    name,
                    token_rejected(error),
                    MAX_RESTART_BACKOFF,
                )
                self.states[name] = TOKEN_REJECTED_STATE
                await pause(stop, MAX_RESTART_BACKOFF)
                continue
            except Exception as error:
                reason = f"{type(error).__name__}: {error}"[:200]
                log.exception("%s stopped (%s); restarting in %.0f s", name, reason, backoff)
                self.states[name] = f"restarting after {type(error).__name__}"
            else:
                if stop.is_set():
                    break
                log.error("%s returned by itself; restarting in %.0f s", name, backoff)
                self.states[name] = "restarting"
            if time.monotonic() - started > MAX_RESTART_BACKOFF:
                backoff = 1.0
            await pause(stop, backoff)
            backoff = min(backoff * 2, MAX_RESTART_BACKOFF)
        self.states[name] = "stopped"


async def start_channels(runtime: Runtime, settings: Settings, loops: LoopSupervisor) -> None:
    """getMe / setWebhook; polling loops are started by `serve`. Raises StartupError."""
    if runtime.telegram is not None:
        with _starting("TELEGRAM", settings.telegram_base_url):
            await runtime.telegram.start()
        if settings.telegram_webhook_url:
            secret = settings.telegram_webhook_secret
            assert secret is not None  # check_webhook_settings
            with _starting("TELEGRAM", settings.telegram_base_url, webhook=True):
                await runtime.telegram.set_webhook(
                    settings.telegram_webhook_url, secret.get_secret_value()
                )
            loops.states["telegram"] = "webhook"
            log.warning("Telegram: webhook mode (%s)", settings.telegram_webhook_url)
    if runtime.zalo is not None:
        with _starting("ZALO", settings.zalo_base_url):
            await runtime.zalo.start()
        if settings.zalo_webhook_url:
            secret = settings.zalo_webhook_secret
            assert secret is not None  # check_webhook_settings
            with _starting("ZALO", settings.zalo_base_url, webhook=True):
                await runtime.zalo.set_webhook(settings.zalo_webhook_url, secret.get_secret_value())
            loops.states["zalo"] = "webhook"
            log.warning("Zalo: webhook mode (%s)", settings.zalo_webhook_url)


@contextlib.contextmanager
def _starting(prefix: str, base_url: str, *, webhook: bool = False) -> Iterator[None]:
    """Turn a platform's refusal or silence at start into a StartupError naming the setting
    (PREFIX_BOT_TOKEN, PREFIX_WEBHOOK_URL or PREFIX_BASE_URL)."""
    try:
        yield
    except TOKEN_REJECTED as error:
        raise StartupError(token_rejected(error)) from None
    except (NetworkError, httpx.HTTPError) as error:  # PTB's NetworkError includes TimedOut
        raise StartupError(
            f"{prefix}_BASE_URL: Could not reach the messaging platform at {base_url}: "
            f"{_first_line(error)}"
        ) from None
    except (TelegramError, ZaloApiError) as error:
        setting = f"{prefix}_WEBHOOK_URL" if webhook else f"{prefix}_BASE_URL"
        platform = prefix.capitalize()
        raise StartupError(
            f"{setting}: {platform} refused the request: {_first_line(error)}"
        ) from None


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def build_scheduler(
    app: App, *, on_started: Callable[[str], None] = lambda _channel: None
) -> Scheduler:
    """The scheduling role: reminders planned, broadcasts started and finished
    (`on_started(channel)`: a broadcast's rows are waiting on that channel)."""
    settings = app.settings
    return Scheduler(
        engine=app.engine,
        sessionmaker=app.runner.sessionmaker,
        content=app.content,
        places=app.places,
        offsets=settings.reminder_offsets,
        send_time=dt_time.fromisoformat(settings.reminder_time),
        timezone=settings.timezone,
        every=settings.scheduler_seconds,
        today=app.clock.today,
        on_started=on_started,
    )


def polling_loops(
    runtime: Runtime, settings: Settings, stop: asyncio.Event
) -> dict[str, Callable[[], Awaitable[None]]]:
    """The polling loops of the channels not in webhook mode."""
    loops: dict[str, Callable[[], Awaitable[None]]] = {}
    telegram, zalo = runtime.telegram, runtime.zalo
    if telegram is not None and not settings.telegram_webhook_url:
        loops["telegram"] = lambda: telegram.poll(runtime.intake, stop)
    if zalo is not None and not settings.zalo_webhook_url:
        loops["zalo"] = lambda: zalo.poll(runtime.intake, stop)
    return loops


async def housekeeping(app: App, stop: asyncio.Event) -> None:
    """Prune handled updates and sent messages past the retention period, and chat exports
    older than a day, hourly."""
    while not stop.is_set():
        try:
            pruned = await prune_handled(
                app.runner.sessionmaker,
                older_than=timedelta(days=app.settings.retention_days),
                bodies_older_than=timedelta(days=app.settings.outbox_body_days),
            )
            pruned["exports"] = prune_exports(app.settings.export_dir)
            if any(pruned.values()):
                log.warning("Housekeeping: deleted %s", pruned)
        except Exception:
            log.exception("Housekeeping failed; trying again in an hour")
        await pause(stop, HOUSEKEEPING_SECONDS)


async def serve(settings: Settings) -> None:
    """Run until SIGTERM/SIGINT, then stop within the grace period.

    Raises StartupError, having released everything, when it cannot start.
    """
    check_webhook_settings(settings)
    sockets = listen(settings.http_host, settings.http_port)
    try:
        await _run(settings, sockets)
    finally:
        for sock in sockets:
            sock.close()


async def require_schema(app: App) -> None:
    """StartupError naming DATABASE_URL when the database is not migrated to the newest
    revision (the console, the scheduler and every turn would fail on it)."""
    from db import migrate

    if await migrate.current_revision(app.engine) != migrate.head_revision():
        raise StartupError(
            "DATABASE_URL: the database is not up to date; run `bot db upgrade` first"
        )


def listen(host: str, port: int) -> list[socket.socket]:
    """The HTTP server's sockets, bound before anything else starts (as uvicorn would: every
    address `host` resolves to); StartupError naming HTTP_HOST/HTTP_PORT when they cannot be."""
    sockets: list[socket.socket] = []
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        for family, _type, _proto, _name, address in dict.fromkeys(found):
            server = socket.create_server(address, family=family)
            # Accepted connections inherit it. asyncio sets it only on sockets it made with
            # IPPROTO_TCP, and this one says 0: without it, a keep-alive answer waited for the
            # client's delayed ACK, ~40 ms each (bench/console.py).
            server.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sockets.append(server)
    except OSError as error:
        for sock in sockets:
            sock.close()
        plain = error.errno and not isinstance(error, socket.gaierror)  # strerror adds more
        reason = os.strerror(error.errno) if plain else (error.strerror or str(error))
        raise StartupError(
            f"HTTP_HOST/HTTP_PORT: cannot listen on {host}:{port}: {reason}"
        ) from None
    return sockets


async def _run(settings: Settings, sockets: list[socket.socket]) -> None:
    """`serve` on the HTTP server's bound sockets."""
    app = build_app(settings)
    metrics = Metrics()
    runtime = build_runtime(app, metrics)
    loops = LoopSupervisor()
    web = create_web_app(
        app,
        metrics=metrics,
        intake=runtime.intake,
        zalo=runtime.zalo,
        telegram=runtime.telegram,
        loops=loops.states,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            web,
            host=settings.http_host,
            port=settings.http_port,
            log_level="warning",
            timeout_keep_alive=5,
            timeout_graceful_shutdown=2,
        )
    )
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    stop, work_stop = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await start_channels(runtime, settings, loops)
        await require_schema(app)
        await mount_console(web, app)  # it reads the database
    except StartupError:
        await runtime.aclose()
        await app.aclose()
        raise

    scheduler = build_scheduler(app, on_started=runtime.sender.wake_broadcasts)
    intake = [asyncio.create_task(server.serve(sockets=sockets), name="http")]
    intake += [
        asyncio.create_task(loops.supervise(name, run, stop), name=name)
        for name, run in polling_loops(runtime, settings, stop).items()
    ]
    work = [
        asyncio.create_task(
            loops.supervise("inbox", lambda: runtime.workers.run(work_stop), work_stop)
        ),
        asyncio.create_task(
            loops.supervise("sender", lambda: runtime.sender.run(work_stop), work_stop)
        ),
        asyncio.create_task(housekeeping(app, work_stop), name="housekeeping"),
        asyncio.create_task(
            loops.supervise("scheduler", lambda: scheduler.run(work_stop), work_stop)
        ),
    ]
    log.warning("HTTP server on %s:%s", settings.http_host, settings.http_port)
    await stop.wait()
    deadline = time.monotonic() + settings.shutdown_grace_seconds
    log.warning("Stopping: no new updates; finishing the turns and sends in progress")
    server.should_exit = True
    for task in intake[1:]:
        task.cancel()  # a long poll in progress: its updates are not confirmed, so not lost
    await asyncio.gather(*intake, return_exceptions=True)
    work_stop.set()
    _done, late = await asyncio.wait(work, timeout=max(0.0, deadline - time.monotonic()))
    await runtime.sender.drain(max(0.0, deadline - time.monotonic()))
    for task in late:
        task.cancel()
    await asyncio.gather(*work, return_exceptions=True)
    await runtime.aclose()
    await app.aclose()
    log.warning("Stopped")

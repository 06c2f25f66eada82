"""`bot run`: the messaging channels and the HTTP server."""

from __future__ import annotations

import asyncio

import typer

from bot.cli.common import EXIT_FAILED, check_database, fail, load_settings

NO_CHANNEL_MESSAGE = """\
Chưa cấu hình kênh nhắn tin nào: hãy đặt biến môi trường TELEGRAM_BOT_TOKEN hoặc ZALO_BOT_TOKEN.
Để thử trợ lý ngay trên máy này, hãy chạy: make chat

No messaging channel is configured: set TELEGRAM_BOT_TOKEN or ZALO_BOT_TOKEN.
To try the assistant on this machine, run: make chat
"""


def register(cli: typer.Typer) -> None:
    """Add `run` to the app."""
    cli.command()(run)


def run() -> None:
    """Start every configured messaging channel and the HTTP server (webhooks, health, metrics)."""
    settings = load_settings()
    if not settings.has_channel_token:
        typer.echo(NO_CHANNEL_MESSAGE, err=True)
        raise typer.Exit(code=2)
    from bot.server import StartupError, serve

    asyncio.run(check_database(settings))
    try:
        asyncio.run(serve(settings))
    except StartupError as error:
        fail(str(error), code=EXIT_FAILED, secrets=settings.secret_values())

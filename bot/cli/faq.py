"""The `faq` group: questions the bot could not place."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from bot.cli.common import load_settings, read
from bot.config import Settings

faq_cli = typer.Typer(help="Questions and answers.", no_args_is_help=True)


def register(cli: typer.Typer) -> None:
    """Add the `faq` group to the app."""
    cli.add_typer(faq_cli, name="faq")


@faq_cli.command("misses")
def faq_misses(
    limit: Annotated[int, typer.Option("--limit", help="How many to list.")] = 50,
) -> None:
    """Questions the bot could not answer, most frequent first."""
    settings = load_settings()
    asyncio.run(_faq_misses(settings, limit))


async def _faq_misses(settings: Settings, limit: int) -> None:
    from rich.console import Console
    from rich.table import Table

    from db.repositories.faq_misses import FaqMissRepository

    rows = await read(
        settings, lambda session: FaqMissRepository(session).most_frequent(limit=limit)
    )
    if not rows:
        typer.echo("No unanswered questions recorded.")
        return
    table = Table("count", "last asked (UTC)", "channel", "question")
    for row in rows:
        table.add_row(
            str(row.count), row.last_asked.strftime("%Y-%m-%d %H:%M"), row.channels, row.text
        )
    Console(soft_wrap=True).print(table)

"""The `outbox` group: what the bot has sent, is sending, could not send, or does not know
whether it arrived (a message left `unknown` is never resent: review it here)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from bot.cli.common import load_settings, read
from bot.config import Settings

outbox_cli = typer.Typer(help="Messages the bot sends (replies, status messages).",
                         no_args_is_help=True)  # fmt: skip
STATUSES = ("pending", "sending", "sent", "blocked", "failed", "unknown")


def register(cli: typer.Typer) -> None:
    """Add the `outbox` group to the app."""
    cli.add_typer(outbox_cli, name="outbox")


@outbox_cli.command("list")
def outbox_list(
    status: Annotated[
        str | None, typer.Option("--status", help=", ".join(STATUSES), show_default=False)
    ] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="reply or status.", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="How many to list.")] = 50,
) -> None:
    """The newest messages first, with their outcome; the totals by status."""
    if status is not None and status not in STATUSES:
        raise typer.BadParameter("choose one of " + ", ".join(STATUSES), param_hint="--status")
    settings = load_settings()
    asyncio.run(_list(settings, status, kind, limit))


async def _list(settings: Settings, status: str | None, kind: str | None, limit: int) -> None:
    from rich.console import Console
    from rich.table import Table

    from bot.core.text import mask_personal_numbers
    from db.repositories.outbox import OutboxRepository

    async def query(session):  # type: ignore[no-untyped-def]
        outbox = OutboxRepository(session)
        return await outbox.counts(), await outbox.listed(status=status, kind=kind, limit=limit)

    counts, rows = await read(settings, query)
    typer.echo("Totals: " + (", ".join(f"{s} {counts[s]}" for s in STATUSES if counts.get(s))
                             or "no messages"))  # fmt: skip
    if not rows:
        return
    table = Table("id", "kind", "channel", "to", "status", "tries", "finished (UTC)", "text",
                  "error")  # fmt: skip
    for row in rows:
        text = str((row.body or {}).get("text") or "")
        table.add_row(
            str(row.id),
            row.kind,
            row.channel,
            mask_personal_numbers(row.address)[-6:].rjust(6, "*"),
            row.status,
            str(row.attempts),
            row.finished_at.strftime("%Y-%m-%d %H:%M:%S") if row.finished_at else "",
            mask_personal_numbers(text[:40].replace("\n", " ")),
            (row.last_error or "")[:60],
        )
    Console(soft_wrap=True, width=160).print(table)

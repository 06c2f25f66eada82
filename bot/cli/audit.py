"""The `audit` group: who did what to personal data, and when (exports, status changes,
staff changes, erasures); the log holds counts and filters, never the data itself."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer

from bot.cli.common import load_settings, read
from bot.config import Settings

audit_cli = typer.Typer(help="The audit log.", no_args_is_help=True)


def register(cli: typer.Typer) -> None:
    """Add the `audit` group to the app."""
    cli.add_typer(audit_cli, name="audit")


@audit_cli.command("list")
def audit_list(
    action: Annotated[
        str | None,
        typer.Option(
            "--action",
            help="Only actions starting with this (registration., staff.,"
            " registrations.exported, personal_data.).",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="How many to list.")] = 50,
) -> None:
    """The newest entries first."""
    settings = load_settings()
    asyncio.run(_list(settings, action, limit))


async def _list(settings: Settings, action: str | None, limit: int) -> None:
    from rich.console import Console
    from rich.table import Table

    from db.repositories.audit import AuditRepository

    rows = await read(
        settings, lambda session: AuditRepository(session).latest(limit, action=action)
    )
    if not rows:
        typer.echo("The audit log is empty.")
        return
    table = Table("id", "when (UTC)", "who", "what", "details")
    for row in rows:
        table.add_row(
            str(row.id),
            row.at.strftime("%Y-%m-%d %H:%M:%S"),
            row.actor,
            row.action,
            json.dumps(row.detail, ensure_ascii=False, sort_keys=True),
        )
    Console(soft_wrap=True, width=160).print(table)

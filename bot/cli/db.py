"""The `db` group: migrations and pruning."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from bot.cli.common import check_database, connect, load_settings, require_schema
from bot.config import Settings

db_cli = typer.Typer(help="Database migrations.", no_args_is_help=True)


def register(cli: typer.Typer) -> None:
    """Add the `db` group to the app."""
    cli.add_typer(db_cli, name="db")


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply database migrations (DATABASE_URL)."""
    from db import migrate

    settings = load_settings()
    asyncio.run(check_database(settings))
    migrate.upgrade(settings.database_url, revision)


@db_cli.command("check")
def db_check() -> None:
    """Fail when the models and the migrations have drifted apart."""
    from db import migrate

    settings = load_settings()
    asyncio.run(check_database(settings))
    migrate.check(settings.database_url)


@db_cli.command("prune")
def db_prune(
    days: Annotated[
        int | None,
        typer.Option(help="Keep this many days (default: RETENTION_DAYS).", show_default=False),
    ] = None,
) -> None:
    """Delete handled updates and finished messages older than the retention period
    (`bot run` does this every hour)."""
    settings = load_settings()
    pruned = asyncio.run(_prune(settings, days if days is not None else settings.retention_days))
    typer.echo(
        f"Deleted {pruned['inbox']} handled updates, {pruned['outbox']} sent replies and "
        f"{pruned['exports']} export files; emptied the text of {pruned['bodies']} broadcast "
        "and status messages."
    )


async def _prune(settings: Settings, days: int) -> dict[str, int]:
    from datetime import timedelta

    from bot.services.retention import prune_exports, prune_handled
    from db.session import make_sessionmaker

    engine = await connect(settings)
    try:
        await require_schema(engine)
        pruned = await prune_handled(
            make_sessionmaker(engine),
            older_than=timedelta(days=days),
            bodies_older_than=timedelta(days=settings.outbox_body_days),
        )
        return {**pruned, "exports": prune_exports(settings.export_dir)}
    finally:
        await engine.dispose()

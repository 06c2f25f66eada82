"""`bot device` (check phones) and the `devices` group (misses, import-tac)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import (
    LocaleOption,
    TodayOption,
    check_locale,
    connect,
    load_settings,
    migrate_embedded,
    questions,
    read,
    require_schema,
)
from bot.config import Settings

devices_cli = typer.Typer(help="Phone models and the TAC table.", no_args_is_help=True)


def register(cli: typer.Typer) -> None:
    """Add `device` and the `devices` group to the app."""
    cli.command()(device)
    cli.add_typer(devices_cli, name="devices")


def device(
    query: Annotated[
        str | None, typer.Argument(help="Model name or IMEI; omit to read stdin.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    today: TodayOption = None,
    locale: LocaleOption = None,
) -> None:
    """Check phones by model name or IMEI (the shipped TAC table, and any imported with
    `bot devices import-tac` into DATABASE_URL)."""
    check_locale(locale)
    settings = load_settings(today)
    asyncio.run(_device(settings, questions(query), as_json, locale or settings.default_locale))


async def _device(settings: Settings, queries: Iterable[str], as_json: bool, locale: str) -> None:
    from bot.app import build_catalogue
    from bot.services.device_checks import DeviceChecker
    from bot.services.tac_table import PackagedTacTable
    from db.session import make_sessionmaker

    await migrate_embedded(settings)
    catalogue = build_catalogue(settings.content_dir)
    tacs = PackagedTacTable(settings.content_dir / "tac.csv")
    engine = await connect(settings)
    try:
        await require_schema(engine)
        async with make_sessionmaker(engine)() as session:
            checker = DeviceChecker(session, catalogue, tacs)
            for query in queries:
                result = await checker.check(query)
                if as_json:
                    typer.echo(json.dumps(result.as_json(), ensure_ascii=False))
                    continue
                name = " ".join(p for p in (result.brand, result.model) if p) or "?"
                extra = ""
                if result.candidates:
                    extra = " — " + "; ".join(m.name for m in result.candidates)
                if result.kind == "imei" and not result.valid:
                    extra = f" — invalid IMEI ({result.imei_problem})"
                typer.echo(f"{query}: {name}: {result.verdict.value} ({result.confidence}){extra}")
    finally:
        await engine.dispose()


@devices_cli.command("misses")
def devices_misses(
    limit: Annotated[int, typer.Option("--limit", help="How many to list.")] = 50,
) -> None:
    """Phones the catalogue could not judge (unknown models, IMEIs without a verdict)."""
    settings = load_settings()
    asyncio.run(_devices_misses(settings, limit))


async def _devices_misses(settings: Settings, limit: int) -> None:
    from rich.console import Console
    from rich.table import Table

    from db.repositories.devices import DeviceMissRepository

    rows = await read(
        settings, lambda session: DeviceMissRepository(session).most_frequent(limit=limit)
    )
    if not rows:
        typer.echo("No unknown phones recorded.")
        return
    table = Table("count", "last asked (UTC)", "kind", "brand", "model", "tac", "as typed")
    for row in rows:
        table.add_row(
            str(row.count),
            row.last_asked.strftime("%Y-%m-%d %H:%M"),
            row.kind,
            row.brand or "",
            row.model or "",
            row.tac or "",
            row.example,
        )
    Console(soft_wrap=True).print(table)


@devices_cli.command("import-tac")
def devices_import_tac(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The file to import.")],
    fmt: Annotated[
        str, typer.Option("--format", help="osmocom (Osmocom TAC export) or csv (tac,brand,model).")
    ] = "osmocom",
) -> None:
    """Import a TAC → model file into the database (idempotent; safe to re-run)."""
    from bot.services.tac_import import TacFormat

    try:
        tac_format = TacFormat(fmt)
    except ValueError:
        raise typer.BadParameter("choose osmocom or csv", param_hint="--format") from None
    settings = load_settings()
    asyncio.run(_import_tac(settings, path, tac_format))


async def _import_tac(settings: Settings, path: Path, tac_format: object) -> None:
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from bot.services.tac_import import TacFormat, import_tac_file
    from db.session import make_sessionmaker

    assert isinstance(tac_format, TacFormat)
    engine = await connect(settings)
    try:
        await require_schema(engine)
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            transient=True,
        ) as progress:
            task = progress.add_task(f"Importing {path.name}", total=path.stat().st_size)
            summary = await import_tac_file(
                make_sessionmaker(engine),
                path,
                tac_format,
                progress=lambda size: progress.advance(task, size),
            )
    finally:
        await engine.dispose()
    typer.echo(
        f"Lines read: {summary.lines}\n"
        f"TAC rows written: {summary.imported}\n"
        f"Duplicate TACs in the file (last one kept): {summary.duplicates_in_batch}\n"
        f"7-digit TACs given back their leading zero: {summary.zero_padded}\n"
        f"  of these, not used because the TAC is known exactly: {summary.padded_not_used}\n"
        f"Lines skipped: {summary.skipped}\n"
        f"TACs now in the database: {summary.tacs_in_database}"
    )
    for example in summary.skipped_examples:
        typer.echo(f"  skipped {example}")

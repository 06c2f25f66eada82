"""The `export` group: registrations to an Excel (XLSX) or CSV file, filtered, within a staff
member's area when `--as-staff` is given; every export is written to the audit log."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import fail, load_settings, write
from bot.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.services.exports import ExportFormat
    from bot.services.scopes import RegistrationFilter

export_cli = typer.Typer(help="Export data to files.", no_args_is_help=True)


def register(cli: typer.Typer) -> None:
    """Add the `export` group to the app."""
    cli.add_typer(export_cli, name="export")


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date YYYY-MM-DD", param_hint=option) from None


@export_cli.command("registrations")
def export_registrations(
    output: Annotated[Path, typer.Option("-o", "--output", help="The file to write.")],
    fmt: Annotated[str, typer.Option("--format", help="xlsx or csv.")] = "xlsx",
    province: Annotated[int | None, typer.Option("--province", show_default=False)] = None,
    ward: Annotated[int | None, typer.Option("--ward", show_default=False)] = None,
    status: Annotated[str | None, typer.Option("--status", show_default=False)] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Registered on or after (YYYY-MM-DD).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Registered on or before (YYYY-MM-DD).")
    ] = None,
    as_staff: Annotated[
        int | None,
        typer.Option(
            "--as-staff", help="Only what this staff member may see (their id).", show_default=False
        ),
    ] = None,
) -> None:
    """Write registrations to an XLSX or CSV file (Vietnamese headers; safe to open in Excel:
    no formulas, CSV in UTF-8 with BOM). The file is readable only by its owner."""
    from bot.services.exports import ExportFormat
    from bot.services.registrations import Status
    from bot.services.scopes import RegistrationFilter

    try:
        chosen_format = ExportFormat(fmt.lower())
    except ValueError:
        raise typer.BadParameter("choose xlsx or csv", param_hint="--format") from None
    if status is not None and status not in {s.value for s in Status}:
        raise typer.BadParameter(
            "choose one of " + ", ".join(s.value for s in Status), param_hint="--status"
        )
    chosen = RegistrationFilter(
        province_code=province,
        ward_code=ward,
        status=status,
        since=_day(since, "--since"),
        until=_day(until, "--until"),
    )
    if not output.parent.is_dir():
        fail(f"-o: the folder {output.parent} does not exist")
    settings = load_settings()
    count = asyncio.run(_export(settings, chosen, chosen_format, output, as_staff))
    typer.echo(f"{count} registrations written to {output}")


async def _export(
    settings: Settings,
    chosen: RegistrationFilter,
    fmt: ExportFormat,
    output: Path,
    as_staff: int | None,
) -> int:
    from zoneinfo import ZoneInfo

    from bot.core.access import identity_of
    from bot.services.casework import CaseworkService
    from bot.services.places import Places
    from bot.services.staff import scope_of
    from db.repositories.staff import StaffRepository

    places = Places()
    for code, option, found in (
        (chosen.province_code, "--province", places.province),
        (chosen.ward_code, "--ward", places.ward),
    ):
        if code is not None and found(code) is None:
            fail(f"{option}: no place has the code {code}")
    partial = output.with_name(f".{output.name}.partial")

    async def export(session: AsyncSession) -> int:
        staff = None
        if as_staff is not None:
            member = await StaffRepository(session).member(as_staff)
            if member is None:
                fail(f"--as-staff: no staff member has the id {as_staff}")
            staff = identity_of(member)
            if scope_of(staff).asks_outside(chosen, places):
                fail(f"--province/--ward: outside the area of staff member {as_staff}")
        return await CaseworkService(session, ZoneInfo(settings.timezone)).export(
            staff, chosen, fmt=fmt, path=partial, places=places
        )

    try:
        count = await write(settings, export)
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    return count

"""The `broadcast` group: announcements to subscribers from the command line: create (with
the audience's size and a preview, then a confirmation), list, status, cancel. `--as-staff`
acts within that staff member's area; every creation and cancellation is audited. `bot run`
sends them (its scheduler starts what is due)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import fail, load_settings, write
from bot.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.core.access import StaffIdentity
    from bot.services.broadcasts import BroadcastService, Report

broadcast_cli = typer.Typer(help="Announcements to subscribers.", no_args_is_help=True)

AsStaff = Annotated[
    int | None,
    typer.Option(
        "--as-staff",
        help="Act as this staff member (their id), within their area.",
        show_default=False,
    ),
]


def register(cli: typer.Typer) -> None:
    """Add the `broadcast` group to the app."""
    cli.add_typer(broadcast_cli, name="broadcast")


async def _service(settings: Settings, session: AsyncSession) -> BroadcastService:
    from bot.content.loader import load_content
    from bot.services.broadcasts import BroadcastService
    from bot.services.places import Places

    return BroadcastService(session, content=load_content(settings.content_dir), places=Places())


def _settings() -> Settings:
    """The settings, with the catalogs loaded (the preview is in Vietnamese)."""
    from bot.config import SUPPORTED_LOCALES
    from bot.core.i18n import load_catalogs

    settings = load_settings()
    load_catalogs(settings.locales_dir, SUPPORTED_LOCALES)
    return settings


async def _staff(session: AsyncSession, staff_id: int | None) -> StaffIdentity | None:
    from bot.core.access import identity_of
    from db.repositories.staff import StaffRepository

    if staff_id is None:
        return None
    member = await StaffRepository(session).member(staff_id)
    if member is None:
        fail(f"--as-staff: no staff member has the id {staff_id}")
    return identity_of(member)


def _refusal(error: Exception) -> str:
    from bot.services.broadcasts import BroadcastRefused, Refused

    if not isinstance(error, BroadcastRefused):
        return str(error)
    return {
        Refused.OUTSIDE_AREA: "--province/--ward: outside the staff member's area",
        Refused.NOT_FOUND: "no broadcast has this id (in this area)",
        Refused.FINISHED: "this broadcast is finished already (sent or cancelled)",
        Refused.EMPTY_TEXT: "--text: the announcement is empty",
        Refused.TOO_LONG: "--text/--text-en: longer than 2,000 characters",
        Refused.IN_THE_PAST: "--at: this time has passed",
        Refused.NOT_ALLOWED: "--as-staff: a viewer may not broadcast",
        Refused.NO_CHAT_ACCOUNT: "the staff member has no chat account",
    }[error.reason]


@broadcast_cli.command("create")
def broadcast_create(
    text: Annotated[str, typer.Option("--text", help="The announcement in Vietnamese.")],
    text_en: Annotated[
        str | None, typer.Option("--text-en", help="The same in English (optional).")
    ] = None,
    province: Annotated[int | None, typer.Option("--province", show_default=False)] = None,
    ward: Annotated[int | None, typer.Option("--ward", show_default=False)] = None,
    verdict: Annotated[
        str | None,
        typer.Option(
            "--verdict", help="affected, or a verdict (2g_only, no_4g, …).", show_default=False
        ),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status", help="People with a registration in this status.", show_default=False
        ),
    ] = None,
    channel: Annotated[
        str | None, typer.Option("--channel", help="telegram or zalo.", show_default=False)
    ] = None,
    at: Annotated[
        str,
        typer.Option("--at", help="When, local time: now, 'YYYY-MM-DD HH:MM' or 'DD/MM HH:MM'."),
    ] = "now",
    as_staff: AsStaff = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Schedule an announcement: shows the preview and the audience's size, then asks."""
    from zoneinfo import ZoneInfo

    from bot.core.clock import Clock
    from bot.services.broadcasts import BroadcastRefused, broadcast_reply, read_send_time
    from db.repositories.broadcasts import Audience

    settings = _settings()
    clock = Clock(timezone=settings.timezone)
    send_at = read_send_time(at, ZoneInfo(settings.timezone), clock.now())
    if send_at is None:
        raise typer.BadParameter("use now, 'YYYY-MM-DD HH:MM' or 'DD/MM HH:MM'", param_hint="--at")
    audience = Audience(province, ward, verdict, status, channel)

    async def size(session: AsyncSession) -> tuple[int, int]:
        service = await _service(settings, session)
        return await service.audience_size(await _staff(session, as_staff), audience)

    try:
        recipients, skipped = asyncio.run(write(settings, size))
    except BroadcastRefused as error:
        fail(_refusal(error))
    typer.echo("Preview, as people will receive it:\n")
    typer.echo(_indented(broadcast_reply(text, "vi").text))
    when = clock.local_moment(send_at).strftime("%Y-%m-%d %H:%M")
    typer.echo(f"\nTo: {recipients} subscribers ({skipped} more cannot be reached). When: {when}.")
    if not yes and not typer.confirm("Schedule it?"):
        typer.echo("Nothing was scheduled.")
        raise typer.Exit(code=1)

    async def create(session: AsyncSession) -> int:
        service = await _service(settings, session)
        row = await service.create(
            await _staff(session, as_staff),
            text_vi=text,
            text_en=text_en,
            audience=audience,
            send_at=send_at,
            now=clock.now(),
        )
        return row.id

    try:
        broadcast_id = asyncio.run(write(settings, create))
    except BroadcastRefused as error:
        fail(_refusal(error))
    typer.echo(f"Broadcast {broadcast_id} scheduled for {when}; `bot run` sends it.")


@broadcast_cli.command("list")
def broadcast_list(as_staff: AsStaff = None) -> None:
    """The newest broadcasts and reminders, with where they stand."""
    settings = load_settings()

    async def listed(session: AsyncSession) -> list[Report]:
        service = await _service(settings, session)
        return await service.listed(await _staff(session, as_staff), limit=30)

    reports = asyncio.run(write(settings, listed))
    if not reports:
        typer.echo("No broadcasts.")
        return
    for report in reports:
        typer.echo(_summary(report, settings.timezone))


@broadcast_cli.command("status")
def broadcast_status(
    broadcast_id: Annotated[int, typer.Argument(help="The broadcast's id.")],
    as_staff: AsStaff = None,
) -> None:
    """One broadcast: its audience, time, progress and outcomes."""
    from bot.services.broadcasts import BroadcastRefused

    settings = load_settings()

    async def report(session: AsyncSession) -> Report:
        service = await _service(settings, session)
        return await service.report(await _staff(session, as_staff), broadcast_id)

    try:
        found = asyncio.run(write(settings, report))
    except BroadcastRefused as error:
        fail(_refusal(error))
    typer.echo(_summary(found, settings.timezone))
    typer.echo(f"  audience: {found.broadcast.audience or 'every subscriber'}")


@broadcast_cli.command("cancel")
def broadcast_cancel(
    broadcast_id: Annotated[int, typer.Argument(help="The broadcast's id.")],
    as_staff: AsStaff = None,
) -> None:
    """Stop a broadcast: what has not been sent never will be."""
    from bot.services.broadcasts import BroadcastRefused

    settings = load_settings()

    async def cancel(session: AsyncSession) -> Report:
        service = await _service(settings, session)
        return await service.cancel(await _staff(session, as_staff), broadcast_id)

    try:
        found = asyncio.run(write(settings, cancel))
    except BroadcastRefused as error:
        fail(_refusal(error))
    typer.echo(_summary(found, settings.timezone))


def _summary(report: Report, timezone: str) -> str:
    from bot.core.clock import Clock

    row = report.broadcast
    what = (
        f"reminder {row.offset_days} days before {row.milestone_id}"
        if row.kind == "reminder"
        else (row.text_vi or "")[:50].replace("\n", " ")
    )
    counts = ", ".join(f"{name} {count}" for name, count in sorted(report.outcomes.items()))
    return (
        f"{row.id}: {row.status}, {Clock(timezone).local_moment(row.send_at):%Y-%m-%d %H:%M}, "
        f"{what!r}; "
        f"recipients {report.recipients}, not reachable {report.skipped}"
        + (f"; {counts}" if counts else "")
    )


def _indented(text: str) -> str:
    return "\n".join(f"  | {line}" for line in text.splitlines())

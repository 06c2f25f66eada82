"""The `staff` group: add a staff member (bootstrap), invite one with a one-time code, list
and remove them, make a sign-in link to the web console. Every change is written to the
audit log (actor "cli")."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from bot.cli.common import fail, load_settings, write
from bot.config import Settings

staff_cli = typer.Typer(help="Staff members: roles and areas.", no_args_is_help=True)

RoleOption = Annotated[
    str, typer.Option("--role", help="admin, officer (handles registrations) or viewer.")
]
ProvinceOption = Annotated[
    int | None,
    typer.Option("--province", help="Official province code (Sơn La: 14).", show_default=False),
]
WardOption = Annotated[
    int | None,
    typer.Option("--ward", help="Official commune/ward code: limits to that commune.",
                 show_default=False),
]  # fmt: skip


def register(cli: typer.Typer) -> None:
    """Add the `staff` group to the app."""
    cli.add_typer(staff_cli, name="staff")


def _role(value: str):  # type: ignore[no-untyped-def]
    from bot.core.access import Role

    try:
        return Role(value)
    except ValueError:
        raise typer.BadParameter("choose admin, officer or viewer", param_hint="--role") from None


def _refused(error: Exception) -> str:
    """A refused staff change in one line."""
    from bot.services.staff import StaffError, StaffProblem

    if not isinstance(error, StaffError):
        return str(error)
    return {
        StaffProblem.NO_SCOPE: "--province or --ward: an officer or a viewer works in an area",
        StaffProblem.UNKNOWN_PROVINCE: "--province: no province has this code",
        StaffProblem.UNKNOWN_WARD: "--ward: no commune or ward has this code",
        StaffProblem.WARD_OUTSIDE_PROVINCE: "--ward: this commune is not in --province",
        StaffProblem.ALREADY_STAFF: "this chat account is a staff member already",
        StaffProblem.NOT_FOUND: "no staff member has this id",
        StaffProblem.LAST_ADMIN: "this is the last admin; add another admin first",
    }[error.problem]


@staff_cli.command("add")
def staff_add(
    channel: Annotated[str, typer.Option("--channel", help="telegram, zalo or console.")],
    external_id: Annotated[str, typer.Option("--id", help="The account's id on that channel.")],
    role: RoleOption,
    province: ProvinceOption = None,
    ward: WardOption = None,
    name: Annotated[str | None, typer.Option("--name", help="A name to recognise them by.")] = None,
) -> None:
    """Make a chat account a staff member (also before it has written to the bot)."""
    from bot.services.places import Places
    from bot.services.staff import StaffError, StaffService

    if channel not in ("telegram", "zalo", "console"):
        raise typer.BadParameter("choose telegram, zalo or console", param_hint="--channel")
    chosen = _role(role)
    settings = load_settings()

    async def add(session):  # type: ignore[no-untyped-def]
        return await StaffService(session, Places()).add(
            channel=channel,
            external_id=external_id,
            role=chosen,
            province_code=province,
            ward_code=ward,
            name=name,
            locale=settings.default_locale,
        )

    try:
        member = asyncio.run(write(settings, add))
    except StaffError as error:
        fail(_refused(error))
    typer.echo(f"Staff member {member.id}: {channel}:{external_id}, {member.role.value}, "
               f"{_area(member.province_code, member.ward_code)}")  # fmt: skip


@staff_cli.command("invite")
def staff_invite(
    role: RoleOption, province: ProvinceOption = None, ward: WardOption = None
) -> None:
    """Print a one-time code (valid 72 hours, stored only as a hash) that makes whoever sends
    it to the bot as `/staff CODE` a staff member with this role and area."""
    from bot.services.places import Places
    from bot.services.staff import StaffError, StaffService

    chosen = _role(role)
    settings = load_settings()

    async def invite(session):  # type: ignore[no-untyped-def]
        return await StaffService(session, Places()).invite(
            role=chosen, province_code=province, ward_code=ward
        )

    try:
        invitation = asyncio.run(write(settings, invite))
    except StaffError as error:
        fail(_refused(error))
    typer.echo(
        f"Invitation code: {invitation.code}\n"
        f"The person sends to the bot (Telegram, Zalo): /staff {invitation.code}\n"
        f"It works once, until {invitation.expires_at:%Y-%m-%d %H:%M} UTC."
    )


@staff_cli.command("list")
def staff_list() -> None:
    """Every staff member with their role, area and chat accounts."""
    settings = load_settings()
    asyncio.run(_list(settings))


async def _list(settings: Settings) -> None:
    from rich.console import Console
    from rich.table import Table

    from bot.services.places import Places
    from bot.services.staff import StaffService

    rows = await write(settings, lambda session: StaffService(session, Places()).listed())
    if not rows:
        typer.echo("No staff members. Add one with: bot staff add --channel … --id … --role admin")
        return
    table = Table("id", "role", "area", "name", "accounts", "since (UTC)")
    for row in rows:
        member = row.member
        table.add_row(
            str(member.id),
            member.role,
            _area(member.province_code, member.ward_code),
            member.name or "",
            ", ".join(f"{channel}:{external}" for channel, external in row.accounts),
            member.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    Console(soft_wrap=True).print(table)


@staff_cli.command("remove")
def staff_remove(
    staff_id: Annotated[int, typer.Argument(help="The member's id (staff list).")],
) -> None:
    """Take a member's role away; their chat accounts become citizens' accounts."""
    from bot.services.places import Places
    from bot.services.staff import StaffError, StaffService

    settings = load_settings()

    async def remove(session):  # type: ignore[no-untyped-def]
        await StaffService(session, Places()).remove(staff_id)

    try:
        asyncio.run(write(settings, remove))
    except StaffError as error:
        fail(_refused(error))
    typer.echo(f"Staff member {staff_id} removed.")


@staff_cli.command("login-link")
def staff_login_link(
    staff_id: Annotated[int, typer.Argument(help="The member's id (staff list).")],
) -> None:
    """A one-time link that signs the member in to the web console (served by `bot run`)."""
    from bot.services.staff import StaffError, StaffProblem
    from bot.services.web_access import WebAccessService
    from db.repositories.staff import StaffRepository

    settings = load_settings()

    async def make(session):  # type: ignore[no-untyped-def]
        from bot.core.access import identity_of

        member = await StaffRepository(session).member(staff_id)
        if member is None:
            raise StaffError(StaffProblem.NOT_FOUND, str(staff_id))
        return await WebAccessService(session).login_link(
            identity_of(member), minutes=settings.web_login_link_minutes, actor="cli"
        )

    try:
        link = asyncio.run(write(settings, make))
    except StaffError as error:
        fail(_refused(error))
    typer.echo(f"{settings.console_url}/console/login/{link.token}")
    typer.echo(
        f"Works once, within {settings.web_login_link_minutes} minutes. Give it only to staff "
        f"member {staff_id}.",
        err=True,
    )


def _area(province_code: int | None, ward_code: int | None) -> str:
    from bot.services.places import Places

    places = Places()
    if ward_code is not None and (ward := places.ward(ward_code)) is not None:
        return f"{ward.name} ({ward_code})"
    if province_code is not None and (province := places.province(province_code)) is not None:
        return f"{province.name} ({province_code})"
    return "everywhere"

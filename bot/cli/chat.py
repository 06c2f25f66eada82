"""`bot chat`: the console chat."""

from __future__ import annotations

import asyncio
import getpass
import os
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import (
    TodayOption,
    check_locale,
    load_settings,
    migrate_embedded,
    require_schema,
)
from bot.config import Settings

if TYPE_CHECKING:
    from bot.app import App


def register(cli: typer.Typer) -> None:
    """Add `chat` to the app."""
    cli.command()(chat)


def _default_console_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "console")


def chat(
    user: Annotated[
        str | None, typer.Option("--user", help="Chat as this identity (default: your OS user).")
    ] = None,
    locale: Annotated[
        str | None, typer.Option("--locale", help="Language: vi or en.", show_default=False)
    ] = None,
    staff: Annotated[
        bool,
        typer.Option(
            "--staff",
            help="Act as a staff member: an admin of the default province, created on first "
            "use (without --user, the identity is YOUR-USER.staff, so `bot chat` stays a "
            "citizen's).",
        ),
    ] = False,
    today: TodayOption = None,
) -> None:
    """Chat with the bot in this terminal (or pipe one message per line into it)."""
    check_locale(locale)
    settings = load_settings(today)
    identity = user or _default_console_user() + (".staff" if staff else "")
    asyncio.run(_chat(settings, identity, locale, staff))


async def _chat(settings: Settings, user_id: str, locale: str | None, staff: bool) -> None:
    from bot.app import build_app
    from bot.channels.console import CHANNEL, ConsoleChannel, default_stdio
    from bot.core.quiet import QuietHours
    from bot.services.users import prepare_user

    await migrate_embedded(settings)
    app = build_app(settings)
    try:
        await require_schema(app.engine)
        await prepare_user(
            app.runner.sessionmaker,
            channel=CHANNEL,
            external_id=user_id,
            default_locale=settings.default_locale,
            locale=locale,
        )
        if staff:
            await _say_staff_identity(app, settings, user_id, locale)
        await _look_for_due_broadcasts(app)
        stdin, stdout = default_stdio()
        channel = ConsoleChannel(
            app.runner,
            user_id=user_id,
            stdin=stdin,
            stdout=stdout,
            quiet_hours=QuietHours.parse(settings.quiet_hours, settings.timezone),
        )
        await channel.run()
    finally:
        await app.aclose()


async def _look_for_due_broadcasts(app: App) -> None:
    """One scheduler tick, so that the console sees the reminders and announcements due
    without `bot run` (what is due is in the tables; a second look changes nothing)."""
    from bot.server import build_scheduler

    scheduler = build_scheduler(app)
    try:
        await scheduler.tick()
    finally:
        await scheduler.leader.release()


async def _say_staff_identity(
    app: App, settings: Settings, user_id: str, locale: str | None
) -> None:
    """Make this console account a staff member if it is not one (an admin of the default
    province), and say who it acts as."""
    from bot.services.users import prepare_console_staff

    member, created = await prepare_console_staff(
        app.runner.sessionmaker,
        external_id=user_id,
        province_code=settings.default_province_code,
        places=app.places,
        locale=locale or settings.default_locale,
    )
    from bot.core.i18n import _, use_locale
    from bot.handlers.staff.common import role_name

    with use_locale(locale or settings.default_locale):
        typer.echo(
            _(
                "[Staff] The console account “{user}” is staff member {id} ({news}): {role}, "
                "area: {area}. Type /canbo to begin."
            ).format(
                user=user_id,
                id=member.id,
                news=_("created now") if created else _("as before"),
                role=role_name(member.role),
                area=app.places.area_name(member.province_code, member.ward_code),
            )
        )

"""What the command groups share: settings, the database and its schema, options, and errors
told in one line."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer

from bot.config import SUPPORTED_LOCALES, Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

T = TypeVar("T")

# Exit codes: a setting that is wrong (2, as for a wrong option); anything else that stops a
# command, such as a database or platform that cannot be reached (1).
EXIT_BAD_SETTING = 2
EXIT_FAILED = 1

TodayOption = Annotated[
    str | None,
    typer.Option(
        "--today",
        help="Show the bot as on this date (YYYY-MM-DD); also BOT_TODAY.",
        show_default=False,
    ),
]

LocaleOption = Annotated[
    str | None, typer.Option("--locale", help="Language: vi or en.", show_default=False)
]


def fail(*lines: str, code: int = EXIT_BAD_SETTING, secrets: list[str] | None = None) -> NoReturn:
    """Print each line as `Error: …` on stderr, with tokens masked, and exit with `code`."""
    from bot.logging_setup import mask_secrets

    for line in lines:
        typer.echo(f"Error: {mask_secrets(line, secrets or [])}", err=True)
    raise typer.Exit(code=code)


def load_settings(today: str | None = None) -> Settings:
    """Settings from the environment, with the --today override applied; a bad setting is
    one line naming it, and exit 2."""
    from pydantic import ValidationError

    from bot.config import setting_errors

    try:
        settings = Settings()
    except ValidationError as error:
        fail(*setting_errors(error))
    if today is not None:
        try:
            settings.bot_today = date.fromisoformat(today)
        except ValueError:
            raise typer.BadParameter(
                f"'{today}' is not a date in the form YYYY-MM-DD", param_hint="--today"
            ) from None
    from bot.logging_setup import configure_logging

    configure_logging(settings.log_level, settings.secret_values())
    return settings


def check_locale(locale: str | None) -> None:
    """Refuse a --locale the bot has no texts for."""
    if locale is not None and locale not in SUPPORTED_LOCALES:
        raise typer.BadParameter(
            f"choose one of {', '.join(SUPPORTED_LOCALES)}", param_hint="--locale"
        )


def questions(question: str | None) -> list[str] | Iterator[str]:
    """The one question given, or one question per line of standard input."""
    if question is not None:
        return [question]
    return (line.rstrip("\r\n") for line in sys.stdin)


def unreachable(database_url: str, error: BaseException) -> str:
    """One line saying that DATABASE_URL cannot be reached, and why (never a password)."""
    from sqlalchemy.exc import DBAPIError

    from bot.config import redact_url

    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    lines = str(cause).strip().splitlines() or [type(cause).__name__]
    reason = lines[0].removeprefix("connection failed: ")
    return f"DATABASE_URL: cannot connect to {redact_url(database_url)}: {reason}"


async def connect(settings: Settings) -> AsyncEngine:
    """An engine on DATABASE_URL that has connected once; if it cannot, one line and exit 1."""
    from sqlalchemy import text
    from sqlalchemy.exc import InterfaceError, OperationalError

    from db.session import make_engine

    try:
        engine = make_engine(settings.database_url)  # creates an SQLite file's folder
    except OSError as error:
        fail(unreachable(settings.database_url, error), code=EXIT_FAILED)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (OperationalError, InterfaceError, OSError) as error:
        await engine.dispose()
        fail(unreachable(settings.database_url, error), code=EXIT_FAILED)
    return engine


async def check_database(settings: Settings) -> None:
    """Exit with one line when DATABASE_URL cannot be reached."""
    await (await connect(settings)).dispose()


async def migrate_embedded(settings: Settings) -> None:
    """Check that DATABASE_URL can be reached, and bring the embedded SQLite database up to
    date (other databases: `bot db upgrade`)."""
    from db import migrate
    from db.session import async_url

    await check_database(settings)
    if async_url(settings.database_url).get_backend_name() == "sqlite":
        await asyncio.to_thread(migrate.upgrade, settings.database_url)


async def require_schema(engine: AsyncEngine) -> None:
    """Exit with a clear message when the database is not migrated to the newest revision."""
    from db import migrate

    current = await migrate.current_revision(engine)
    if current != migrate.head_revision():
        typer.echo(
            "Cơ sở dữ liệu chưa được cập nhật. Hãy chạy: bot db upgrade\n"
            "The database is not up to date. Run: bot db upgrade",
            err=True,
        )
        raise typer.Exit(code=2)


async def read(settings: Settings, query: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one read against DATABASE_URL (migrated to the newest revision) and close it."""
    from db.session import make_sessionmaker

    engine = await connect(settings)
    try:
        await require_schema(engine)
        async with make_sessionmaker(engine)() as session:
            return await query(session)
    finally:
        await engine.dispose()


async def write(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction on DATABASE_URL (migrated to the newest revision),
    committed when it returns, and close the connection."""
    from db.session import make_sessionmaker

    engine = await connect(settings)
    try:
        await require_schema(engine)
        async with make_sessionmaker(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()

"""Command-line interface (Typer): chat, run, db."""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from bot.config import SUPPORTED_LOCALES, Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

    from bot.app import App

T = TypeVar("T")

cli = typer.Typer(
    help="Trợ lý tắt sóng 2G/3G — 2G/3G sunset assistant.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_cli = typer.Typer(help="Database migrations.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
content_cli = typer.Typer(help="Content files (timeline, FAQ, contacts…).", no_args_is_help=True)
cli.add_typer(content_cli, name="content")
faq_cli = typer.Typer(help="Questions and answers.", no_args_is_help=True)
cli.add_typer(faq_cli, name="faq")
devices_cli = typer.Typer(help="Phone models and the TAC table.", no_args_is_help=True)
cli.add_typer(devices_cli, name="devices")

NO_CHANNEL_MESSAGE = """\
Chưa cấu hình kênh nhắn tin nào: hãy đặt biến môi trường TELEGRAM_BOT_TOKEN hoặc ZALO_BOT_TOKEN.
Để thử trợ lý ngay trên máy này, hãy chạy: make chat

No messaging channel is configured: set TELEGRAM_BOT_TOKEN or ZALO_BOT_TOKEN.
To try the assistant on this machine, run: make chat
"""

TodayOption = Annotated[
    str | None,
    typer.Option(
        "--today",
        help="Show the bot as on this date (YYYY-MM-DD); also BOT_TODAY.",
        show_default=False,
    ),
]


def load_settings(today: str | None = None) -> Settings:
    """Settings from the environment, with the --today override applied."""
    settings = Settings()
    if today is not None:
        try:
            settings.bot_today = date.fromisoformat(today)
        except ValueError:
            raise typer.BadParameter(
                f"'{today}' is not a date in the form YYYY-MM-DD", param_hint="--today"
            ) from None
    from bot.logging_setup import configure_logging

    configure_logging(settings.log_level)
    return settings


def _default_console_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "console")


@cli.command()
def chat(
    user: Annotated[
        str | None, typer.Option("--user", help="Chat as this identity (default: your OS user).")
    ] = None,
    locale: Annotated[
        str | None, typer.Option("--locale", help="Language: vi or en.", show_default=False)
    ] = None,
    staff: Annotated[bool, typer.Option("--staff", help="Act as a staff member.")] = False,
    today: TodayOption = None,
) -> None:
    """Chat with the bot in this terminal (or pipe one message per line into it)."""
    if locale is not None and locale not in SUPPORTED_LOCALES:
        raise typer.BadParameter(
            f"choose one of {', '.join(SUPPORTED_LOCALES)}", param_hint="--locale"
        )
    settings = load_settings(today)
    asyncio.run(_chat(settings, user or _default_console_user(), locale, staff))


async def _migrate_embedded(settings: Settings) -> None:
    """Bring the embedded SQLite database up to date (other databases: `bot db upgrade`)."""
    from db import migrate
    from db.session import async_url

    if async_url(settings.database_url).get_backend_name() == "sqlite":
        await asyncio.to_thread(migrate.upgrade, settings.database_url)


async def _chat(settings: Settings, user_id: str, locale: str | None, staff: bool) -> None:
    from bot.app import build_app
    from bot.channels.console import CHANNEL, ConsoleChannel, default_stdio
    from bot.services.users import prepare_user

    await _migrate_embedded(settings)
    app = build_app(settings)
    try:
        await _require_schema(app)
        await prepare_user(
            app.runner.sessionmaker,
            channel=CHANNEL,
            external_id=user_id,
            default_locale=settings.default_locale,
            locale=locale,
            is_staff=True if staff else None,
        )
        stdin, stdout = default_stdio()
        channel = ConsoleChannel(app.runner, user_id=user_id, stdin=stdin, stdout=stdout)
        await channel.run()
    finally:
        await app.aclose()


async def _require_schema(app: App) -> None:
    """Exit with a clear message when the database is not migrated to the newest revision."""
    await _require_schema_engine(app.engine)


@cli.command()
def run() -> None:
    """Start every configured messaging channel and the HTTP server (webhooks, health, metrics)."""
    settings = load_settings()
    if not settings.has_channel_token:
        typer.echo(NO_CHANNEL_MESSAGE, err=True)
        raise typer.Exit(code=2)
    from bot.server import StartupError, serve

    try:
        asyncio.run(serve(settings))
    except StartupError as error:
        typer.echo(f"bot run: {error}", err=True)
        raise typer.Exit(code=1) from error


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply database migrations (DATABASE_URL)."""
    from db import migrate

    settings = load_settings()
    migrate.upgrade(settings.database_url, revision)


@db_cli.command("check")
def db_check() -> None:
    """Fail when the models and the migrations have drifted apart."""
    from db import migrate

    settings = load_settings()
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
    typer.echo(f"Deleted {pruned['inbox']} handled updates and {pruned['outbox']} sent messages.")


async def _prune(settings: Settings, days: int) -> dict[str, int]:
    from datetime import timedelta

    from bot.services.retention import prune_handled
    from db.session import make_engine, make_sessionmaker

    engine = make_engine(settings.database_url)
    try:
        await _require_schema_engine(engine)
        return await prune_handled(make_sessionmaker(engine), older_than=timedelta(days=days))
    finally:
        await engine.dispose()


LocaleOption = Annotated[
    str | None, typer.Option("--locale", help="Language: vi or en.", show_default=False)
]


def _check_locale(locale: str | None) -> None:
    if locale is not None and locale not in SUPPORTED_LOCALES:
        raise typer.BadParameter(
            f"choose one of {', '.join(SUPPORTED_LOCALES)}", param_hint="--locale"
        )


def _questions(question: str | None) -> list[str] | Iterator[str]:
    """The one question given, or one question per line of standard input."""
    if question is not None:
        return [question]
    return (line.rstrip("\r\n") for line in sys.stdin)


@cli.command()
def ask(
    question: Annotated[
        str | None, typer.Argument(help="The question; omit to read stdin.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    today: TodayOption = None,
    locale: LocaleOption = None,
) -> None:
    """Answer questions as the bot would (no database needed)."""
    _check_locale(locale)
    settings = load_settings(today)
    from bot.content.loader import load_content
    from bot.core.clock import Clock
    from bot.core.i18n import load_catalogs, use_locale
    from bot.services.faq import FaqService

    load_catalogs(settings.locales_dir, SUPPORTED_LOCALES)
    faq = FaqService(
        load_content(settings.content_dir),
        cache_dir=settings.cache_dir,
        stale_after_days=settings.content_stale_days,
    )
    day = Clock(timezone=settings.timezone, fixed_today=settings.bot_today).today()
    with use_locale(locale or settings.default_locale):
        for text in _questions(question):
            answer = faq.answer(text, day)
            if as_json:
                record = {
                    "question": text,
                    "topic": answer.topic,
                    "score": answer.score,
                    "answer": answer.text,
                    "more": answer.more,
                    "others": list(answer.others),
                }
                typer.echo(json.dumps(record, ensure_ascii=False))
            else:
                more = f"\n--- {answer.more}" if answer.more else ""
                typer.echo(f"? {text}\n[{answer.topic} {answer.score:.2f}]\n{answer.text}{more}\n")


@content_cli.command("check")
def content_check(
    path: Annotated[
        Path | None, typer.Argument(help="Content folder (default: CONTENT_DIR, the shipped one).")
    ] = None,
    folder: Annotated[Path | None, typer.Option("--dir", help="Same as the argument.")] = None,
) -> None:
    """Validate the content files; exit 1 with a list of problems."""
    from bot.content.devices import find_device_problems
    from bot.content.loader import find_problems

    target = path or folder or load_settings().content_dir
    if not target.is_dir():
        typer.echo(f"Not a folder: {target}", err=True)
        raise typer.Exit(code=2)
    problems = find_problems(target)
    problems += find_device_problems(target / "devices.csv")[1]
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {target}:", err=True)
        for problem in problems:
            typer.echo(f"  - {problem}", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"Content OK: {target}")


@faq_cli.command("misses")
def faq_misses(
    limit: Annotated[int, typer.Option("--limit", help="How many to list.")] = 50,
) -> None:
    """Questions the bot could not answer, most frequent first."""
    settings = load_settings()
    asyncio.run(_faq_misses(settings, limit))


async def _read(settings: Settings, read: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one read against DATABASE_URL (migrated to the newest revision) and close it."""
    from db.session import make_engine, make_sessionmaker

    engine = make_engine(settings.database_url)
    await _require_schema_engine(engine)
    try:
        async with make_sessionmaker(engine)() as session:
            return await read(session)
    finally:
        await engine.dispose()


async def _faq_misses(settings: Settings, limit: int) -> None:
    from rich.console import Console
    from rich.table import Table

    from db.repositories.faq_misses import FaqMissRepository

    rows = await _read(
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


@cli.command()
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
    _check_locale(locale)
    settings = load_settings(today)
    asyncio.run(_device(settings, _questions(query), as_json, locale or settings.default_locale))


async def _device(settings: Settings, queries: Iterable[str], as_json: bool, locale: str) -> None:
    from bot.app import build_catalogue
    from bot.services.device_checks import DeviceChecker
    from bot.services.tac_table import PackagedTacTable
    from db.session import make_engine, make_sessionmaker

    await _migrate_embedded(settings)
    catalogue = build_catalogue(settings.content_dir)
    tacs = PackagedTacTable(settings.content_dir / "tac.csv")
    engine = make_engine(settings.database_url)
    await _require_schema_engine(engine)
    try:
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

    rows = await _read(
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
    from db.session import make_engine, make_sessionmaker

    assert isinstance(tac_format, TacFormat)
    engine = make_engine(settings.database_url)
    await _require_schema_engine(engine)
    try:
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


async def _require_schema_engine(engine: AsyncEngine) -> None:
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


def main() -> None:
    """Entry point of the `bot` command."""
    cli()

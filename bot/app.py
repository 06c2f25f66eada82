"""Composition root: builds the parts in order (i18n, engine, content, services, runner;
then, for `bot run`, the channels, the inbox and the sender)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.base import ReplySender
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel, ZaloClient
from bot.config import SUPPORTED_LOCALES, Settings
from bot.content.devices import load_brands, load_devices
from bot.content.loader import Content, load_content
from bot.core.clock import Clock
from bot.core.i18n import load_catalogs
from bot.core.router import Router
from bot.core.runner import RAW_INPUT_FACTOR, HandledUpdate, RunnerConfig, TurnRunner
from bot.handlers import build_router
from bot.handlers.buttons import menu_button
from bot.inbound.intake import Intake
from bot.inbound.workers import InboxWorkers
from bot.metrics import Metrics
from bot.outbound.sender import OutboxSender, SenderConfig
from bot.services import ServicesFactory
from bot.services.device_names import BrandRegistry
from bot.services.devices import DeviceCatalogue
from bot.services.faq import FaqService
from bot.services.places import Places
from bot.services.tac_table import PackagedTacTable
from db.session import DEFAULT_POSTGRES_TURNS, make_engine, make_sessionmaker


@dataclass(slots=True)
class App:
    """The running parts of the bot that every channel shares."""

    settings: Settings
    engine: AsyncEngine
    clock: Clock
    content: Content
    faq: FaqService
    catalogue: DeviceCatalogue
    tacs: PackagedTacTable
    places: Places
    runner: TurnRunner

    async def aclose(self) -> None:
        """Release the database connections."""
        await self.engine.dispose()


def build_app(settings: Settings, *, router: Router | None = None) -> App:
    """Build the bot from settings. Loads catalogs; opens no connection until first use.

    `router` replaces the standard routes (tests add flows of their own).
    """
    load_catalogs(settings.locales_dir, SUPPORTED_LOCALES)
    engine = make_engine(settings.database_url)
    clock = Clock(timezone=settings.timezone, fixed_today=settings.bot_today)
    content = load_content(settings.content_dir)
    faq = FaqService(
        content, cache_dir=settings.cache_dir, stale_after_days=settings.content_stale_days
    )
    catalogue = build_catalogue(settings.content_dir)
    tacs = PackagedTacTable(settings.content_dir / "tac.csv")
    places = Places()
    runner = TurnRunner(
        sessionmaker=make_sessionmaker(engine),
        router=router or build_router(),
        services_factory=ServicesFactory(
            faq=faq,
            catalogue=catalogue,
            tacs=tacs,
            places=places,
            default_province_code=settings.default_province_code,
            content=content,
            export_dir=settings.export_dir,
            console_url=settings.console_url,
            login_link_minutes=settings.web_login_link_minutes,
        ),
        clock=clock,
        config=RunnerConfig(
            default_locale=settings.default_locale,
            supported_locales=SUPPORTED_LOCALES,
            max_input_chars=settings.max_input_chars,
            max_concurrent_turns=settings.max_concurrent_turns
            or (1 if engine.dialect.name == "sqlite" else DEFAULT_POSTGRES_TURNS),
        ),
        menu_button=menu_button,
    )
    return App(
        settings=settings,
        engine=engine,
        clock=clock,
        content=content,
        faq=faq,
        catalogue=catalogue,
        tacs=tacs,
        places=places,
        runner=runner,
    )


def build_catalogue(content_dir: Path) -> DeviceCatalogue:
    """The phone catalogue with the brand registry, from the content folder."""
    brands = load_brands(content_dir / "brands.yaml")
    return DeviceCatalogue(load_devices(content_dir / "devices.csv", brands), BrandRegistry(brands))


@dataclass(slots=True)
class Runtime:
    """What `bot run` adds to the App: channels, the inbox and the one outbound path."""

    telegram: TelegramChannel | None
    zalo: ZaloChannel | None
    intake: Intake
    workers: InboxWorkers
    sender: OutboxSender

    @property
    def channels(self) -> dict[str, ReplySender]:
        """The configured channels by name."""
        found: list[ReplySender] = [c for c in (self.telegram, self.zalo) if c is not None]
        return {channel.name: channel for channel in found}

    async def aclose(self) -> None:
        """Close the channels' HTTP clients."""
        if self.telegram is not None:
            await self.telegram.aclose()
        if self.zalo is not None:
            await self.zalo.aclose()


def build_runtime(app: App, metrics: Metrics) -> Runtime:
    """Channels from their tokens, the intake, the inbox workers and the sender."""
    settings = app.settings
    telegram = zalo = None
    if settings.telegram_bot_token is not None:
        telegram = TelegramChannel(
            settings.telegram_bot_token.get_secret_value(), base_url=settings.telegram_base_url
        )
    if settings.zalo_bot_token is not None:
        zalo = ZaloChannel(
            ZaloClient(settings.zalo_bot_token.get_secret_value(), base_url=settings.zalo_base_url)
        )
    sessionmaker = app.runner.sessionmaker
    # SQLite has one writer: every write of the process queues for the turns' slot.
    write_slot = app.runner.db_slots if app.engine.dialect.name == "sqlite" else None
    intake = Intake(
        sessionmaker,
        max_pending=settings.inbox_max_pending,
        max_text_chars=RAW_INPUT_FACTOR * settings.max_input_chars,
        on_stored=lambda channel, count: metrics.incoming.labels(channel).inc(count),
        write_slot=write_slot,
    )
    channels: dict[str, ReplySender] = {c.name: c for c in (telegram, zalo) if c is not None}
    config = SenderConfig.from_settings(settings)
    sender = OutboxSender(
        sessionmaker,
        channels,
        config=config,
        rates=config.rates,
        on_outcome=lambda channel, outcome: metrics.sends.labels(channel, outcome.kind).inc(),
        write_slot=write_slot,
        clock=app.clock.now,
    )

    def handled(update: HandledUpdate) -> None:
        metrics.latency.labels(update.channel).observe(update.seconds)
        metrics.replies.labels(update.channel).inc(update.replies)
        sender.wake(update.channel, update.address)

    workers = InboxWorkers(
        app.runner, intake, count=app.runner.max_concurrent_turns, on_handled=handled
    )
    return Runtime(telegram=telegram, zalo=zalo, intake=intake, workers=workers, sender=sender)

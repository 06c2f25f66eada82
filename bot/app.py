"""Composition root: builds the parts in order (i18n, engine, content, services, runner)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import SUPPORTED_LOCALES, Settings
from bot.content.devices import load_brands, load_devices
from bot.content.loader import Content, load_content
from bot.core.clock import Clock
from bot.core.i18n import load_catalogs
from bot.core.router import Router
from bot.core.runner import RunnerConfig, TurnRunner
from bot.handlers import build_router
from bot.handlers.buttons import menu_button
from bot.services import ServicesFactory
from bot.services.device_names import BrandRegistry
from bot.services.devices import DeviceCatalogue
from bot.services.faq import FaqService
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
    runner = TurnRunner(
        sessionmaker=make_sessionmaker(engine),
        router=router or build_router(),
        services_factory=ServicesFactory(faq=faq, catalogue=catalogue, tacs=tacs),
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
        runner=runner,
    )


def build_catalogue(content_dir: Path) -> DeviceCatalogue:
    """The phone catalogue with the brand registry, from the content folder."""
    brands = load_brands(content_dir / "brands.yaml")
    return DeviceCatalogue(load_devices(content_dir / "devices.csv", brands), BrandRegistry(brands))

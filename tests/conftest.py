"""Shared fixtures: compiled catalogs, real databases (SQLite; PostgreSQL when configured), apps."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.app import App, build_app
from bot.config import PROJECT_ROOT, Settings
from bot.core.router import Router
from tests.support.databases import PostgresDatabase, fresh_sqlite, migrated_sqlite_template

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def locales_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's .po catalogs compiled into a temporary folder (never stale)."""
    target = tmp_path_factory.mktemp("locales")
    for po_file in (PROJECT_ROOT / "locales").glob("*/LC_MESSAGES/messages.po"):
        locale = po_file.parent.parent.name
        out = target / locale / "LC_MESSAGES"
        out.mkdir(parents=True)
        with po_file.open("rb") as source:
            catalog = read_po(source, locale=locale)
        with (out / "messages.mo").open("wb") as handle:
            write_mo(handle, catalog)
    return target


@pytest.fixture(scope="session")
def bot_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One CACHE_DIR for every `bot` process of the session: the question matcher is trained
    by the first and read from the cache by the rest (a start in well under a second)."""
    return tmp_path_factory.mktemp("bot-cache")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database to copy per test."""
    return migrated_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[PostgresDatabase]:
    """One migrated PostgreSQL database for the session (needs TEST_DATABASE_URL)."""
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests run in CI")
    from db import migrate

    database = PostgresDatabase(TEST_DATABASE_URL)
    migrate.upgrade(database.create())
    yield database
    database.drop()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated, empty database of each backend."""
    if request.param == "sqlite":
        return fresh_sqlite(sqlite_template, tmp_path)
    database: PostgresDatabase = request.getfixturevalue("postgres_database")
    database.truncate()
    return database.url


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated, empty SQLite database (for tests that need only one backend)."""
    return fresh_sqlite(sqlite_template, tmp_path)


@pytest.fixture
def make_settings(locales_dir: Path) -> Callable[..., Settings]:
    """Settings for a test app, independent of the developer's environment and .env."""

    def _make(database_url: str, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "database_url": database_url,
            "locales_dir": locales_dir,
            "bot_today": date(2026, 12, 3),
            "cache_dir": None,  # the trained matcher is memoised in the process instead
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return _make


@pytest.fixture
async def make_app(
    make_settings: Callable[..., Settings],
) -> AsyncIterator[Callable[..., App]]:
    """Build apps on a database URL; all are closed at the end of the test."""
    apps: list[App] = []

    def _make(database_url: str, *, router: Router | None = None, **overrides: object) -> App:
        app = build_app(make_settings(database_url, **overrides), router=router)
        apps.append(app)
        return app

    yield _make
    for app in apps:
        await app.aclose()

"""Real databases for tests: a migrated SQLite file, or a fresh PostgreSQL database."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from db import (
    migrate,
    models,  # noqa: F401 - registers every table on Base.metadata
)
from db.base import Base

# Every table of the models, children first: a new table is emptied between tests too.
TABLES_CHILD_FIRST = tuple(table.name for table in reversed(Base.metadata.sorted_tables))


def migrated_sqlite_template(folder: Path) -> Path:
    """Create one SQLite file at the newest migration, to copy for each test."""
    path = folder / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    # The file is in WAL mode: fold the log into it, so that copying the file alone is enough.
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def fresh_sqlite(template: Path, folder: Path) -> str:
    """A copy of the migrated template as a new database; returns its URL."""
    path = folder / "bot.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


class PostgresDatabase:
    """A throw-away PostgreSQL database created on the server of TEST_DATABASE_URL."""

    def __init__(self, server_url: str) -> None:
        base = make_url(server_url.replace("postgres://", "postgresql://", 1))
        self.name = f"bot_test_{uuid.uuid4().hex[:10]}"
        self._admin_dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
        self.url = base.set(drivername="postgresql", database=self.name).render_as_string(
            hide_password=False
        )

    def create(self) -> str:
        """Create the database and return its URL."""
        with psycopg.connect(self._admin_dsn, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{self.name}"')
        return self.url

    def drop(self) -> None:
        """Drop the database (closing any connection left open)."""
        with psycopg.connect(self._admin_dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def truncate(self) -> None:
        """Empty every table of the bot."""
        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute(
                "TRUNCATE " + ", ".join(TABLES_CHILD_FIRST) + " RESTART IDENTITY CASCADE"
            )

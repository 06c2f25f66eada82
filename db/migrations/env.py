"""Alembic environment: async engine, URL from the caller or DATABASE_URL, batch mode on SQLite."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from db import models  # noqa: F401 - registers the tables on the metadata
from db.base import Base
from db.session import async_url

config = context.config
target_metadata = Base.metadata


def _url():  # type: ignore[no-untyped-def]
    url = config.attributes.get("database_url")
    if url is None:
        url = async_url(os.environ.get("DATABASE_URL", "sqlite:///var/bot.db"))
    return url


def _configure(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        # Create the file in WAL mode, so that running processes never have to switch it.
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        connection.commit()  # end the implicit transaction, or alembic would run inside it
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_async_engine(_url(), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_configure)
    await engine.dispose()


def run_offline() -> None:
    """Emit SQL to stdout instead of running it."""
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    asyncio.run(_run_async())

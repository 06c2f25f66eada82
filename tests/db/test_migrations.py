"""Migrations reach head and match the models, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from db import migrate
from db.models import User
from db.session import async_url, make_engine, make_sessionmaker

pytestmark = pytest.mark.db


async def test_upgrade_head_and_no_drift(database_url):
    # Alembic's env runs its own event loop, so it runs in a thread here.
    await asyncio.to_thread(migrate.upgrade, database_url)  # idempotent when at head
    await asyncio.to_thread(migrate.check, database_url)
    engine = make_engine(database_url)
    try:
        assert await migrate.current_revision(engine) == migrate.head_revision()
    finally:
        await engine.dispose()


def test_upgrade_from_empty_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path}/sub/dir/new.db"
    migrate.upgrade(url)
    migrate.check(url)
    assert (tmp_path / "sub" / "dir" / "new.db").exists()


async def test_user_identity_is_unique_per_channel(database_url):
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as session, session.begin():
            session.add(User(channel="zalo", external_id="42", locale="vi"))
            session.add(User(channel="telegram", external_id="42", locale="vi"))
        with pytest.raises(IntegrityError):
            async with sessions() as session, session.begin():
                session.add(User(channel="zalo", external_id="42", locale="en"))
        async with sessions() as session:
            users = (await session.scalars(select(User))).all()
        assert sorted(u.channel for u in users) == ["telegram", "zalo"]
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///var/bot.db", "sqlite+aiosqlite:///var/bot.db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u:p@h:5433/db", "postgresql+psycopg://u:***@h:5433/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_ordinary_urls_get_the_async_driver(given, expected):
    assert str(async_url(given)) == expected


def test_unknown_database_is_refused():
    with pytest.raises(ValueError, match="Unsupported database"):
        async_url("mysql://u@h/db")


async def test_rolling_back_a_turn_undoes_its_savepoints(database_url):
    """A savepoint released inside a rolled-back transaction leaves nothing behind."""
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as session:
            await session.begin()
            async with session.begin_nested():
                session.add(User(channel="zalo", external_id="7", locale="vi"))
            await session.rollback()
        async with sessions() as session:
            assert await session.scalar(select(User).where(User.external_id == "7")) is None
    finally:
        await engine.dispose()

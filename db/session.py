"""Engine and session factories. Nothing here runs at import time."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+psycopg"}
POSTGRES_POOL = 20  # connections per process: turns, health checks, background jobs
# Turns one process runs at once on PostgreSQL by default. A turn is mostly Python work on
# one event loop, so more concurrent turns do not add throughput: they only stretch each
# turn: in bench/inbound.py, 2, 4 and 8 at once gave the same updates/s with turn p99s of
# 25, 62 and 162 ms (and 20 at once, 600 ms). Two let one turn's database round trip
# overlap another's Python work.
DEFAULT_POSTGRES_TURNS = 2


def async_url(url: str | URL) -> URL:
    """Turn an ordinary database URL into one with the async driver we use.

    `sqlite:///var/bot.db` -> `sqlite+aiosqlite:///var/bot.db`,
    `postgres://…` or `postgresql://…` -> `postgresql+psycopg://…`.
    """
    parsed = (
        make_url(str(url).replace("postgres://", "postgresql://", 1))
        if isinstance(url, str)
        else url
    )
    backend = parsed.get_backend_name()
    if backend not in ASYNC_DRIVERS:
        raise ValueError(f"Unsupported database: {backend!r} (use sqlite or postgresql)")
    return parsed.set(drivername=ASYNC_DRIVERS[backend])


def ensure_sqlite_folder(url: URL) -> None:
    """Create the folder of an SQLite database file if it does not exist yet."""
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # Let SQLAlchemy, not the driver, start transactions, so that SAVEPOINTs nest properly
    # (SQLAlchemy docs: "Serializable isolation / Savepoints / Transactional DDL").
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=15000")  # first: the next pragmas may wait for a lock
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL is stored in the file: set it once. Asking again while another connection writes
    # can fail at once with "database is locked" (the busy handler does not cover it).
    cursor.execute("PRAGMA journal_mode")
    if str(cursor.fetchone()[0]).lower() != "wal":
        _switch_to_wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; far fewer fsyncs
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache: big imports stay fast
    cursor.close()


def _switch_to_wal(cursor) -> None:  # type: ignore[no-untyped-def]
    """Switch the file to WAL, retrying while another connection holds a lock (up to 10 s)."""
    for attempt in range(100):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except Exception as error:  # the driver's OperationalError, wrapped by the adapter
            if "locked" not in str(error) or attempt == 99:
                raise
            time.sleep(0.1)


def make_engine(database_url: str | URL) -> AsyncEngine:
    """Build the async engine for a database URL (SQLite gets foreign keys and WAL)."""
    url = async_url(database_url)
    ensure_sqlite_folder(url)
    if url.get_backend_name() == "sqlite":
        # No ROLLBACK when a connection goes back to the pool: every session ends its own
        # transaction (commit, or rollback on close), and with aiosqlite that redundant
        # ROLLBACK was one more round trip to its thread per transaction.
        engine = create_async_engine(url, pool_reset_on_return=None)
    else:
        engine = create_async_engine(
            url, pool_pre_ping=True, pool_size=POSTGRES_POOL, max_overflow=5
        )
    if url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def _sqlite_begin(connection) -> None:  # type: ignore[no-untyped-def]
    # BEGIN IMMEDIATE takes the write lock at the start of a turn: two processes on one
    # SQLite file then wait for each other (busy_timeout) instead of failing mid-turn.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Session factory: one session per turn or job, objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)

"""What differs between the two databases, in one place."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


async def dialect_name(session: AsyncSession) -> str:
    """`postgresql` or `sqlite`, for the connection of this session."""
    return (await session.connection()).dialect.name


async def insert_for(session: AsyncSession, table: Any) -> Any:
    """An INSERT of the session's dialect (both support ON CONFLICT DO NOTHING)."""
    insert = pg_insert if await dialect_name(session) == "postgresql" else sqlite_insert
    return insert(table)

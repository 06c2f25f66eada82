"""TAC → model rows and users' device checks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import DeviceCheck, DeviceMiss, TacModel


class TacRepository:
    """Bulk upserts and lookups of `tac_models`, within the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert_many(self, rows: Sequence[tuple[str, str, str, str]]) -> None:
        """Insert (tac, brand, model, source) rows; known TACs are replaced.

        Runs one driver-level executemany: per-row ORM work would dominate big imports.
        """
        if not rows:
            return
        connection = await self.session.connection()
        mark = "?" if connection.dialect.name == "sqlite" else "%s"
        await connection.exec_driver_sql(
            "INSERT INTO tac_models (tac, brand, model, source, imported_at) "
            f"VALUES ({mark}, {mark}, {mark}, {mark}, CURRENT_TIMESTAMP) "
            "ON CONFLICT (tac) DO UPDATE SET brand = excluded.brand, model = excluded.model, "
            "source = excluded.source, imported_at = excluded.imported_at",
            list(rows),
        )

    async def insert_new(self, rows: Sequence[tuple[str, ...]]) -> int:
        """Insert (tac, brand, model, source, …) rows whose TAC is not known yet; the count
        of rows added."""
        if not rows:
            return 0
        before = await self.count()
        connection = await self.session.connection()
        mark = "?" if connection.dialect.name == "sqlite" else "%s"
        await connection.exec_driver_sql(
            "INSERT INTO tac_models (tac, brand, model, source, imported_at) "
            f"VALUES ({mark}, {mark}, {mark}, {mark}, CURRENT_TIMESTAMP) "
            "ON CONFLICT (tac) DO NOTHING",
            [tuple(row[:4]) for row in rows],
        )
        return await self.count() - before

    async def get(self, tac: str) -> TacModel | None:
        """The model registered for a TAC, if imported."""
        return await self.session.get(TacModel, tac)

    async def count(self) -> int:
        """How many TACs are known."""
        return int(await self.session.scalar(select(func.count()).select_from(TacModel)) or 0)


class DeviceCheckRepository:
    """Stores the checks users make."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, check: DeviceCheck) -> None:
        """Record one check."""
        self.session.add(check)

    async def for_user(self, user_id: int) -> list[DeviceCheck]:
        """A user's checks, newest first."""
        rows = await self.session.scalars(
            select(DeviceCheck)
            .where(DeviceCheck.user_id == user_id)
            .order_by(DeviceCheck.created_at.desc(), DeviceCheck.id.desc())
        )
        return list(rows)


@dataclass(frozen=True, slots=True)
class DeviceMissSummary:
    """One phone the catalogue could not judge, and how often people asked about it."""

    kind: str
    brand: str | None
    model: str | None
    tac: str | None
    example: str
    count: int
    last_asked: datetime


class DeviceMissRepository:
    """Adds and summarises `device_misses` rows within the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, miss: DeviceMiss) -> None:
        """Record one phone the catalogue could not judge."""
        self.session.add(miss)

    async def most_frequent(self, *, limit: int = 50) -> list[DeviceMissSummary]:
        """Phones grouped by kind, brand, model and TAC, most asked first."""
        model = func.lower(func.coalesce(DeviceMiss.model, ""))
        query = (
            select(
                DeviceMiss.kind,
                DeviceMiss.brand,
                func.max(DeviceMiss.model),
                DeviceMiss.tac,
                func.max(DeviceMiss.text),
                func.count(),
                func.max(DeviceMiss.created_at),
            )
            .group_by(DeviceMiss.kind, DeviceMiss.brand, model, DeviceMiss.tac)
            .order_by(func.count().desc(), func.max(DeviceMiss.created_at).desc())
            .limit(limit)
        )
        rows = (await self.session.execute(query)).all()
        return [DeviceMissSummary(*row) for row in rows]

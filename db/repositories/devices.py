"""TAC → model rows and users' device checks."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import DeviceCheck, TacModel


class TacRepository:
    """Bulk upserts and lookups of `tac_models`, within the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert_many(self, rows: Sequence[tuple[str, str, str, str, str]]) -> None:
        """Insert (tac, brand, model, catalogue_key, source) rows; known TACs are replaced.

        Runs one driver-level executemany: per-row ORM work would dominate big imports.
        """
        if not rows:
            return
        connection = await self.session.connection()
        mark = "?" if connection.dialect.name == "sqlite" else "%s"
        await connection.exec_driver_sql(
            "INSERT INTO tac_models (tac, brand, model, catalogue_key, source, imported_at) "
            f"VALUES ({mark}, {mark}, {mark}, {mark}, {mark}, CURRENT_TIMESTAMP) "
            "ON CONFLICT (tac) DO UPDATE SET brand = excluded.brand, model = excluded.model, "
            "catalogue_key = excluded.catalogue_key, source = excluded.source, "
            "imported_at = excluded.imported_at",
            list(rows),
        )

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

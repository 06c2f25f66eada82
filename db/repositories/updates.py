"""Which platform updates were already handled."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ProcessedUpdate


class ProcessedUpdateRepository:
    """Claims updates, within the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, *, channel: str, update_id: str) -> bool:
        """Record the update; False when it was already recorded (by any worker)."""
        connection = await self.session.connection()
        insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
        statement = (
            insert(ProcessedUpdate)
            .values(channel=channel, update_id=update_id[:128])
            .on_conflict_do_nothing(index_elements=["channel", "update_id"])
            .returning(ProcessedUpdate.id)
        )
        # RETURNING gives a row only when the insert happened (rowcount is not reliable
        # for this statement across drivers).
        return (await self.session.execute(statement)).scalar() is not None

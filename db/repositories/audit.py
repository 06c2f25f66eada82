"""The audit log: what was done to personal data, never the data itself."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEntry


class AuditRepository:
    """Appends to and reads `audit_log`, within the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, *, actor: str, action: str, detail: dict[str, Any]) -> None:
        """Append one entry."""
        self.session.add(AuditEntry(actor=actor, action=action, detail=detail))
        await self.session.flush()

    async def latest(
        self, limit: int = 50, *, action: str | None = None, before_id: int | None = None
    ) -> list[AuditEntry]:
        """The newest entries first (`action`: only those whose action starts with it;
        `before_id`: older than that entry, for the next page)."""
        query = select(AuditEntry)
        if before_id is not None:
            query = query.where(AuditEntry.id < before_id)
        if action:
            query = query.where(AuditEntry.action.startswith(action, autoescape=True))
        rows = await self.session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit))
        return list(rows)

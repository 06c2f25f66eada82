"""The audit log as admins read it: who did what, when, with which filters and counts."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEntry
from db.repositories.audit import AuditRepository


class AuditLog:
    """Pages of the audit log, newest first, in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._repository = AuditRepository(session)

    async def page(
        self, *, action: str | None = None, before_id: int | None = None, size: int = 100
    ) -> tuple[list[AuditEntry], bool]:
        """Up to `size` entries older than `before_id`, and whether more follow."""
        rows = await self._repository.latest(size + 1, action=action, before_id=before_id)
        return rows[:size], len(rows) > size

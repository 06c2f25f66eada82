"""What citizens asked that the bot could not answer: questions it could not place and
phones it did not know, most frequent first, so staff can improve the content."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories.devices import DeviceMissRepository, DeviceMissSummary
from db.repositories.faq_misses import FaqMissRepository, MissSummary


class ContentGaps:
    """Reads the questions and phones missed, in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._questions = FaqMissRepository(session)
        self._phones = DeviceMissRepository(session)

    async def questions(self, limit: int = 100) -> list[MissSummary]:
        """Questions the bot could not place, the most asked first."""
        return await self._questions.most_frequent(limit=limit)

    async def phones(self, limit: int = 100) -> list[DeviceMissSummary]:
        """Phones the catalogue could not judge, the most asked first."""
        return await self._phones.most_frequent(limit=limit)

"""Read what the bot kept for staff: questions and phones it could not place."""

from __future__ import annotations

from db.repositories.devices import DeviceMissRepository, DeviceMissSummary
from db.repositories.faq_misses import FaqMissRepository, MissSummary


async def stored_misses(app) -> list[MissSummary]:  # type: ignore[no-untyped-def]
    """Questions the bot could not answer, most frequent first."""
    async with app.runner.sessionmaker() as session:
        return await FaqMissRepository(session).most_frequent()


async def stored_device_misses(app) -> list[DeviceMissSummary]:  # type: ignore[no-untyped-def]
    """Phones the catalogue could not judge, most asked first."""
    async with app.runner.sessionmaker() as session:
        return await DeviceMissRepository(session).most_frequent()

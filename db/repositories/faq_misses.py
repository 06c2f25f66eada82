"""Questions the bot could not answer, for staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import FaqMiss


@dataclass(frozen=True, slots=True)
class MissSummary:
    """One question (grouped by its normalised form) and how often it was asked."""

    text: str
    count: int
    last_asked: datetime
    channels: str


class FaqMissRepository:
    """Adds and summarises `faq_misses` rows within the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self, *, text: str, normalized: str, channel: str, best_topic: str | None, score: float
    ) -> None:
        """Record one question."""
        self.session.add(
            FaqMiss(
                text=text[:1000],
                normalized=normalized[:1000],
                channel=channel,
                best_topic=best_topic,
                score=score,
            )
        )

    async def most_frequent(self, *, limit: int = 50) -> list[MissSummary]:
        """Questions grouped by normalised text, most frequent first."""
        query = (
            select(
                func.max(FaqMiss.text),
                func.count(),
                func.max(FaqMiss.created_at),
                func.count(func.distinct(FaqMiss.channel)),
                func.min(FaqMiss.channel),
            )
            .group_by(FaqMiss.normalized)
            .order_by(func.count().desc(), func.max(FaqMiss.created_at).desc())
            .limit(limit)
        )
        rows = (await self.session.execute(query)).all()
        return [
            MissSummary(
                text=text,
                count=count,
                last_asked=last,
                channels=first_channel if distinct == 1 else f"{distinct} channels",
            )
            for text, count, last, distinct, first_channel in rows
        ]

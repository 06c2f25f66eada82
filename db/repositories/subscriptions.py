"""Subscriptions to reminders and announcements, within the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Subscription, utcnow


class SubscriptionRepository:
    """Reads and writes `subscriptions`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def live(self, user_id: int) -> Subscription | None:
        """The user's subscription that holds, if any."""
        return await self.session.scalar(
            select(Subscription).where(
                Subscription.user_id == user_id, Subscription.ended_at.is_(None)
            )
        )

    async def start(
        self,
        *,
        user_id: int,
        province_code: int | None,
        ward_code: int | None,
        text_version: str,
    ) -> Subscription:
        """Subscribe the user (their live subscription, if any, is replaced by this one)."""
        await self.end_for_users([user_id], reason="citizen")
        row = Subscription(
            user_id=user_id,
            province_code=province_code,
            ward_code=ward_code,
            consent_text_version=text_version,
        )
        try:
            async with self.session.begin_nested():
                self.session.add(row)
                await self.session.flush()
        except IntegrityError:  # subscribed at this moment from another process
            existing = await self.live(user_id)
            if existing is None:
                raise
            return existing
        return row

    async def end_for_users(self, user_ids: Iterable[int], *, reason: str) -> int:
        """End the live subscriptions of these users (they said "dừng", blocked the bot,
        or erased their data); how many ended."""
        ids = list(user_ids)
        if not ids:
            return 0
        result = await self.session.execute(
            update(Subscription)
            .where(Subscription.user_id.in_(ids), Subscription.ended_at.is_(None))
            .values(ended_at=utcnow(), ended_by=reason)
        )
        return result.rowcount or 0

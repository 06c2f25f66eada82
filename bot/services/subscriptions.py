"""Subscriptions to reminders and announcements: given with a one-line consent, for the whole
country, a province or a commune; ended by the person at any time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories.subscriptions import SubscriptionRepository

CONSENT_TEXT_VERSION = "sub-2026-12"


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    """A subscription as its owner sees it."""

    province_code: int | None
    ward_code: int | None


class SubscriptionService:
    """Subscriptions of one turn, in its session."""

    def __init__(self, session: AsyncSession) -> None:
        self._repository = SubscriptionRepository(session)

    async def current(self, user_id: int) -> SubscriptionView | None:
        """The user's subscription, if they have one."""
        row = await self._repository.live(user_id)
        return SubscriptionView(row.province_code, row.ward_code) if row is not None else None

    async def subscribe(
        self, user_id: int, *, province_code: int | None, ward_code: int | None
    ) -> SubscriptionView:
        """Subscribe (replacing the area of a subscription the user has)."""
        row = await self._repository.start(
            user_id=user_id,
            province_code=province_code,
            ward_code=ward_code,
            text_version=CONSENT_TEXT_VERSION,
        )
        return SubscriptionView(row.province_code, row.ward_code)

    async def unsubscribe(self, user_id: int) -> bool:
        """End the user's subscription; False when there was none."""
        return await self._repository.end_for_users([user_id], reason="citizen") > 0

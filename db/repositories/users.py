"""Users, identified by (channel, external id)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User, utcnow
from db.repositories.dialect import insert_for


class UserRepository:
    """Reads and writes `users` rows within the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> User | None:
        """The user with this id."""
        return await self.session.get(User, user_id)

    async def get_by_external_id(self, *, channel: str, external_id: str) -> User | None:
        """The user known on `channel` as `external_id`, if any."""
        return await self.session.scalar(
            select(User).where(User.channel == channel, User.external_id == external_id)
        )

    async def get_or_create(
        self, *, channel: str, external_id: str, locale: str, display_name: str | None = None
    ) -> User:
        """Fetch the user, creating them on first contact (safe against a concurrent insert)."""
        user = await self.get_by_external_id(channel=channel, external_id=external_id)
        if user is not None:
            user.last_seen_at = utcnow()
            if display_name and user.display_name != display_name:
                user.display_name = display_name
            return user
        # One statement, and no savepoint: a concurrent first message inserts nothing here.
        now = utcnow()
        statement = (
            (await insert_for(self.session, User))
            .values(
                channel=channel,
                external_id=external_id,
                locale=locale,
                display_name=display_name,
                created_at=now,
                last_seen_at=now,
            )
            .on_conflict_do_nothing(index_elements=["channel", "external_id"])
            .returning(User)
        )
        created = (await self.session.scalars(statement)).first()
        if created is not None:
            return created
        existing = await self.get_by_external_id(channel=channel, external_id=external_id)
        if existing is None:
            raise LookupError(f"user {channel}:{external_id} was neither created nor found")
        return existing

    @staticmethod
    def note_address(user: User, address: str) -> None:
        """Remember where the platform takes messages to the user; a user who writes is
        reachable again."""
        if user.address != address:
            user.address = address
        if user.unreachable_at is not None:
            user.unreachable_at = None

    async def mark_unreachable(self, user_id: int) -> None:
        """The platform refused a message because the user blocked the bot."""
        user = await self.session.get(User, user_id)
        if user is not None and user.unreachable_at is None:
            user.unreachable_at = utcnow()

    @staticmethod
    def set_locale(user: User, locale: str | None) -> None:
        """Change a user's language (None: leave it)."""
        if locale is not None:
            user.locale = locale

"""User set-up outside a conversation turn (the console's --user/--locale/--staff)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.repositories.users import UserRepository


async def prepare_user(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    channel: str,
    external_id: str,
    default_locale: str,
    locale: str | None,
    is_staff: bool | None,
) -> None:
    """Create the user if needed and apply the requested language and staff flag."""
    async with sessionmaker() as session, session.begin():
        users = UserRepository(session)
        user = await users.get_or_create(
            channel=channel, external_id=external_id, locale=locale or default_locale
        )
        await users.set_preferences(user=user, locale=locale, is_staff=is_staff)

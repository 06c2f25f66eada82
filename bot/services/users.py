"""User set-up outside a conversation turn (the console's --user, --locale and --staff)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.access import StaffIdentity
from bot.services.places import Places
from bot.services.staff import StaffService
from db.repositories.users import UserRepository


async def prepare_user(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    channel: str,
    external_id: str,
    default_locale: str,
    locale: str | None,
) -> None:
    """Create the user if needed and apply the requested language."""
    async with sessionmaker() as session, session.begin():
        users = UserRepository(session)
        user = await users.get_or_create(
            channel=channel, external_id=external_id, locale=locale or default_locale
        )
        users.set_locale(user, locale)


async def prepare_console_staff(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    external_id: str,
    province_code: int,
    places: Places,
    locale: str,
) -> tuple[StaffIdentity, bool]:
    """The staff identity `bot chat --staff` acts as: this console account's member, or a
    new admin of the default province (True when created now)."""
    async with sessionmaker() as session, session.begin():
        return await StaffService(session, places).console_admin(
            external_id=external_id, province_code=province_code, locale=locale
        )

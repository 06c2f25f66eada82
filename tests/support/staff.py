"""Staff members for tests: made as the command line makes them (`bot staff add`)."""

from __future__ import annotations

from bot.app import App
from bot.core.access import Role, StaffIdentity
from bot.services.places import Places
from bot.services.staff import StaffService

SON_LA = 14
CHIENG_SINH = 3679  # Phường Chiềng Sinh, Sơn La
TO_HIEU = 3646  # Phường Tô Hiệu, Sơn La


async def add_staff(
    app: App,
    user_id: str,
    role: Role | str,
    *,
    province: int | None = None,
    ward: int | None = None,
    channel: str = "test",
) -> StaffIdentity:
    """Make the chat account `channel:user_id` a staff member with this role and area."""
    async with app.runner.sessionmaker() as session, session.begin():
        return await StaffService(session, Places()).add(
            channel=channel,
            external_id=user_id,
            role=Role(role),
            province_code=province,
            ward_code=ward,
        )

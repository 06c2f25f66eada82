"""Staff members, their chat accounts and one-time invitations, within the caller's
transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import StaffInvite, StaffMember, User, utcnow


@dataclass(frozen=True, slots=True)
class StaffRow:
    """A staff member with the chat accounts that reach them."""

    member: StaffMember
    accounts: tuple[tuple[str, str], ...]  # (channel, external id)


class StaffRepository:
    """Reads and writes `staff_members`, `staff_invites` and `users.staff_id`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def member(self, staff_id: int) -> StaffMember | None:
        """The member with this id, unless removed."""
        member = await self.session.get(StaffMember, staff_id)
        return member if member is not None and member.removed_at is None else None

    async def add(
        self, *, role: str, province_code: int | None, ward_code: int | None, name: str | None
    ) -> StaffMember:
        """A new member, with its id."""
        member = StaffMember(role=role, province_code=province_code, ward_code=ward_code, name=name)
        self.session.add(member)
        await self.session.flush()
        return member

    @staticmethod
    def link(user: User, member: StaffMember) -> None:
        """Make `user`'s chat account one of `member`'s."""
        user.staff_id = member.id

    async def accounts(self, staff_id: int) -> list[User]:
        """The chat accounts that reach a member, oldest first."""
        rows = await self.session.scalars(
            select(User).where(User.staff_id == staff_id).order_by(User.id)
        )
        return list(rows)

    async def listed(self) -> list[StaffRow]:
        """Every member not removed, oldest first, with their accounts."""
        members = list(
            await self.session.scalars(
                select(StaffMember).where(StaffMember.removed_at.is_(None)).order_by(StaffMember.id)
            )
        )
        accounts: dict[int, list[tuple[str, str]]] = {}
        rows = await self.session.execute(
            select(User.staff_id, User.channel, User.external_id)
            .where(User.staff_id.in_([m.id for m in members]))
            .order_by(User.id)
        )
        for staff_id, channel, external_id in rows:
            accounts.setdefault(staff_id, []).append((channel, external_id))
        return [StaffRow(m, tuple(accounts.get(m.id, ()))) for m in members]

    async def remove(self, staff_id: int) -> bool:
        """Mark the member removed and unlink their accounts; False when there is none."""
        member = await self.member(staff_id)
        if member is None:
            return False
        member.removed_at = utcnow()
        await self.session.execute(
            update(User).where(User.staff_id == staff_id).values(staff_id=None)
        )
        return True

    async def add_invite(self, invite: StaffInvite) -> None:
        """Store an invitation (its code only as a hash)."""
        self.session.add(invite)
        await self.session.flush()

    async def take_invite(self, code_hash: str, now: datetime) -> StaffInvite | None:
        """The unused, unexpired invitation with this hash, locked for the turn."""
        return await self.session.scalar(
            select(StaffInvite)
            .where(
                StaffInvite.code_hash == code_hash,
                StaffInvite.used_at.is_(None),
                StaffInvite.expires_at > now,
            )
            .with_for_update()
        )

    async def count_admins(self) -> int:
        """How many admins there are (the last one may not be removed)."""
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(StaffMember)
                .where(StaffMember.role == "admin", StaffMember.removed_at.is_(None))
            )
            or 0
        )

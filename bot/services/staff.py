"""Staff members: adding them (the command line), inviting them with a one-time code,
linking another chat account to the same person, listing and removing them. Every change
goes to the audit log."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.access import Role, StaffIdentity, identity_of
from bot.services.places import Places
from bot.services.scopes import Scope
from db.models import StaffInvite, StaffMember, User, utcnow
from db.repositories.audit import AuditRepository
from db.repositories.staff import StaffRepository, StaffRow
from db.repositories.users import UserRepository

# Invitation codes: no look-alikes (0/O, 1/I/L), read out over the phone in groups of four.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
INVITE_HOURS = 72
LINK_MINUTES = 30


class StaffProblem(StrEnum):
    """Why a staff change was refused."""

    NO_SCOPE = "no_scope"  # officers and viewers work in a province or a commune
    UNKNOWN_PROVINCE = "unknown_province"
    UNKNOWN_WARD = "unknown_ward"
    WARD_OUTSIDE_PROVINCE = "ward_outside_province"
    ALREADY_STAFF = "already_staff"
    NOT_FOUND = "not_found"
    LAST_ADMIN = "last_admin"


class StaffError(Exception):
    """A refused staff change, with its reason."""

    def __init__(self, problem: StaffProblem, detail: str = "") -> None:
        super().__init__(f"{problem.value}: {detail}" if detail else problem.value)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Invitation:
    """A code just made: shown once, stored only as its hash."""

    code: str
    expires_at: datetime


def scope_of(staff: StaffIdentity | None) -> Scope:
    """The area a member works in (the operator at the command line: everywhere)."""
    if staff is None:
        return Scope.everywhere()
    return Scope(province_code=staff.province_code, ward_code=staff.ward_code)


def code_hash(code: str) -> str:
    """How a code is stored and looked up: SHA-256 of its letters, spaces and case aside."""
    letters = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(letters.encode()).hexdigest()


def new_code() -> str:
    """A code like "K7PM-3QXA"."""
    letters = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{letters[:4]}-{letters[4:]}"


class StaffService:
    """Staff of one turn or command, in its session."""

    def __init__(self, session: AsyncSession, places: Places) -> None:
        self._staff = StaffRepository(session)
        self._users = UserRepository(session)
        self._audit = AuditRepository(session)
        self._places = places

    def checked_area(
        self, role: Role, province_code: int | None, ward_code: int | None
    ) -> tuple[int | None, int | None]:
        """The (province, commune) of a role's area, the province taken from the commune;
        `StaffError` when a code is unknown or an officer or viewer has no area."""
        if ward_code is not None:
            ward = self._places.ward(ward_code)
            if ward is None:
                raise StaffError(StaffProblem.UNKNOWN_WARD, str(ward_code))
            if province_code is not None and province_code != ward.province_code:
                raise StaffError(StaffProblem.WARD_OUTSIDE_PROVINCE, str(ward_code))
            province_code = ward.province_code
        if province_code is not None and self._places.province(province_code) is None:
            raise StaffError(StaffProblem.UNKNOWN_PROVINCE, str(province_code))
        if role is not Role.ADMIN and province_code is None:
            raise StaffError(StaffProblem.NO_SCOPE, role.value)
        return province_code, ward_code

    async def add(
        self,
        *,
        channel: str,
        external_id: str,
        role: Role,
        province_code: int | None = None,
        ward_code: int | None = None,
        name: str | None = None,
        actor: str = "cli",
        locale: str = "vi",
    ) -> StaffIdentity:
        """Make the chat account (created if it has never written) a new staff member."""
        province_code, ward_code = self.checked_area(role, province_code, ward_code)
        user = await self._users.get_or_create(
            channel=channel, external_id=external_id, locale=locale
        )
        if user.staff_id is not None and await self._staff.member(user.staff_id) is not None:
            raise StaffError(StaffProblem.ALREADY_STAFF, f"{channel}:{external_id}")
        member = await self._staff.add(
            role=role.value, province_code=province_code, ward_code=ward_code, name=name
        )
        self._staff.link(user, member)
        await self._audit.add(
            actor=actor,
            action="staff.added",
            detail={"staff": member.id, "channel": channel, **_area(member)},
        )
        return identity_of(member)

    async def invite(
        self,
        *,
        role: Role,
        province_code: int | None = None,
        ward_code: int | None = None,
        actor: str = "cli",
        now: datetime | None = None,
    ) -> Invitation:
        """A one-time code that makes whoever sends it a new member with this role and area."""
        province_code, ward_code = self.checked_area(role, province_code, ward_code)
        moment = now or utcnow()
        code = new_code()
        invite = StaffInvite(
            code_hash=code_hash(code),
            role=role.value,
            province_code=province_code,
            ward_code=ward_code,
            created_by=actor,
            created_at=moment,
            expires_at=moment + timedelta(hours=INVITE_HOURS),
        )
        await self._staff.add_invite(invite)
        await self._audit.add(
            actor=actor,
            action="staff.invited",
            detail={"role": role.value, "province": province_code, "ward": ward_code},
        )
        return Invitation(code, invite.expires_at)

    async def link_code(self, staff: StaffIdentity, *, now: datetime | None = None) -> Invitation:
        """A one-time code that adds another chat account to `staff` (short-lived)."""
        moment = now or utcnow()
        code = new_code()
        invite = StaffInvite(
            code_hash=code_hash(code),
            member_id=staff.id,
            role=staff.role.value,
            province_code=staff.province_code,
            ward_code=staff.ward_code,
            created_by=staff.actor,
            created_at=moment,
            expires_at=moment + timedelta(minutes=LINK_MINUTES),
        )
        await self._staff.add_invite(invite)
        return Invitation(code, invite.expires_at)

    async def join(self, *, user_id: int, code: str) -> StaffIdentity | None:
        """Use a code for this chat account: None when it is unknown, used or expired."""
        now = utcnow()
        invite = await self._staff.take_invite(code_hash(code), now)
        if invite is None:
            return None
        user = await self._users.get(user_id)
        if user is None:
            return None
        member = await self._staff.member(invite.member_id) if invite.member_id else None
        if member is None:
            member = await self._staff.add(
                role=invite.role,
                province_code=invite.province_code,
                ward_code=invite.ward_code,
                name=None,
            )
        self._staff.link(user, member)
        invite.used_at, invite.used_by = now, member.id
        await self._audit.add(
            actor=f"staff:{member.id}",
            action="staff.linked" if invite.member_id else "staff.joined",
            detail={"staff": member.id, "channel": user.channel, **_area(member)},
        )
        return identity_of(member)

    async def accounts(self, staff: StaffIdentity) -> list[User]:
        """The chat accounts that reach a member."""
        return await self._staff.accounts(staff.id)

    async def listed(self, *, by: StaffIdentity | None = None) -> list[StaffRow]:
        """Every member (of `by`'s province, when `by` has one), with their chat accounts."""
        rows = await self._staff.listed()
        return [row for row in rows if _within(by, row.member)]

    async def change(
        self,
        staff_id: int,
        *,
        role: Role,
        province_code: int | None,
        ward_code: int | None,
        actor: str = "cli",
        by: StaffIdentity | None = None,
    ) -> StaffIdentity:
        """Give a member another role or area (the last admin stays an admin). Audited.
        `by`: the admin doing it, who reaches only members of their province."""
        member = await self._staff.member(staff_id)
        if member is None or not _within(by, member):
            raise StaffError(StaffProblem.NOT_FOUND, str(staff_id))
        province_code, ward_code = self.checked_area(role, province_code, ward_code)
        if (
            member.role == Role.ADMIN.value
            and role is not Role.ADMIN
            and await self._staff.count_admins() <= 1
        ):
            raise StaffError(StaffProblem.LAST_ADMIN, str(staff_id))
        before = _area(member)
        member.role, member.province_code, member.ward_code = role.value, province_code, ward_code
        await self._audit.add(
            actor=actor,
            action="staff.changed",
            detail={"staff": staff_id, "before": before, "after": _area(member)},
        )
        return identity_of(member)

    async def remove(
        self, staff_id: int, *, actor: str = "cli", by: StaffIdentity | None = None
    ) -> None:
        """Take a member's role away (their history stays, named by id); `by` as in
        `change`."""
        member = await self._staff.member(staff_id)
        if member is None or not _within(by, member):
            raise StaffError(StaffProblem.NOT_FOUND, str(staff_id))
        if member.role == Role.ADMIN.value and await self._staff.count_admins() <= 1:
            raise StaffError(StaffProblem.LAST_ADMIN, str(staff_id))
        await self._staff.remove(staff_id)
        await self._audit.add(actor=actor, action="staff.removed", detail={"staff": staff_id})

    async def console_admin(
        self, *, external_id: str, province_code: int, locale: str
    ) -> tuple[StaffIdentity, bool]:
        """The staff identity of `bot chat --staff`: this console account's member, or a new
        admin of `province_code` (True when created now)."""
        user = await self._users.get_or_create(
            channel="console", external_id=external_id, locale=locale
        )
        if user.staff_id is not None:
            member = await self._staff.member(user.staff_id)
            if member is not None:
                return identity_of(member), False
        found = await self.add(
            channel="console",
            external_id=external_id,
            role=Role.ADMIN,
            province_code=province_code,
            name=None,
            actor="cli",
            locale=locale,
        )
        return found, True


def _within(by: StaffIdentity | None, member: StaffMember) -> bool:
    """Whether `member` lies in the province of `by` (everyone, for the operator or a
    nationwide admin)."""
    return by is None or by.province_code is None or member.province_code == by.province_code


def _area(member: StaffMember) -> dict[str, object]:
    return {"role": member.role, "province": member.province_code, "ward": member.ward_code}

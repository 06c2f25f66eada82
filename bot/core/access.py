"""Who may use which routes: staff roles, their areas, and the route groups they open.

A staff member is a person with one role and one area (a commune, a province, or all). The
router keeps staff routes in guarded groups; the turn runner gives it the groups the user
holds, so a handler never checks a role itself and cannot forget to.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Role(StrEnum):
    """What a staff member may do."""

    ADMIN = "admin"  # everything in their area, and managing staff
    OFFICER = "officer"  # reads and changes registrations in their area
    VIEWER = "viewer"  # reads in their area, changes nothing


class Group(StrEnum):
    """Route groups; a route in a group answers only users who hold it."""

    STAFF = "staff"  # any staff member: lists, details, exports
    STAFF_CHANGE = "staff_change"  # status changes: officers and admins
    ADMIN = "admin"  # inviting staff


@dataclass(frozen=True, slots=True)
class StaffIdentity:
    """The staff member behind a chat account, as a turn sees them."""

    id: int
    role: Role
    province_code: int | None
    ward_code: int | None
    name: str | None = None

    @property
    def groups(self) -> frozenset[Group]:
        """The route groups this member's role opens."""
        if self.role is Role.ADMIN:
            return frozenset(Group)
        if self.role is Role.OFFICER:
            return frozenset({Group.STAFF, Group.STAFF_CHANGE})
        return frozenset({Group.STAFF})

    @property
    def may_change(self) -> bool:
        """Whether the role changes registrations (not a viewer)."""
        return Group.STAFF_CHANGE in self.groups

    @property
    def actor(self) -> str:
        """How the audit log names this member."""
        return f"staff:{self.id}"


class StaffRecord(Protocol):
    """What a stored staff member has (db.models.StaffMember)."""

    id: int
    role: str
    province_code: int | None
    ward_code: int | None
    name: str | None


def identity_of(member: StaffRecord) -> StaffIdentity:
    """A stored staff member as turns and services see them."""
    return StaffIdentity(
        id=member.id,
        role=Role(member.role),
        province_code=member.province_code,
        ward_code=member.ward_code,
        name=member.name,
    )


def groups_of(staff: StaffIdentity | None) -> frozenset[Group]:
    """The groups a user holds: none for a citizen."""
    return staff.groups if staff is not None else frozenset()

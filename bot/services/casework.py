"""Staff work on registrations: lists and searches in the member's area, one registration
with its history, and status changes, each kept in the history, written to the audit log and
told to the citizen through the outbox (one message per change, sent once).

Every read and change is limited to the member's scope here, in SQL; a registration outside
it is "not found", exactly as one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.access import StaffIdentity
from bot.core.messages import reply_to_body
from bot.services.exports import ExportFormat, write_export
from bot.services.places import Places
from bot.services.registrations import HouseholdDetails, Status, details_of
from bot.services.scopes import RegistrationFilter, Scope, selection
from bot.services.staff import scope_of
from bot.services.status_messages import status_message
from db.models import Registration, RegistrationEvent, User, utcnow
from db.repositories.audit import AuditRepository
from db.repositories.outbox import NewMessage, OutboxRepository
from db.repositories.personal_data import is_erased
from db.repositories.registrations import RegistrationRepository

# Where a registration may go from each status, by staff.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.SUBMITTED: (Status.VERIFIED, Status.REJECTED),
    Status.VERIFIED: (Status.APPROVED, Status.REJECTED),
    Status.APPROVED: (Status.HANDED_OVER,),
}
NEEDS_REASON = frozenset({Status.REJECTED.value})
NOTE_MAX = 500
PAGE_SIZE = 8


class ChangeOutcome(StrEnum):
    """What a status change did."""

    CHANGED = "changed"
    NOT_FOUND = "not_found"  # no such registration in the member's area
    NOT_ALLOWED = "not_allowed"  # a viewer, or a move the workflow has not (any more)
    REASON_NEEDED = "reason_needed"


@dataclass(frozen=True, slots=True)
class CaseStep:
    """One step of a registration's history, as staff see it."""

    at: datetime
    from_status: str | None
    to_status: str
    note: str | None
    by_staff: int | None  # the staff member, or None for the citizen


@dataclass(frozen=True, slots=True)
class Case:
    """A registration as staff see it."""

    id: int
    reference: str
    status: str
    details: HouseholdDetails
    created_at: datetime
    history: tuple[CaseStep, ...]
    citizen_unreachable: bool  # the citizen blocked the bot: status messages do not arrive
    last_message: str | None  # the outbox status of the latest status message, if any

    @property
    def next_statuses(self) -> tuple[str, ...]:
        """Where staff may move it now."""
        return tuple(str(s) for s in TRANSITIONS.get(self.status, ()))


@dataclass(frozen=True, slots=True)
class CasePage:
    """One page of a list: the registrations, and whether older ones follow."""

    cases: tuple[Registration, ...]
    total: int
    more: bool


@dataclass(frozen=True, slots=True)
class Change:
    """The outcome of a status change, and the registration after it."""

    outcome: ChangeOutcome
    case: Case | None = None


class CaseworkService:
    """Registrations as one staff member (or the operator, `staff=None`) works on them."""

    def __init__(self, session: AsyncSession, zone: ZoneInfo) -> None:
        self._session = session
        self._repository = RegistrationRepository(session)
        self._outbox = OutboxRepository(session)
        self._audit = AuditRepository(session)
        self._zone = zone

    async def page(
        self,
        staff: StaffIdentity | None,
        chosen: RegistrationFilter,
        *,
        before_id: int | None = None,
        size: int = PAGE_SIZE,
    ) -> CasePage:
        """Newest first, in the member's area, matching the filter."""
        picked = selection(scope_of(staff), chosen, self._zone)
        rows = await self._repository.page(picked, before_id=before_id, limit=size + 1)
        total = await self._repository.count(picked)
        return CasePage(tuple(rows[:size]), total, len(rows) > size)

    async def count(self, staff: StaffIdentity | None, chosen: RegistrationFilter) -> int:
        """How many registrations of the member's area match."""
        return await self._repository.count(selection(scope_of(staff), chosen, self._zone))

    async def counts_by_status(self, staff: StaffIdentity | None) -> dict[str, int]:
        """How many registrations of the member's area are in each status."""
        return {
            status.value: await self.count(staff, RegistrationFilter(status=status.value))
            for status in Status
        }

    async def open(self, staff: StaffIdentity | None, reference: str) -> Case | None:
        """One registration of the member's area, with its history; None when there is none
        (or it lies outside the area: the two are not told apart)."""
        row = await self._in_scope(scope_of(staff), reference, lock=False)
        return await self._case(row) if row is not None else None

    async def change_status(
        self,
        staff: StaffIdentity,
        reference: str,
        to_status: str,
        *,
        note: str | None = None,
    ) -> Change:
        """Move a registration on, with a note (a reason, for a rejection): kept in its
        history and the audit log, and told to its citizen, in one transaction."""
        if not staff.may_change:
            return Change(ChangeOutcome.NOT_ALLOWED)
        row = await self._in_scope(scope_of(staff), reference, lock=True)
        if row is None:
            return Change(ChangeOutcome.NOT_FOUND)
        if to_status not in TRANSITIONS.get(row.status, ()):
            return Change(ChangeOutcome.NOT_ALLOWED, await self._case(row))
        note = (note or "").strip()[:NOTE_MAX] or None
        if to_status in NEEDS_REASON and note is None:
            return Change(ChangeOutcome.REASON_NEEDED, await self._case(row))
        before, row.status = row.status, to_status
        row.updated_at = utcnow()
        event = RegistrationEvent(
            registration_id=row.id,
            actor_kind="staff",
            actor_staff_id=staff.id,
            from_status=before,
            to_status=to_status,
            note=note,
        )
        await self._repository.add_event(event)
        await self._tell_citizen(row, event)
        await self._audit.add(
            actor=staff.actor,
            action="registration.status_changed",
            detail={"reference": row.reference, "from": before, "to": to_status},
        )
        return Change(ChangeOutcome.CHANGED, await self._case(row))

    async def export(
        self,
        staff: StaffIdentity | None,
        chosen: RegistrationFilter,
        *,
        fmt: ExportFormat,
        path: Path,
        places: Places,
        actor: str | None = None,
    ) -> int:
        """Write the registrations of the member's area that match into `path` (XLSX or
        CSV; readable by its owner only), and the export (who, filter, format, rows) into
        the audit log; the row count."""
        rows = self._repository.stream(selection(scope_of(staff), chosen, self._zone))
        count = await write_export(fmt, rows, path, places=places, zone=self._zone)
        path.chmod(0o600)  # personal data: readable by its owner only
        await self._audit.add(
            actor=actor or (staff.actor if staff is not None else "cli"),
            action="registrations.exported",
            detail={
                "format": fmt.value,
                "rows": count,
                "scope": _scope_detail(scope_of(staff)),
                "filter": chosen.describe(),
            },
        )
        return count

    async def _tell_citizen(self, row: Registration, event: RegistrationEvent) -> None:
        """One outbox message per status change, to the account that registered, in its
        language (none to an account whose data was erased)."""
        citizen = await self._session.get(User, row.user_id)
        if citizen is None or is_erased(citizen):
            return
        reply = status_message(
            event.to_status,
            reference=row.reference,
            contact_phone=row.contact_phone,
            reason=event.note if event.to_status in NEEDS_REASON else None,
            locale=citizen.locale,
        )
        await self._outbox.add(
            [
                NewMessage(
                    channel=citizen.channel,
                    address=citizen.address or citizen.external_id,
                    dedup_key=status_key(event.id),
                    kind="status",
                    body=reply_to_body(reply),
                    user_id=citizen.id,
                )
            ]
        )

    async def _in_scope(self, scope: Scope, reference: str, *, lock: bool) -> Registration | None:
        row = await self._repository.by_reference_in(
            reference.strip().upper(),
            province_code=scope.province_code,
            ward_code=scope.ward_code,
            lock=lock,
        )
        return row

    async def _case(self, row: Registration) -> Case:
        events = await self._repository.events(row.id)
        citizen = await self._session.get(User, row.user_id)
        status_events = [e for e in events if e.actor_kind == "staff"]
        last = (
            await self._outbox.status_of(status_key(status_events[-1].id))
            if status_events
            else None
        )
        return Case(
            id=row.id,
            reference=row.reference,
            status=row.status,
            details=details_of(row),
            created_at=row.created_at,
            history=tuple(
                CaseStep(e.at, e.from_status, e.to_status, e.note, e.actor_staff_id) for e in events
            ),
            citizen_unreachable=citizen is not None and citizen.unreachable_at is not None,
            last_message=last,
        )


def _scope_detail(scope: Scope) -> dict[str, int]:
    found = {"province": scope.province_code, "ward": scope.ward_code}
    return {name: code for name, code in found.items() if code is not None}


def status_key(event_id: int) -> str:
    """The outbox key of the message telling a status change: one per change."""
    return f"status:{event_id}"

"""Household registrations: submit (one live record per contact phone and commune), read,
correct and withdraw; each change kept in the registration's history."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.text import fold
from db.models import Consent, Registration, RegistrationEvent, utcnow
from db.repositories.registrations import RegistrationRepository

# No look-alikes: no 0/O, 1/I/L, 2/Z, 5/S, 8/B.
REFERENCE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
REFERENCE_LENGTH = 5
CONSENT_TEXT_VERSION = "reg-2026-12"
CORRECTABLE = frozenset({"submitted"})  # until an official has verified it
WITHDRAWABLE = frozenset({"submitted", "verified", "approved"})


class Status(StrEnum):
    """Where a registration stands."""

    SUBMITTED = "submitted"
    VERIFIED = "verified"
    APPROVED = "approved"
    REJECTED = "rejected"
    HANDED_OVER = "handed_over"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class HouseholdDetails:
    """What the form collects about the household (the fields of a registration)."""

    registrant: str  # self | relative | official
    relation: str | None
    head_name: str
    contact_phone: str  # E.164
    old_phone: str | None
    province_code: int
    ward_code: int
    village: str
    category: str
    device_name: str | None
    device_verdict: str | None
    help_wanted: str


@dataclass(frozen=True, slots=True)
class HistoryStep:
    """One status step of a registration."""

    at: datetime
    from_status: str | None
    to_status: str
    note: str | None


@dataclass(frozen=True, slots=True)
class RegistrationView:
    """A registration as its owner sees it."""

    reference: str
    status: str
    details: HouseholdDetails
    created_at: datetime
    history: tuple[HistoryStep, ...] = ()

    @property
    def correctable(self) -> bool:
        """Whether its owner may still correct it."""
        return self.status in CORRECTABLE

    @property
    def withdrawable(self) -> bool:
        """Whether its owner may still withdraw it."""
        return self.status in WITHDRAWABLE


class Outcome(StrEnum):
    """What a submission or a change did."""

    CREATED = "created"
    UPDATED = "updated"
    DUPLICATE_OWN = "duplicate_own"  # the same household, registered by this user
    DUPLICATE_OTHER = "duplicate_other"  # the same household, registered by someone else
    LOCKED = "locked"  # verified already: corrections go through the commune
    NOT_FOUND = "not_found"


@dataclass(frozen=True, slots=True)
class Submission:
    """The outcome, and the registration it concerns."""

    outcome: Outcome
    registration: RegistrationView | None = None


def new_reference() -> str:
    """A short code people can read out on the phone: "HT-7KQ4M"."""
    return "HT-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def details_of(row: Registration) -> HouseholdDetails:
    """The household details a registration row holds."""
    return HouseholdDetails(**{f.name: getattr(row, f.name) for f in fields(HouseholdDetails)})


def _view(row: Registration, events: list[RegistrationEvent] | None = None) -> RegistrationView:
    return RegistrationView(
        reference=row.reference,
        status=row.status,
        details=details_of(row),
        created_at=row.created_at,
        history=tuple(
            HistoryStep(e.at, e.from_status, e.to_status, e.note) for e in (events or [])
        ),
    )


class RegistrationService:
    """Registrations of one turn (or job), in its session."""

    def __init__(self, session: AsyncSession) -> None:
        self._repository = RegistrationRepository(session)

    async def submit(
        self,
        *,
        user_id: int,
        channel: str,
        details: HouseholdDetails,
        consent_given_at: datetime,
    ) -> Submission:
        """Register a household, with the consent given in the form; a live registration of
        the same contact phone and commune is returned instead of a second one (also when
        another process inserts it at the same moment)."""
        existing = await self._live(details)
        if existing is not None:
            return self._duplicate(existing, user_id)
        consent = await self._repository.add_consent(
            Consent(
                user_id=user_id,
                purpose="registration",
                text_version=CONSENT_TEXT_VERSION,
                channel=channel,
                on_behalf=details.registrant,
                given_at=consent_given_at,
            )
        )
        for _attempt in range(5):
            row = Registration(
                reference=new_reference(),
                user_id=user_id,
                consent_id=consent.id,
                channel=channel,
                status=Status.SUBMITTED.value,
                head_name_key=fold(details.head_name),
                **{f.name: getattr(details, f.name) for f in fields(HouseholdDetails)},
            )
            if await self._repository.insert(row):
                await self._event(row, user_id, None, Status.SUBMITTED.value)
                return Submission(Outcome.CREATED, _view(row))
            existing = await self._live(details)
            if existing is not None:  # the same household, inserted a moment ago elsewhere
                await self._repository.session.delete(consent)
                return self._duplicate(existing, user_id)
        raise RuntimeError("no free registration reference after 5 attempts")

    async def _live(self, details: HouseholdDetails) -> Registration | None:
        return await self._repository.find_live(
            contact_phone=details.contact_phone, ward_code=details.ward_code
        )

    @staticmethod
    def _duplicate(existing: Registration, user_id: int) -> Submission:
        if existing.user_id == user_id:
            return Submission(Outcome.DUPLICATE_OWN, _view(existing))
        return Submission(Outcome.DUPLICATE_OTHER, _view(existing))

    async def correct(
        self, *, user_id: int, reference: str, details: HouseholdDetails
    ) -> Submission:
        """Replace the household's details of the user's own registration, while no official
        has verified it."""
        row = await self._repository.by_reference(user_id, reference)
        if row is None:
            return Submission(Outcome.NOT_FOUND)
        if row.status not in CORRECTABLE:
            return Submission(Outcome.LOCKED, _view(row))
        if (details.contact_phone, details.ward_code) != (row.contact_phone, row.ward_code):
            other = await self._live(details)
            if other is not None and other.id != row.id:
                return self._duplicate(other, user_id)
        for f in fields(HouseholdDetails):
            setattr(row, f.name, getattr(details, f.name))
        row.head_name_key = fold(details.head_name)
        row.updated_at = utcnow()
        await self._event(row, user_id, row.status, row.status, note="corrected by the citizen")
        return Submission(Outcome.UPDATED, _view(row))

    async def withdraw(self, *, user_id: int, reference: str) -> Submission:
        """Withdraw the user's own registration (the household no longer asks for support)."""
        row = await self._repository.by_reference(user_id, reference)
        if row is None:
            return Submission(Outcome.NOT_FOUND)
        if row.status not in WITHDRAWABLE:
            return Submission(Outcome.LOCKED, _view(row))
        before, row.status = row.status, Status.WITHDRAWN.value
        row.updated_at = utcnow()
        await self._event(row, user_id, before, row.status)
        return Submission(Outcome.UPDATED, _view(row))

    async def mine(self, user_id: int) -> list[RegistrationView]:
        """The user's registrations with their history, newest first."""
        rows = await self._repository.for_user(user_id)
        return [_view(row, await self._repository.events(row.id)) for row in rows]

    async def get_mine(self, user_id: int, reference: str) -> RegistrationView | None:
        """One of the user's registrations, with its history."""
        row = await self._repository.by_reference(user_id, reference)
        if row is None:
            return None
        return _view(row, await self._repository.events(row.id))

    async def _event(
        self,
        row: Registration,
        user_id: int,
        before: str | None,
        after: str,
        note: str | None = None,
    ) -> None:
        await self._repository.add_event(
            RegistrationEvent(
                registration_id=row.id,
                actor_user_id=user_id,
                actor_kind="citizen",
                from_status=before,
                to_status=after,
                note=note,
            )
        )

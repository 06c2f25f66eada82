"""Registrations, their consents and history, within the caller's transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Consent, Registration, RegistrationEvent

LIVE_EXCLUDED = ("withdrawn", "rejected")


class RegistrationRepository:
    """Reads and writes of `registrations`, `consents` and `registration_events`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_consent(self, consent: Consent) -> Consent:
        """Store a consent and give it its id."""
        self.session.add(consent)
        await self.session.flush()
        return consent

    async def insert(self, registration: Registration) -> bool:
        """Insert in a savepoint; False when a unique key (the live phone and commune, or
        the reference) is taken, with nothing written."""
        try:
            async with self.session.begin_nested():
                self.session.add(registration)
                await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def find_live(self, *, contact_phone: str, ward_code: int) -> Registration | None:
        """The live registration of this contact phone in this commune."""
        return await self.session.scalar(
            select(Registration).where(
                Registration.contact_phone == contact_phone,
                Registration.ward_code == ward_code,
                Registration.status.not_in(LIVE_EXCLUDED),
            )
        )

    async def reference_taken(self, reference: str) -> bool:
        """Whether a registration has this reference."""
        found = await self.session.scalar(
            select(Registration.id).where(Registration.reference == reference)
        )
        return found is not None

    async def for_user(self, user_id: int) -> list[Registration]:
        """Every registration the user made, newest first."""
        rows = await self.session.scalars(
            select(Registration)
            .where(Registration.user_id == user_id)
            .order_by(Registration.created_at.desc(), Registration.id.desc())
        )
        return list(rows)

    async def by_reference(self, user_id: int, reference: str) -> Registration | None:
        """The user's registration with this reference (for update), locked for the turn."""
        return await self.session.scalar(
            select(Registration)
            .where(Registration.user_id == user_id, Registration.reference == reference)
            .with_for_update()
        )

    async def add_event(self, event: RegistrationEvent) -> None:
        """Append a step to a registration's history."""
        self.session.add(event)
        await self.session.flush()

    async def events(self, registration_id: int) -> list[RegistrationEvent]:
        """A registration's history, oldest first."""
        rows = await self.session.scalars(
            select(RegistrationEvent)
            .where(RegistrationEvent.registration_id == registration_id)
            .order_by(RegistrationEvent.at, RegistrationEvent.id)
        )
        return list(rows)

"""Registrations, their consents and history, within the caller's transaction."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Consent, Registration, RegistrationEvent

LIVE_EXCLUDED = ("withdrawn", "rejected")
STREAM_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Selection:
    """Which registrations a staff query reads, in SQL terms: the scope (`in_province`,
    `in_ward`) and the filter, with registration times already as UTC bounds and the text
    as a folded name part or phone digits."""

    in_province: int | None = None
    in_ward: int | None = None
    province_code: int | None = None
    ward_code: int | None = None
    status: str | None = None
    category: str | None = None
    name_part: str | None = None  # folded ("lo van")
    phone_digits: str | None = None  # "912345" or a whole number as "+84912345678"
    created_from: datetime | None = None  # inclusive
    created_before: datetime | None = None  # exclusive


def _where(statement: Select, chosen: Selection) -> Select:  # type: ignore[type-arg]
    conditions = []
    for column, value in (
        (Registration.province_code, chosen.in_province),
        (Registration.ward_code, chosen.in_ward),
        (Registration.province_code, chosen.province_code),
        (Registration.ward_code, chosen.ward_code),
        (Registration.status, chosen.status),
        (Registration.category, chosen.category),
    ):
        if value is not None:
            conditions.append(column == value)
    text_matches = []
    if chosen.name_part:
        text_matches.append(Registration.head_name_key.contains(chosen.name_part, autoescape=True))
    if chosen.phone_digits and re.fullmatch(r"\+?\d+", chosen.phone_digits):
        text_matches.append(Registration.contact_phone.contains(chosen.phone_digits))
    if text_matches:
        conditions.append(or_(*text_matches))
    if chosen.created_from is not None:
        conditions.append(Registration.created_at >= chosen.created_from)
    if chosen.created_before is not None:
        conditions.append(Registration.created_at < chosen.created_before)
    return statement.where(*conditions)


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

    async def by_reference_in(
        self, reference: str, *, province_code: int | None, ward_code: int | None, lock: bool
    ) -> Registration | None:
        """The registration with this reference, if it lies in the area (a commune, a
        province, or anywhere when both are None); locked for the turn when `lock`."""
        statement = select(Registration).where(Registration.reference == reference)
        if ward_code is not None:
            statement = statement.where(Registration.ward_code == ward_code)
        if province_code is not None:
            statement = statement.where(Registration.province_code == province_code)
        if lock:
            statement = statement.with_for_update()
        return await self.session.scalar(statement)

    async def add_event(self, event: RegistrationEvent) -> None:
        """Append a step to a registration's history."""
        self.session.add(event)
        await self.session.flush()

    async def stream(self, chosen: Selection) -> AsyncIterator[Row[Any]]:
        """The selected registrations, oldest first, as plain rows (their columns are
        attributes, as on the model), fetched in batches: an export of 100,000 rows never
        holds them all, and builds no ORM object per row."""
        table = Registration.__table__
        statement = _where(select(table), chosen).order_by(table.c.id)
        result = await self.session.stream(statement.execution_options(yield_per=STREAM_BATCH))
        async for batch in result.partitions(STREAM_BATCH):
            for row in batch:
                yield row

    async def page(
        self, chosen: Selection, *, before_id: int | None = None, limit: int = 10
    ) -> list[Registration]:
        """Up to `limit` selected registrations, newest first, older than `before_id` (keyset
        paging: no OFFSET scan however deep the page)."""
        statement = _where(select(Registration), chosen)
        if before_id is not None:
            statement = statement.where(Registration.id < before_id)
        rows = await self.session.scalars(statement.order_by(Registration.id.desc()).limit(limit))
        return list(rows)

    async def count(self, chosen: Selection) -> int:
        """How many registrations the selection holds."""
        statement = _where(select(func.count()).select_from(Registration), chosen)
        return int(await self.session.scalar(statement) or 0)

    async def events(self, registration_id: int) -> list[RegistrationEvent]:
        """A registration's history, oldest first."""
        rows = await self.session.scalars(
            select(RegistrationEvent)
            .where(RegistrationEvent.registration_id == registration_id)
            .order_by(RegistrationEvent.at, RegistrationEvent.id)
        )
        return list(rows)

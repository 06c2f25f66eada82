"""A citizen's own data: what the bot stores about them, and erasing it on request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from db.repositories.audit import AuditRepository
from db.repositories.devices import DeviceCheckRepository
from db.repositories.personal_data import PersonalDataRepository, StoredCounts

SHOWN = 5  # checks and consents listed one by one; the rest are counted


@dataclass(frozen=True, slots=True)
class CheckedPhone:
    """A phone check as its owner sees it."""

    at: datetime
    name: str | None  # None: the questions, without a model


@dataclass(frozen=True, slots=True)
class GivenConsent:
    """A consent as the person who gave it sees it."""

    at: datetime
    on_behalf: str
    text_version: str


@dataclass(frozen=True, slots=True)
class StoredData:
    """Everything stored about one user, as they may see it."""

    channel: str
    display_name: str | None
    locale: str
    has_address: bool
    form_in_progress: bool
    counts: StoredCounts
    checks: tuple[CheckedPhone, ...] = ()
    consents: tuple[GivenConsent, ...] = ()


class PersonalDataService:
    """Shows and erases one user's data, in the turn's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._repository = PersonalDataRepository(session)

    async def _user(self, user_id: int) -> User:
        user = await self._session.get(User, user_id)
        if user is None:
            raise LookupError(f"user {user_id} does not exist")
        return user

    async def show(self, user_id: int, *, form_in_progress: bool) -> StoredData:
        """What is stored about the user."""
        user = await self._user(user_id)
        checks = await DeviceCheckRepository(self._session).for_user(user_id)
        consents = await self._repository.consents(user_id)
        return StoredData(
            channel=user.channel,
            display_name=user.display_name,
            locale=user.locale,
            has_address=user.address is not None,
            form_in_progress=form_in_progress,
            counts=await self._repository.counts(user),
            checks=tuple(
                CheckedPhone(c.created_at, f"{c.brand} {c.model}" if c.brand else c.model)
                for c in checks[:SHOWN]
            ),
            consents=tuple(
                GivenConsent(c.given_at, c.on_behalf, c.text_version) for c in consents[:SHOWN]
            ),
        )

    async def erase(self, user_id: int) -> StoredCounts:
        """Erase everything about the user; the audit keeps only that it happened, the
        channel and the counts."""
        user = await self._user(user_id)
        channel = user.channel
        counts = await self._repository.erase(user)
        await AuditRepository(self._session).add(
            actor="citizen",
            action="personal_data.erased",
            detail={"channel": channel, **counts.as_dict()},
        )
        return counts

"""Everything stored about one user, counted and erased, within the caller's transaction."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    ERASED,
    Consent,
    Conversation,
    DeviceCheck,
    InboxUpdate,
    OutboxMessage,
    Registration,
    RegistrationEvent,
    Subscription,
    User,
)
from db.repositories import inbox, outbox


@dataclass(frozen=True, slots=True)
class StoredCounts:
    """How many rows of each kind hold something of the user."""

    registrations: int
    consents: int
    device_checks: int
    messages_in: int
    messages_out: int
    subscriptions: int = 0

    def as_dict(self) -> dict[str, int]:
        """For the audit entry (counts only)."""
        return {
            "registrations": self.registrations,
            "consents": self.consents,
            "device_checks": self.device_checks,
            "messages_in": self.messages_in,
            "messages_out": self.messages_out,
            "subscriptions": self.subscriptions,
        }


def is_erased(user: User) -> bool:
    """Whether `user` is the empty shell left by an erasure."""
    return user.external_id.startswith(f"{ERASED}:")


def forget_update(row: InboxUpdate) -> None:
    """Empty a stored update of a user erased in its own turn (once its replies are built)."""
    row.body, row.conversation, row.address = {}, ERASED, ERASED


class PersonalDataRepository:
    """Counts and erases one user's rows in every table that holds them."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _count(self, model: type, *conditions: object) -> int:
        query = select(func.count()).select_from(model).where(*conditions)  # type: ignore[arg-type]
        return int(await self.session.scalar(query) or 0)

    async def consents(self, user_id: int) -> list[Consent]:
        """The user's consents, newest first."""
        rows = await self.session.scalars(
            select(Consent)
            .where(Consent.user_id == user_id)
            .order_by(Consent.given_at.desc(), Consent.id.desc())
        )
        return list(rows)

    async def counts(self, user: User) -> StoredCounts:
        """What is stored about `user`, by table."""
        return StoredCounts(
            registrations=await self._count(Registration, Registration.user_id == user.id),
            consents=await self._count(Consent, Consent.user_id == user.id),
            device_checks=await self._count(DeviceCheck, DeviceCheck.user_id == user.id),
            messages_in=await self._count(
                InboxUpdate,
                InboxUpdate.channel == user.channel,
                InboxUpdate.conversation == user.external_id,
            ),
            messages_out=await self._count(OutboxMessage, OutboxMessage.user_id == user.id),
            subscriptions=await self._count(Subscription, Subscription.user_id == user.id),
        )

    async def erase(self, user: User) -> StoredCounts:
        """Delete the user's registrations (with their history), consents, device checks,
        subscriptions and messages not sent yet;
        empty their handled messages in and their finished messages out; forget the form in
        progress, the name, the reply address and the platform id. The user row stays as an
        empty shell so that the reply to this very turn can still be queued; the person's
        next message starts afresh. The updates still pending (this one) keep their body
        until they are handled."""
        counts = await self.counts(user)
        registrations = select(Registration.id).where(Registration.user_id == user.id)
        await self.session.execute(
            delete(RegistrationEvent).where(RegistrationEvent.registration_id.in_(registrations))
        )
        await self.session.execute(delete(Registration).where(Registration.user_id == user.id))
        await self.session.execute(delete(Consent).where(Consent.user_id == user.id))
        await self.session.execute(delete(DeviceCheck).where(DeviceCheck.user_id == user.id))
        await self.session.execute(delete(Subscription).where(Subscription.user_id == user.id))
        # Messages not sent yet (a broadcast's, a status change's) never will be.
        await self.session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.user_id == user.id, OutboxMessage.status == outbox.PENDING
            )
        )
        await self.session.execute(
            update(Conversation)
            .where(Conversation.user_id == user.id)
            .values(state=None, data={}, choices=[])
        )
        await self.session.execute(
            update(InboxUpdate)
            .where(
                InboxUpdate.channel == user.channel,
                InboxUpdate.conversation == user.external_id,
                InboxUpdate.status != inbox.PENDING,
            )
            .values(body={}, conversation=ERASED, address=ERASED)
        )
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.user_id == user.id, OutboxMessage.status.in_(outbox.FINISHED))
            .values(body={}, address=ERASED, user_id=None)
        )
        user.display_name = None
        user.address = None
        user.unreachable_at = None
        user.staff_id = None
        user.external_id = f"{ERASED}:{secrets.token_hex(8)}"
        await self.session.flush()
        return counts

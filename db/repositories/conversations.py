"""Dialogue state rows, one per user."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Conversation
from db.repositories.dialect import insert_for


class ConversationRepository:
    """Reads and writes `conversations` rows within the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_for_update(self, *, user_id: int) -> Conversation:
        """The user's conversation, locked for this transaction (PostgreSQL), created if new."""
        query = select(Conversation).where(Conversation.user_id == user_id).with_for_update()
        conversation = await self.session.scalar(query)
        if conversation is not None:
            return conversation
        statement = (
            (await insert_for(self.session, Conversation))
            .values(user_id=user_id, state=None, data={}, choices=[])
            .on_conflict_do_nothing(index_elements=["user_id"])
            .returning(Conversation)
        )
        created = (await self.session.scalars(statement)).first()
        if created is not None:
            return created
        existing = await self.session.scalar(query)
        if existing is None:
            raise LookupError(f"conversation of user {user_id} was neither created nor found")
        return existing

"""Dialogue state rows, one per user."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Conversation


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
        conversation = Conversation(user_id=user_id, state=None, data={}, choices=[])
        try:
            async with self.session.begin_nested():
                self.session.add(conversation)
        except IntegrityError:
            existing = await self.session.scalar(query)
            if existing is None:
                raise
            return existing
        return conversation

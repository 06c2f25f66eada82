"""A transcript driver: send messages through the real core and look at the replies."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from bot.app import App
from bot.core.messages import InboundUpdate, Incoming, Reply, reply_from_body
from bot.inbound.intake import Intake
from db.models import OutboxMessage
from db.repositories.outbox import SENT, OutboxRepository, Outcome


@dataclass
class Chat:
    """One user talking to the bot through the real turn runner and database."""

    app: App
    user_id: str = "tester"
    channel: str = "test"
    last: list[Reply] = field(default_factory=list)

    async def send(self, text: str = "", *, payload: str | None = None) -> list[Reply]:
        """Send a message (or a button press) and keep the replies."""
        self.last = await self.app.runner.handle(
            Incoming(channel=self.channel, user_id=self.user_id, text=text, payload=payload)
        )
        return self.last

    async def press(self, label: str) -> list[Reply]:
        """Press the button labelled `label` on the last replies."""
        for reply in self.last:
            for button in reply.buttons:
                if button.label == label:
                    return await self.send(button.label, payload=button.payload)
        raise AssertionError(f"No button {label!r} in {self.labels}")

    @property
    def text(self) -> str:
        """All reply texts of the last turn, joined."""
        return "\n".join(reply.text for reply in self.last)

    @property
    def labels(self) -> list[str]:
        """Labels of the buttons offered in the last turn."""
        return [button.label for reply in self.last for button in reply.buttons]


@dataclass
class InboxChat(Chat):
    """The same, through the durable path a real channel takes: each message is stored in
    the inbox, handled by the runner, and its replies read back from the outbox and marked
    sent (as the sender marks them once the platform has them)."""

    channel: str = "telegram"
    display_name: str | None = "Lò Thị Mai"
    sent: int = 0

    async def send(self, text: str = "", *, payload: str | None = None) -> list[Reply]:
        self.sent += 1
        inbound = InboundUpdate(
            self.channel,
            f"update-{uuid.uuid4().hex}",  # a platform's own id, never the person's
            self.user_id,
            f"chat-{self.user_id}",
            "text",
            text,
            payload=payload,
            display_name=self.display_name,
        )
        sessionmaker = self.app.runner.sessionmaker
        await Intake(sessionmaker, max_pending=1000, max_text_chars=4000).store([inbound])
        await self.app.runner.handle_next()
        async with sessionmaker() as session:
            rows = await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.dedup_key.like("reply:%"))
                .order_by(OutboxMessage.id.desc())
            )
            latest = [row for row in rows if row.body.get("text")]
        mine = []
        for row in latest:  # the replies of the newest inbox row
            if mine and row.dedup_key.split(":")[1] != mine[0].dedup_key.split(":")[1]:
                break
            mine.append(row)
        self.last = [reply_from_body(row.body) for row in reversed(mine)]
        await self._deliver()
        return self.last

    async def _deliver(self) -> None:
        """Record the queued replies as delivered, as the sender does after the platform's
        200 (claim, then record the outcome)."""
        address = f"chat-{self.user_id}"
        async with self.app.runner.sessionmaker() as session, session.begin():
            outbox = OutboxRepository(session)
            while claimed := (
                await outbox.claim_heads([(self.channel, address)], lease=timedelta(seconds=30))
            ).claimed:
                await outbox.record_many(Outcome(c.id, SENT, 1) for c in claimed)

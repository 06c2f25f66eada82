"""A transcript driver: send messages through the real core and look at the replies."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.app import App
from bot.core.messages import Incoming, Reply


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

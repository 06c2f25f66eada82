"""What the fake platforms share: recording sent messages and waiting for them."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any


class SentMessages:
    """Mixin for fakes that keep `self.sent` (dicts with chat_id and text) and set
    `self.new_message` whenever one arrives."""

    sent: list[dict[str, Any]]
    new_message: asyncio.Event

    def texts_to(self, chat_id: Any) -> list[str]:
        """Texts the bot sent to a chat, in order."""
        return [m["text"] for m in self.sent if m["chat_id"] == chat_id]

    async def wait_for_messages(self, chat_id: Any, count: int, timeout: float = 10.0) -> list[str]:
        """Wait until the bot has sent `count` messages to the chat."""
        deadline = time.monotonic() + timeout
        while len(self.texts_to(chat_id)) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"only {self.texts_to(chat_id)} after {timeout}s")
            self.new_message.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.new_message.wait(), remaining)
        return self.texts_to(chat_id)

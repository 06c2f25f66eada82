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


async def deliver_until_accepted(
    url: str, bodies: list[Any], headers: dict[str, str], *, concurrency: int = 8
) -> dict[str, int]:
    """POST each body to a webhook until it answers 200, as the platforms redeliver what got
    no 200 (a refused connection or a 5xx while the bot is down are retried). Returns how
    many POSTs answered each status ("error" for no answer)."""
    import httpx

    statuses: dict[str, int] = {}
    queue: asyncio.Queue[Any] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def pusher(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            while True:
                try:
                    response = await client.post(url, json=body, headers=headers)
                    key = str(response.status_code)
                except httpx.HTTPError:
                    key = "error"
                statuses[key] = statuses.get(key, 0) + 1
                if key == "200":
                    break
                await asyncio.sleep(0.2)

    async with httpx.AsyncClient(timeout=10) as client:
        await asyncio.gather(*(pusher(client) for _ in range(concurrency)))
    return statuses

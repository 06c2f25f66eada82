"""A fake Zalo Bot API on 127.0.0.1 (shared/platforms/messaging-apis.md §1.10).

getUpdates returns ONE queued update or HTTP 408 after the timeout; sendMessage rejects empty
or over-2,000-character texts and records when each message arrived (`at`, Unix time); every
call is recorded; tests inject inbound messages either
into the poll queue or POSTed to the registered webhook (flat or wrapped, duplicates allowed).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect

from tests.support.recording import SentMessages

TOKEN = "12345689:abc-xyz"


def _error(status: int, description: str) -> JSONResponse:
    return JSONResponse(
        {"ok": False, "error_code": status, "description": description}, status_code=status
    )


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


@dataclass
class FakeZalo(SentMessages):
    """State of the fake platform."""

    token: str = TOKEN
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    sent: list[dict[str, Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    webhook_url: str | None = None
    webhook_secret: str | None = None
    blocked_chats: set[str] = field(default_factory=set)
    fail_next_sends: int = 0  # answer 429 to this many sendMessage calls
    # What the next sendMessage calls get instead of success: "429", "500", or "hang"
    # (delivered, but no answer for `hang_seconds`: the client's read time-out fires).
    send_failures: list[str] = field(default_factory=list)
    hang_seconds: float = 3.0
    handed_out: list[dict[str, Any]] = field(default_factory=list)  # by getUpdates, in order
    new_message: asyncio.Event = field(default_factory=asyncio.Event)

    def update(
        self,
        chat_id: str,
        text: str | None,
        *,
        message_id: str | None = None,
        event: str | None = "message.text.received",
    ) -> dict[str, Any]:
        """A text (or, with text=None, an image) update as Zalo sends it."""
        message: dict[str, Any] = {
            "message_id": message_id or secrets.token_hex(10),
            "date": int(time.time() * 1000),
            "chat": {"id": chat_id, "chat_type": "PRIVATE"},
            "from": {"id": chat_id, "display_name": "Người dùng", "is_bot": False},
        }
        if text is None:
            event = "message.image.received"
            message["photo_url"] = "https://example.invalid/a.jpg"
        else:
            message["text"] = text
        body: dict[str, Any] = {"message": message}
        if event:
            body["event_name"] = event
        return body

    async def deliver(
        self, body: dict[str, Any], *, wrapped: bool = False, secret: str | None = None
    ) -> int:
        """Deliver an update: to the webhook if one is set, else into the poll queue."""
        if self.webhook_url is None:
            await self.queue.put(body)
            return 200
        payload = {"ok": True, "result": body} if wrapped else body
        async with httpx.AsyncClient() as client:
            response = await client.post(
                self.webhook_url,
                json=payload,
                headers={"X-Bot-Api-Secret-Token": secret or self.webhook_secret or ""},
            )
        return response.status_code

    def app(self) -> FastAPI:
        """The HTTP side."""
        api = FastAPI()

        @api.post("/bot{token}/{method}")
        async def method(token: str, method: str, request: Request) -> JSONResponse:
            if token != self.token:
                return _error(401, "Unauthorized")
            self.calls.append(method)
            try:
                if request.headers.get("content-type", "").startswith("application/json"):
                    body = await request.json() if await request.body() else {}
                else:
                    body = dict(await request.form())
            except ClientDisconnect:
                return _error(499, "Client closed the request")
            return await self._method(method, body)

        return api

    async def _method(self, method: str, body: dict[str, Any]) -> JSONResponse:
        now = int(time.time() * 1000)
        if method == "getMe":
            return _ok(
                {
                    "id": "1459232241454765289",
                    "account_name": "bot.fake",
                    "account_type": "BASIC",
                    "can_join_groups": False,
                    "display_name": "Bot Fake",
                }
            )
        if method == "getUpdates":
            if self.webhook_url:
                return _error(409, "Conflict: webhook is set")
            timeout = float(body.get("timeout", 30))
            try:
                update = await asyncio.wait_for(self.queue.get(), timeout)
            except TimeoutError:
                return _error(408, "Request timeout")
            self.handed_out.append(update)
            return _ok(update)
        if method == "setWebhook":
            url, secret = str(body.get("url", "")), str(body.get("secret_token", ""))
            if not url.startswith(("https://", "http://127.0.0.1")) or not 8 <= len(secret) <= 256:
                return _error(400, "Bad Request: url or secret_token")
            self.webhook_url, self.webhook_secret = url, secret
            return _ok({"url": url, "updated_at": now})
        if method == "deleteWebhook":
            self.webhook_url = self.webhook_secret = None
            return _ok({"url": "", "updated_at": now})
        if method == "getWebhookInfo":
            if not self.webhook_url:
                return _error(404, "Not Found")
            return _ok({"url": self.webhook_url, "updated_at": now})
        if method == "sendMessage":
            chat_id, text = str(body.get("chat_id", "")), str(body.get("text", ""))
            if not text or len(text.encode("utf-16-le")) // 2 > 2000:
                return _error(400, "Bad Request: text must be 1-2000 characters")
            if chat_id in self.blocked_chats:
                return _error(403, "Forbidden: the user blocked the bot")
            if self.fail_next_sends > 0:
                self.fail_next_sends -= 1
                return _error(429, "Too Many Requests")
            failure = self.send_failures.pop(0) if self.send_failures else None
            if failure in ("429", "500"):
                return _error(int(failure), "Too Many Requests" if failure == "429" else "Error")
            self.sent.append({"chat_id": chat_id, "text": text, "at": time.time()})
            if failure == "hang":
                await asyncio.sleep(self.hang_seconds)
            self.new_message.set()
            return _ok({"message_id": secrets.token_hex(10), "date": now})
        return _error(404, "Not Found")

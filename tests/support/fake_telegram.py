"""A fake Telegram Bot API on 127.0.0.1 for PTB (shared/platforms/messaging-apis.md §3).

PTB sends form-encoded bodies with JSON-encoded values (our sendMessage sends JSON). getUpdates
honours `offset` and long-polls up to `timeout`; sendMessage enforces 4,096 characters, answers
429 with `retry_after` or 403 for a blocked chat on request, and records when each message
arrived (`at`, Unix time); webhooks are pushed with the secret header.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect

from tests.support.recording import SentMessages

TOKEN = "123456:TEST-token"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Sunset", "username": "sunset_test_bot"}


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _error(status: int, description: str, **parameters: Any) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=status)


@dataclass
class FakeTelegram(SentMessages):
    """State of the fake Bot API."""

    token: str = TOKEN
    updates: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)  # files sent: name, bytes
    calls: list[str] = field(default_factory=list)
    webhook_url: str | None = None
    webhook_secret: str | None = None
    blocked_chats: set[int] = field(default_factory=set)
    fail_next_sends: int = 0
    # What the next sendMessage calls get instead of success: "429", "500", or "hang" (no
    # answer for `hang_seconds`, so the client's read time-out fires after the request left).
    send_failures: list[str] = field(default_factory=list)
    hang_seconds: float = 3.0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    new_message: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    base_url: str = ""

    def _user(self, chat_id: int) -> dict[str, Any]:
        return {"id": chat_id, "is_bot": False, "first_name": "An", "language_code": "en"}

    def _message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "An"},
            "from": self._user(chat_id),
            **content,
        }

    def text_update(self, chat_id: int, text: str) -> dict[str, Any]:
        return {"update_id": next(self._ids), "message": self._message(chat_id, text=text)}

    def photo_update(self, chat_id: int) -> dict[str, Any]:
        photo = [{"file_id": "f1", "file_unique_id": "u1", "width": 10, "height": 10}]
        return {"update_id": next(self._ids), "message": self._message(chat_id, photo=photo)}

    def edited_update(self, chat_id: int, text: str) -> dict[str, Any]:
        message = self._message(chat_id, text=text, edit_date=int(time.time()))
        return {"update_id": next(self._ids), "edited_message": message}

    def button_update(self, chat_id: int, data: str) -> dict[str, Any]:
        return {
            "update_id": next(self._ids),
            "callback_query": {
                "id": str(next(self._ids)),
                "from": self._user(chat_id),
                "chat_instance": "ci",
                "data": data,
                "message": {**self._message(chat_id, text="…"), "from": BOT_USER},
            },
        }

    async def deliver(self, update: dict[str, Any], *, secret: str | None = None) -> int:
        """To the webhook when one is set (content type exactly application/json), else queue."""
        if self.webhook_url is None:
            self.updates.append(update)
            self.arrived.set()
            return 200
        async with httpx.AsyncClient() as client:
            response = await client.post(
                self.webhook_url,
                content=json.dumps(update),
                headers={
                    "Content-Type": "application/json",
                    "X-Telegram-Bot-Api-Secret-Token": secret or self.webhook_secret or "",
                },
            )
        return response.status_code

    def keyboards_to(self, chat_id: int) -> list[Any]:
        return [m.get("reply_markup") for m in self.sent if m["chat_id"] == chat_id]

    def app(self) -> FastAPI:
        api = FastAPI()

        @api.post("/_test/enqueue")
        async def enqueue(request: Request) -> JSONResponse:
            """Benchmark hook: queue one text update per chat id."""
            body = await request.json()
            for chat_id in body["chat_ids"]:
                self.updates.append(self.text_update(int(chat_id), str(body["text"])))
            self.arrived.set()
            return _ok(len(self.updates))

        @api.get("/_test/stats")
        async def stats() -> JSONResponse:
            return _ok({"sent": len(self.sent)})

        @api.get("/_test/arrivals")
        async def arrivals() -> JSONResponse:
            """Benchmark hook: every message taken, as [chat id, arrival Unix time]."""
            return _ok([[m["chat_id"], m["at"]] for m in self.sent])

        @api.post("/_test/reset")
        async def reset() -> JSONResponse:
            """Benchmark hook: forget the messages taken."""
            self.sent.clear()
            return _ok(True)

        @api.post("/bot{token}/{method}")
        async def call(token: str, method: str, request: Request) -> JSONResponse:
            if token != self.token:
                return _error(401, "Unauthorized")
            try:
                if request.headers.get("content-type", "").startswith("application/json"):
                    raw = await request.json() if await request.body() else {}
                else:
                    raw = dict(await request.form())
            except ClientDisconnect:
                return _error(499, "Client closed the request")
            body = {k: _decode(v) for k, v in raw.items()}
            self.calls.append(method)
            return await self._method(method, body)

        return api

    async def _method(self, method: str, body: dict[str, Any]) -> JSONResponse:
        if method == "getMe":
            return _ok(BOT_USER)
        if method == "deleteWebhook":
            self.webhook_url = self.webhook_secret = None
            return _ok(True)
        if method == "setWebhook":
            self.webhook_url, self.webhook_secret = body.get("url"), body.get("secret_token")
            return _ok(True)
        if method == "getUpdates":
            if self.webhook_url:
                return _error(409, "Conflict: can't use getUpdates method while webhook is active")
            offset = int(body.get("offset") or 0)
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            if not self.updates:
                self.arrived.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.arrived.wait(), float(body.get("timeout") or 0))
            return _ok(self.updates[: int(body.get("limit") or 100)])
        if method == "answerCallbackQuery":
            return _ok(True)
        if method == "sendDocument":
            chat_id, upload = int(body["chat_id"]), body.get("document")
            if chat_id in self.blocked_chats:
                return _error(403, "Forbidden: bot was blocked by the user")
            if not hasattr(upload, "read"):
                return _error(400, "Bad Request: there is no document in the request")
            content = await upload.read()
            await upload.close()
            self.documents.append({"chat_id": chat_id, "filename": upload.filename,
                                   "content": content})  # fmt: skip
            document = {"file_id": f"doc-{len(self.documents)}", "file_unique_id": "u",
                        "file_name": upload.filename}  # fmt: skip
            return _ok(self._message(chat_id, document=document))
        if method == "sendMessage":
            arrived = time.time()
            chat_id, text = int(body["chat_id"]), str(body.get("text", ""))
            if len(text.encode("utf-16-le")) // 2 > 4096:
                return _error(400, "Bad Request: message is too long")
            if chat_id in self.blocked_chats:
                return _error(403, "Forbidden: bot was blocked by the user")
            if self.fail_next_sends > 0:
                self.fail_next_sends -= 1
                return _error(429, "Too Many Requests: retry after 1", retry_after=1)
            failure = self.send_failures.pop(0) if self.send_failures else None
            if failure == "429":
                return _error(429, "Too Many Requests: retry after 1", retry_after=1)
            if failure == "500":
                return _error(500, "Internal Server Error")
            if failure == "hang":
                self.sent.append(
                    {"chat_id": chat_id, "text": text, "reply_markup": None, "at": arrived}
                )
                await asyncio.sleep(self.hang_seconds)  # delivered, but the answer is late
            else:
                markup = body.get("reply_markup")
                self.sent.append(
                    {"chat_id": chat_id, "text": text, "reply_markup": markup, "at": arrived}
                )
            self.new_message.set()
            return _ok({**self._message(chat_id, text=text), "from": BOT_USER})
        return _error(404, "Not Found: method not found")


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


if __name__ == "__main__":  # python -m tests.support.fake_telegram PORT (for bench/*.py)
    import sys

    import uvicorn

    uvicorn.run(FakeTelegram().app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")

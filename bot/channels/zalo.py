"""Zalo Bot Platform: our own small httpx client, update parsing, polling and sending.

Platform facts (shared/platforms/messaging-apis.md §1): `POST {base}/bot{TOKEN}/{method}`,
JSON in, `{"ok": true, "result": …}` out; getUpdates returns ONE update and HTTP 408 when
there is none; webhooks carry `X-Bot-Api-Secret-Token`; bodies may be flat or wrapped in
`{"ok", "result"}`; texts are at most 2,000 characters; no buttons.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from bot.channels.base import render_plain, split_text
from bot.core.messages import Incoming, Reply

log = logging.getLogger(__name__)

CHANNEL = "zalo"
DEFAULT_BASE_URL = "https://bot-api.zaloplatforms.com"
TEXT_LIMIT = 2000
TEXT_ONLY = (
    "Xin lỗi, tôi chỉ đọc được tin nhắn chữ. Anh/chị vui lòng gõ câu hỏi.\n"
    "Sorry, I can only read text messages."
)


class ZaloApiError(Exception):
    """The Zalo API answered with an error."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(f"Zalo API {status}: {description}")
        self.status = status
        self.description = description


class ZaloClient:
    """The few Bot API methods we use. The token is in the URL path: never log URLs."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 40.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=f"{base_url.rstrip('/')}/bot{token}/", timeout=timeout, transport=transport
        )

    async def call(self, method: str, payload: dict[str, Any] | None = None) -> Any:
        """POST one method; the `result`, or `ZaloApiError`."""
        response = await self._http.post(method, json=payload or {})
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or not body.get("ok"):
            description = str(body.get("description") or response.reason_phrase)
            raise ZaloApiError(int(body.get("error_code") or response.status_code), description)
        return body.get("result")

    async def get_update(self, timeout: int = 30) -> dict[str, Any] | None:
        """One update, or None when the long poll ended empty (HTTP 408)."""
        try:
            result = await self.call("getUpdates", {"timeout": str(timeout)})
        except ZaloApiError as error:
            if error.status == 408:
                return None
            raise
        return result if isinstance(result, dict) else None

    async def send_message(self, chat_id: str, text: str) -> Any:
        """Send one text (at most 2,000 characters)."""
        return await self.call("sendMessage", {"chat_id": chat_id, "text": text})

    async def set_webhook(self, url: str, secret_token: str) -> Any:
        """Have Zalo POST updates to `url` with the secret header."""
        return await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> Any:
        """Stop webhook delivery (needed before polling)."""
        return await self.call("deleteWebhook")

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()


@dataclass(frozen=True, slots=True)
class ZaloUpdate:
    """What we need of an update."""

    chat_id: str
    user_id: str
    message_id: str | None
    text: str | None  # None for images, stickers, voice…
    display_name: str | None


def parse_update(body: dict[str, Any]) -> ZaloUpdate | None:
    """Read a flat or wrapped update; None when it is not a message from a person."""
    if body.get("ok") is True and isinstance(body.get("result"), dict):
        body = body["result"]
    message = body.get("message")
    if not isinstance(message, dict):
        return None
    chat = message.get("chat") or {}
    sender = message.get("from") or {}
    if sender.get("is_bot"):
        return None
    chat_id = str(chat.get("id") or sender.get("id") or "")
    if not chat_id:
        return None
    event = str(body.get("event_name") or "")
    text = message.get("text")
    is_text = event == "message.text.received" or (not event and isinstance(text, str))
    return ZaloUpdate(
        chat_id=chat_id,
        user_id=str(sender.get("id") or chat_id),
        message_id=str(message["message_id"]) if message.get("message_id") else None,
        text=str(text) if is_text and text is not None else None,
        display_name=sender.get("display_name") or sender.get("first_name"),
    )


Handle = Callable[[Incoming], Awaitable[list[Reply]]]
OnSend = Callable[[str], None]


class ZaloChannel:
    """Turns Zalo updates into turns of the core and sends the replies back."""

    name = CHANNEL

    def __init__(
        self,
        client: ZaloClient,
        handle: Handle,
        *,
        on_send: OnSend = lambda outcome: None,
        retries: int = 3,
    ) -> None:
        self.client = client
        self._handle = handle
        self._on_send = on_send
        self._retries = retries

    async def process(self, body: dict[str, Any]) -> None:
        """Handle one update end to end (used by polling and by the webhook)."""
        update = parse_update(body)
        if update is None:
            return
        if update.text is None:
            await self._send_text(update.chat_id, TEXT_ONLY)
            return
        replies = await self._handle(
            Incoming(
                channel=CHANNEL,
                user_id=update.user_id,
                text=update.text,
                display_name=update.display_name,
                message_id=update.message_id,
            )
        )
        for reply in replies:
            for part in split_text(render_plain(reply), TEXT_LIMIT):
                await self._send_text(update.chat_id, part)

    async def _send_text(self, chat_id: str, text: str) -> None:
        delay = 1.0
        for attempt in range(self._retries + 1):
            try:
                await self.client.send_message(chat_id, text)
                self._on_send("ok")
                return
            except ZaloApiError as error:
                if error.status in (429, 500, 502, 503, 504) and attempt < self._retries:
                    self._on_send("retry")
                    await asyncio.sleep(delay)
                    delay *= 2
                    continue
                self._on_send("blocked" if error.status == 403 else "error")
                log.warning("Zalo sendMessage failed: %s", error.description)
                return
            except httpx.HTTPError as error:
                if attempt < self._retries:
                    self._on_send("retry")
                    await asyncio.sleep(delay)
                    delay *= 2
                    continue
                self._on_send("error")
                log.warning("Zalo sendMessage failed: %s", type(error).__name__)
                return

    async def poll(self, stop: asyncio.Event, *, timeout: int = 30) -> None:
        """Long-poll until `stop` is set; each update is handled before the next poll."""
        try:
            await self.client.delete_webhook()
        except (ZaloApiError, httpx.HTTPError):
            log.info("No Zalo webhook to delete")
        backoff = 1.0
        while not stop.is_set():
            try:
                update = await self.client.get_update(timeout)
            except (ZaloApiError, httpx.HTTPError) as error:
                log.warning("Zalo getUpdates failed (%s); retrying", type(error).__name__)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            if update is not None:
                await self.process(update)

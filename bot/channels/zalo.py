"""Zalo Bot Platform: our own small httpx client, update parsing, polling and sending.

Platform facts (shared/platforms/messaging-apis.md §1): `POST {base}/bot{TOKEN}/{method}`,
JSON in, `{"ok": true, "result": …}` out; getUpdates returns ONE update and HTTP 408 when
there is none; webhooks carry `X-Bot-Api-Secret-Token`; bodies may be flat or wrapped in
`{"ok", "result"}`; texts are at most 2,000 characters; no buttons.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from typing import Any

import httpx

from bot.channels.base import (
    Parsed,
    Rejected,
    SendOutcome,
    pause,
    render_plain,
    split_text,
)
from bot.channels.fields import (
    MAX_UPDATE_ID,
    Malformed,
    optional_str,
    required_id,
    required_mapping,
)
from bot.core.messages import InboundUpdate, Reply
from bot.inbound.intake import Intake

log = logging.getLogger(__name__)

CHANNEL = "zalo"
DEFAULT_BASE_URL = "https://bot-api.zaloplatforms.com"
TEXT_LIMIT = 2000


class ZaloApiError(Exception):
    """The Zalo API answered with an error."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(f"Zalo API {status}: {description}")
        self.status = status
        self.description = description


class ZaloTokenRejected(ZaloApiError):
    """Zalo refused the bot token (401; 403 to a call that carries nothing but the token):
    retrying cannot help until ZALO_BOT_TOKEN is corrected."""

    setting = "ZALO_BOT_TOKEN"
    platform = "Zalo"

    def __str__(self) -> str:
        return f"{self.description} ({self.status})"


# Methods whose only credential is the token: a 403 to them refuses the token (a 403 to
# sendMessage means the person blocked the bot).
TOKEN_ONLY_METHODS = ("getMe", "getUpdates", "deleteWebhook")


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
        if not isinstance(body, dict):
            body = {}
        if response.status_code != 200 or not body.get("ok"):
            description = str(body.get("description") or response.reason_phrase)
            code = body.get("error_code")
            status = code if type(code) is int else response.status_code
            refused = {status, response.status_code}
            if 401 in refused or (403 in refused and method in TOKEN_ONLY_METHODS):
                raise ZaloTokenRejected(status, f"{method}: {description}")
            raise ZaloApiError(status, description)
        return body.get("result")

    async def get_me(self) -> Any:
        """The bot's account (fails fast on a refused token or an unreachable API)."""
        return await self.call("getMe")

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


def parse_update(raw: Any) -> Parsed:
    """What the bot needs of a flat or wrapped update; `Rejected` when it is malformed, None
    when it is nothing for the bot (the bot's own message, an event without a message)."""
    if not isinstance(raw, dict):
        return Rejected(CHANNEL, _digest(raw), "not a JSON object")
    body = raw["result"] if raw.get("ok") is True and isinstance(raw.get("result"), dict) else raw
    try:
        message = body.get("message")
        if message is None and isinstance(body.get("event_name"), str):
            return None
        message = required_mapping(body, "message")
        update_id = optional_str(message, "message_id", limit=MAX_UPDATE_ID + 1)
        if update_id is not None and len(update_id) > MAX_UPDATE_ID:
            raise Malformed(f"message_id is longer than {MAX_UPDATE_ID} characters")
        # Zalo has no update id: the message id, or (without one) the update's own digest.
        update_id = update_id or _digest(body)
        chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
        sender = message.get("from") if isinstance(message.get("from"), dict) else {}
        if sender.get("is_bot") is True:
            return None
        chat_id = required_id(chat if chat.get("id") else sender, "id")
        event = optional_str(body, "event_name", limit=100) or ""
        text = optional_str(message, "text")
        is_text = text is not None and event in ("", "message.text.received")
        conversation = required_id(sender, "id") if sender.get("id") else chat_id
    except Malformed as error:
        return Rejected(CHANNEL, _digest(body), str(error))
    return InboundUpdate(
        channel=CHANNEL,
        update_id=update_id,
        conversation=conversation,
        address=chat_id,
        kind="text" if is_text else "unsupported",
        text=(text or "") if is_text else "",
        display_name=_display_name(sender),
    )


def _display_name(sender: dict[str, Any]) -> str | None:
    for key in ("display_name", "first_name"):
        value = sender.get(key)
        if isinstance(value, str) and value.strip():
            return value[:256]
    return None


def _digest(value: Any) -> str:
    """A stable id for an update without one."""
    encoded = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return "sha256:" + hashlib.sha256(encoded.encode()).hexdigest()


# A request that never left: sending it again cannot deliver twice.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
RETRY_STATUSES = (429, 500, 502, 503, 504)


def outcome_of(error: Exception, delivered: int) -> SendOutcome:
    """The send outcome a Zalo API or transport error means."""
    if isinstance(error, ZaloApiError):
        detail = f"Zalo API {error.status}: {error.description}"[:500]
        if error.status == 403:
            return SendOutcome("blocked", delivered, detail=detail)
        if error.status in RETRY_STATUSES:
            return SendOutcome("retry", delivered, detail=detail)
        return SendOutcome("failed", delivered, detail=detail)
    detail = type(error).__name__
    if isinstance(error, NOT_SENT):
        return SendOutcome("retry", delivered, detail=detail)
    return SendOutcome("unknown", delivered, detail=detail)


class ZaloChannel:
    """The Zalo side of the bot: the send contract, and long polling into the inbox."""

    name = CHANNEL

    def __init__(self, client: ZaloClient) -> None:
        self.client = client

    async def send(self, address: str, reply: Reply, *, skip_parts: int = 0) -> SendOutcome:
        """The send contract: the reply as plain text (buttons numbered), in parts."""
        parts = split_text(render_plain(reply), TEXT_LIMIT)
        delivered = skip_parts
        for part in parts[skip_parts:]:
            try:
                await self.client.send_message(address, part)
            except (ZaloApiError, httpx.HTTPError, ValueError) as error:
                return outcome_of(error, delivered)
            delivered += 1
        return SendOutcome("delivered", delivered)

    async def start(self) -> None:
        """getMe: a refused token (ZaloTokenRejected) or an unreachable API stops `bot run`
        at start rather than in a loop that retries forever."""
        await self.client.get_me()

    async def set_webhook(self, url: str, secret: str) -> None:
        """Have Zalo POST updates to `url` with the secret header."""
        await self.client.set_webhook(url, secret)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.client.aclose()

    async def poll(self, intake: Intake, stop: asyncio.Event, *, timeout: int = 30) -> None:
        """Long-poll until `stop` is set; each update is stored before the next poll.
        Zalo confirms nothing: an update handed out just before a crash may be lost.
        A refused token ends the loop with ZaloTokenRejected (the supervisor reports it)."""
        try:
            await self.client.delete_webhook()
        except ZaloTokenRejected:
            raise
        except (ZaloApiError, httpx.HTTPError):
            log.info("No Zalo webhook to delete")
        while not stop.is_set():
            if await intake.backlog_full():
                await pause(stop, 1.0)
                continue
            update = await self.client.get_update(timeout)
            if update is not None:
                await intake.store([parse_update(update)])

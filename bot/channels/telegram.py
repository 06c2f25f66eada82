"""Telegram — transport only; the dialogue is the core's.

Updates are read by our own strict parser (`parse_update`) and fetched by our own
`getUpdates` loop, so that the offset is confirmed only after the updates are stored (PTB's
Updater confirms on fetch and buffers the whole backlog in memory). Texts go out as one JSON
POST to sendMessage each, over `BotApiLanes` (keep-alive connections of httpcore, the
transport under httpx, one request at a time on each): a send through python-telegram-bot
built a Message object from every answer, and httpx's client and connection pool cost more
CPU than the request itself at 16 requests in flight (bench/broadcast.py), which capped a
broadcast at a few hundred messages a second. The answer is read exactly as PTB reads it
(`answer_outcome` next to `outcome_of`, which maps PTB's errors for the other calls).
python-telegram-bot's `Bot` makes the other Bot API calls (getMe, documents, webhooks).
Buttons become inline keyboards (payload as callback_data); texts are split at 4,096
characters on line breaks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import httpcore
import httpx
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from telegram.error import (
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from bot.channels.base import Parsed, Rejected, SendOutcome, pause, split_text
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

CHANNEL = "telegram"
TEXT_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64  # bytes
DEFAULT_BASE_URL = "https://api.telegram.org/bot"
POLL_LIMIT = 100  # updates per getUpdates (Telegram's maximum)
IGNORED = (
    "channel_post",
    "edited_channel_post",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "inline_query",
    "chosen_inline_result",
    "poll",
    "poll_answer",
    "message_reaction",
)
# A request that never left: sending it again cannot deliver twice.
NOT_SENT_CAUSES = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
LANE_NOT_SENT = (httpcore.ConnectError, httpcore.ConnectTimeout, httpcore.PoolTimeout)
JSON_HEADERS = [(b"Content-Type", b"application/json"), (b"User-Agent", b"sunset-bot")]


def parse_update(raw: Any) -> Parsed:
    """What the bot needs of a raw update; `Rejected` when it is malformed, None when it is
    nothing for the bot (a bot's message, a channel post, a membership change)."""
    if not isinstance(raw, dict) or type(raw.get("update_id")) is not int:
        return Rejected(CHANNEL, "?", "not an update (no integer update_id)")
    update_id = str(raw["update_id"])
    try:
        return _read(raw, update_id)
    except Malformed as error:
        return Rejected(CHANNEL, update_id, str(error))


def _read(raw: dict[str, Any], update_id: str) -> InboundUpdate | None:
    if "callback_query" in raw:
        query = required_mapping(raw, "callback_query")
        sender = required_mapping(query, "from")
        message = query.get("message")
        chat = required_mapping(message, "chat") if isinstance(message, dict) else sender
        data = optional_str(query, "data", limit=CALLBACK_DATA_LIMIT * 4) or ""
        return InboundUpdate(
            channel=CHANNEL,
            update_id=update_id,
            conversation=required_id(sender, "id"),
            address=required_id(chat, "id"),
            kind="button",
            text=data,
            payload=data,
            display_name=_name(sender),
            ack=optional_str(query, "id", limit=MAX_UPDATE_ID),
        )
    for key in ("message", "edited_message"):
        if key not in raw:
            continue
        message = required_mapping(raw, key)
        chat = required_mapping(message, "chat")
        sender = message.get("from")
        if sender is not None and not isinstance(sender, dict):
            raise Malformed("from is not an object")
        if sender and sender.get("is_bot") is True:
            return None
        text = optional_str(message, "text")
        if key == "message" and text is None and "contact" in message:
            text = _shared_phone(required_mapping(message, "contact"))
        return InboundUpdate(
            channel=CHANNEL,
            update_id=update_id,
            conversation=required_id(sender or chat, "id"),
            address=required_id(chat, "id"),
            kind="text" if key == "message" and text is not None else "unsupported",
            text=text or "",
            display_name=_name(sender or {}),
        )
    if any(key in raw for key in IGNORED):
        return None
    raise Malformed("no update type the bot knows")


def _shared_phone(contact: dict[str, Any]) -> str | None:
    """A contact shared with the "share my number" button (or from the address book, for a
    relative) is read as the phone number it holds, as if it had been typed."""
    return optional_str(contact, "phone_number", limit=32)


def _name(sender: dict[str, Any]) -> str | None:
    parts = [optional_str(sender, key, limit=256) for key in ("first_name", "last_name")]
    return " ".join(part for part in parts if part) or None


def _markup(reply: Reply) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    if reply.request_phone:
        # One markup per message: the share button, and the other buttons as keys that send
        # their label as text (which the core maps back to the button).
        return ReplyKeyboardMarkup(
            [
                [KeyboardButton(reply.request_phone, request_contact=True)],
                *([KeyboardButton(b.label)] for b in reply.buttons),
            ],
            one_time_keyboard=True,
            resize_keyboard=True,
        )
    buttons = [
        InlineKeyboardButton(b.label, callback_data=b.payload)
        for b in reply.buttons
        if len(b.payload.encode()) <= CALLBACK_DATA_LIMIT
    ]
    if not buttons:
        return None
    return InlineKeyboardMarkup([[button] for button in buttons])


def outcome_of(error: TelegramError, delivered: int) -> SendOutcome:
    """The send outcome a python-telegram-bot error means."""
    detail = f"{type(error).__name__}: {error}"[:500]
    if isinstance(error, RetryAfter):
        seconds = error._retry_after.total_seconds()
        return SendOutcome("retry", delivered, retry_after=seconds, detail=detail)
    if isinstance(error, Forbidden):
        return SendOutcome("blocked", delivered, detail=detail)
    if isinstance(error, TimedOut):
        # PTB raises TimedOut for every httpx time-out: only one whose connection was never
        # made (or never got a pooled connection) is safe to repeat.
        if isinstance(error.__cause__, NOT_SENT_CAUSES):
            return SendOutcome("retry", delivered, detail=detail)
        return SendOutcome("unknown", delivered, detail=detail)
    if type(error) is NetworkError:
        if error.__cause__ is None:  # an HTTP 5xx answer: Telegram did not take it
            return SendOutcome("retry", delivered, detail=detail)
        if isinstance(error.__cause__, NOT_SENT_CAUSES):
            return SendOutcome("retry", delivered, detail=detail)
        return SendOutcome("unknown", delivered, detail=detail)
    return SendOutcome("failed", delivered, detail=detail)


def answer_outcome(status: int, content: bytes, delivered: int) -> SendOutcome | None:
    """What a Bot API answer to sendMessage means, read as python-telegram-bot reads it
    (`BaseRequest._request_wrapper`, then `outcome_of`): None when the message was taken."""
    if 200 <= status <= 299:
        try:
            json.loads(content)
        except ValueError:
            return SendOutcome("failed", delivered, detail="TelegramError: Invalid server response")
        return None
    try:
        answer = json.loads(content.decode("utf-8", "replace"))
    except ValueError:
        answer = None
    answer = answer if isinstance(answer, dict) else {}
    description = str(answer.get("description") or f"HTTP {status}")[:450]
    parameters = answer.get("parameters")
    if isinstance(parameters, dict) and parameters:
        if parameters.get("migrate_to_chat_id"):
            return SendOutcome("failed", delivered, detail=f"ChatMigrated: {description}")
        retry_after = parameters.get("retry_after")
        if retry_after:
            return SendOutcome(
                "retry",
                delivered,
                retry_after=float(retry_after),
                detail=f"RetryAfter: {description}",
            )
    if status == 403:
        return SendOutcome("blocked", delivered, detail=f"Forbidden: {description}")
    if status in (400, 401, 404, 409):  # BadRequest, InvalidToken, Conflict
        return SendOutcome("failed", delivered, detail=f"HTTP {status}: {description}")
    # 5xx and any other status: an answer came, so Telegram did not take the message.
    return SendOutcome("retry", delivered, detail=f"NetworkError: {description}")


def lane_error_outcome(error: Exception, delivered: int) -> SendOutcome:
    """What a transport error of a lane means: as `outcome_of` reads PTB's TimedOut and
    NetworkError, only a request that never left may be repeated."""
    detail = f"{type(error).__name__}: {error}"[:500]
    if isinstance(error, LANE_NOT_SENT):
        return SendOutcome("retry", delivered, detail=detail)
    return SendOutcome("unknown", delivered, detail=detail)


class BotApiLanes:
    """Keep-alive connections to the Bot API host, each carrying one request at a time and
    taken from a free list (the one used last first: it is the likeliest still open).

    httpcore's own pool hands a freed connection on by scanning every queued request; with
    16 in flight that scan cost more than the request (bench/broadcast.py). A request that
    waits longer than `pool_timeout` for a free lane is not sent (a `retry`, like PTB's
    pool time-out)."""

    def __init__(
        self, base_url: str, count: int, *, timeout: float, pool_timeout: float = 2.0
    ) -> None:
        ssl_context = httpx.create_ssl_context() if base_url.startswith("https:") else None
        self._lanes = [
            httpcore.AsyncConnectionPool(
                ssl_context=ssl_context,
                max_connections=1,
                max_keepalive_connections=1,
                keepalive_expiry=5.0,
            )
            for _ in range(count)
        ]
        self._free = list(self._lanes)
        self._slots = asyncio.Semaphore(count)
        self._pool_timeout = pool_timeout
        self._extensions = {
            "timeout": {"connect": 5.0, "read": timeout, "write": timeout, "pool": pool_timeout}
        }

    async def post(self, url: str | httpcore.URL, body: bytes) -> httpcore.Response:
        """POST a JSON body; the whole answer (httpcore's errors are the caller's). A URL
        parsed once (`httpcore.URL`) saves parsing it again for every message."""
        if self._slots.locked():
            async with asyncio.timeout(self._pool_timeout):
                await self._slots.acquire()
        else:
            await self._slots.acquire()
        lane = self._free.pop()
        try:
            return await lane.request(
                "POST", url, headers=JSON_HEADERS, content=body, extensions=self._extensions
            )
        finally:
            self._free.append(lane)
            self._slots.release()

    async def aclose(self) -> None:
        """Close every connection."""
        for lane in self._lanes:
            await lane.aclose()


class TelegramApiError(Exception):
    """getUpdates answered with something other than a list of updates."""


class TelegramTokenRejected(Exception):
    """Telegram refused the bot token (401, or 404 for a malformed one): retrying cannot help
    until TELEGRAM_BOT_TOKEN is corrected. Its text never contains the token."""

    setting = "TELEGRAM_BOT_TOKEN"
    platform = "Telegram"


def _rejected(method: str, error: InvalidToken, token: str) -> TelegramTokenRejected:
    """PTB's InvalidToken says which token was rejected; ours says which call refused it."""
    answer = str(error.__cause__ or error).replace(token, "***")
    return TelegramTokenRejected(f"{method}: {answer}")


class TelegramChannel:
    """Sends with PTB's Bot; fetches updates with its own loop; stores them via `Intake`."""

    name = CHANNEL

    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        connections: int = 16,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        request = HTTPXRequest(
            connection_pool_size=connections,
            pool_timeout=2.0,
            read_timeout=timeout,
            write_timeout=timeout,
        )
        self._request = request
        self._token = token
        self.bot = Bot(token, base_url=base_url, request=request)
        self._updates_url = f"{base_url}{token}/getUpdates"
        self._send_url = httpcore.URL(f"{base_url}{token}/sendMessage")
        self._get_me_url = f"{base_url}{token}/getMe"
        self._lanes = BotApiLanes(base_url, connections, timeout=timeout)
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(10.0), transport=transport)
        self._acks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """getMe (fails fast on a wrong token, TelegramTokenRejected, or an unreachable API);
        then once more over a send lane, so that the first message does not pay for setting
        the transport up (tens of ms: it would leave late and crowd the next one's second)."""
        try:
            await self.bot.initialize()
        except InvalidToken as error:
            raise _rejected("getMe", error, self._token) from None
        with contextlib.suppress(Exception):
            await self._lanes.post(self._get_me_url, b"{}")

    async def aclose(self) -> None:
        """Close both HTTP clients."""
        if self._acks:
            await asyncio.gather(*self._acks, return_exceptions=True)
        await self._http.aclose()
        await self._lanes.aclose()
        with contextlib.suppress(TelegramError, RuntimeError):
            await self.bot.shutdown()
        await self._request.shutdown()  # also when the Bot was never initialised

    async def send(self, address: str, reply: Reply, *, skip_parts: int = 0) -> SendOutcome:
        """The send contract: text in parts (the keyboard on the last), then any file."""
        chat_id = int(address)
        parts = split_text(reply.text, TEXT_LIMIT) if reply.text else []
        delivered = skip_parts
        for index in range(skip_parts, len(parts)):
            markup = _markup(reply) if index == len(parts) - 1 else None
            refused = await self._send_text(chat_id, parts[index], markup, delivered)
            if refused is not None:
                return refused
            delivered += 1
        if reply.attachment is not None and delivered <= len(parts):
            try:
                with reply.attachment.path.open("rb") as handle:
                    await self.bot.send_document(
                        chat_id, handle, filename=reply.attachment.filename
                    )
            except OSError as error:
                return SendOutcome("failed", delivered, detail=f"file: {error}")
            except TelegramError as error:
                return outcome_of(error, delivered)
            delivered += 1
        return SendOutcome("delivered", delivered)

    async def _send_text(
        self,
        chat_id: int,
        text: str,
        markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None,
        delivered: int,
    ) -> SendOutcome | None:
        """One sendMessage as a JSON POST: None when Telegram took it, else the outcome."""
        payload: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if markup is not None:
            payload["reply_markup"] = markup.to_dict()
        body = json.dumps(payload, ensure_ascii=False).encode()
        try:
            response = await self._lanes.post(self._send_url, body)
        except TimeoutError:  # no free lane in time: the request never left
            return SendOutcome("retry", delivered, detail="TimedOut: no free connection")
        except Exception as error:  # httpcore's errors, and whatever else the transport raised
            return lane_error_outcome(error, delivered)
        return answer_outcome(response.status, response.content, delivered)

    def acknowledge(self, updates: list[Parsed]) -> None:
        """Stop the spinner of pressed buttons (best effort, after the updates are stored)."""
        for update in updates:
            if isinstance(update, InboundUpdate) and update.ack:
                task = asyncio.create_task(self._answer_callback(update.ack))
                self._acks.add(task)
                task.add_done_callback(self._acks.discard)

    async def _answer_callback(self, query_id: str) -> None:
        try:
            await self.bot.answer_callback_query(query_id)
        except TelegramError as error:
            log.info("Telegram answerCallbackQuery failed: %s", error)

    async def set_webhook(self, url: str, secret: str) -> None:
        """Have Telegram POST updates to `url` with the secret header."""
        try:
            await self.bot.set_webhook(url, secret_token=secret)
        except InvalidToken as error:
            raise _rejected("setWebhook", error, self._token) from None

    async def poll(self, intake: Intake, stop: asyncio.Event, *, timeout: int = 20) -> None:
        """Long-poll until `stop` is set. A batch is stored before the next getUpdates
        confirms it (offset); a full backlog pauses fetching. A refused token ends the loop
        with TelegramTokenRejected (the supervisor reports it)."""
        try:
            await self.bot.delete_webhook()
        except InvalidToken as error:
            raise _rejected("deleteWebhook", error, self._token) from None
        offset: int | None = None
        while not stop.is_set():
            if await intake.backlog_full():
                await pause(stop, 1.0)
                continue
            raw_updates = await self._get_updates(offset, timeout)
            parsed = [parse_update(raw) for raw in raw_updates]
            await intake.store(parsed)
            ids = [raw["update_id"] for raw in raw_updates if _has_int_id(raw)]
            if ids:
                offset = max(ids) + 1
            if len(ids) < len(raw_updates):
                log.warning("Telegram sent %s updates without an id", len(raw_updates) - len(ids))
            self.acknowledge(parsed)

    async def _get_updates(self, offset: int | None, timeout: int) -> list[Any]:
        payload: dict[str, Any] = {"timeout": timeout, "limit": POLL_LIMIT}
        if offset is not None:
            payload["offset"] = offset
        response = await self._http.post(
            self._updates_url, json=payload, timeout=httpx.Timeout(10.0, read=timeout + 10.0)
        )
        try:
            body = response.json()
        except ValueError as error:
            raise TelegramApiError(f"getUpdates: HTTP {response.status_code}, not JSON") from error
        if not isinstance(body, dict) or body.get("ok") is not True:
            description = body.get("description") if isinstance(body, dict) else None
            if response.status_code == 401:
                raise TelegramTokenRejected(f"getUpdates: {description or 'Unauthorized'}")
            raise TelegramApiError(f"getUpdates: HTTP {response.status_code} {description}")
        result = body.get("result")
        if not isinstance(result, list):
            raise TelegramApiError("getUpdates: result is not a list")
        return result


def _has_int_id(raw: Any) -> bool:
    return isinstance(raw, dict) and type(raw.get("update_id")) is int

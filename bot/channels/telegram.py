"""Telegram through python-telegram-bot 22 — transport only; the dialogue is the core's.

Buttons become inline keyboards (payload as callback_data), texts are split at 4,096
characters on line breaks, non-text messages and edits get a friendly "text only" answer, and
`update_id` is the dedup key (a redelivered update is handled once, by any worker).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder, TypeHandler

from bot.channels.base import split_text
from bot.core.messages import Incoming, Reply

log = logging.getLogger(__name__)

CHANNEL = "telegram"
TEXT_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64  # bytes
DEFAULT_BASE_URL = "https://api.telegram.org/bot"
TEXT_ONLY = (
    "Xin lỗi, tôi chỉ đọc được tin nhắn chữ. Anh/chị vui lòng gõ câu hỏi.\n"
    "Sorry, I can only read text messages."
)

Handle = Callable[[Incoming], Awaitable[list[Reply]]]
OnSend = Callable[[str], None]


def build_application(
    token: str, *, base_url: str = DEFAULT_BASE_URL, polling: bool = True
) -> Application:
    """A PTB Application pointed at `base_url` (a fake server in tests)."""
    builder = ApplicationBuilder().token(token).base_url(base_url).concurrent_updates(True)
    if not polling:
        builder = builder.updater(None)
    return builder.build()


def _markup(reply: Reply) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    if reply.request_phone:
        return ReplyKeyboardMarkup(
            [[KeyboardButton(reply.text[:40] or "📞", request_contact=True)]],
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


class TelegramChannel:
    """Feeds Telegram updates to the core and sends the replies with PTB's Bot."""

    name = CHANNEL

    def __init__(
        self, application: Application, handle: Handle, *, on_send: OnSend = lambda outcome: None
    ) -> None:
        self.application = application
        self._handle = handle
        self._on_send = on_send
        application.add_handler(TypeHandler(Update, self._on_update))

    @property
    def bot(self) -> Bot:
        """The PTB Bot (HTTP client)."""
        return self.application.bot

    async def _on_update(self, update: Update, _context: object) -> None:
        await self.process(update)

    async def process(self, update: Update) -> None:
        """Handle one update end to end."""
        chat = update.effective_chat
        if chat is None:
            return
        incoming: Incoming | None = None
        user_id = str(update.effective_user.id) if update.effective_user else str(chat.id)
        name = update.effective_user.full_name if update.effective_user else None
        if update.callback_query is not None:
            query = update.callback_query
            await self._quietly(query.answer())
            incoming = Incoming(
                channel=CHANNEL,
                user_id=user_id,
                text=query.data or "",
                payload=query.data or "",
                display_name=name,
                message_id=str(update.update_id),
            )
        elif update.message is not None and update.message.text is not None:
            incoming = Incoming(
                channel=CHANNEL,
                user_id=user_id,
                text=update.message.text,
                display_name=name,
                message_id=str(update.update_id),
            )
        elif update.message is not None or update.edited_message is not None:
            await self._send(chat.id, TEXT_ONLY, None)
            return
        if incoming is None:
            return
        for reply in await self._handle(incoming):
            await self.send_reply(chat.id, reply)

    async def send_reply(self, chat_id: int, reply: Reply) -> None:
        """Send one reply: text in parts, the keyboard on the last part, then any file."""
        parts = split_text(reply.text, TEXT_LIMIT) if reply.text else []
        for index, part in enumerate(parts):
            markup = _markup(reply) if index == len(parts) - 1 else None
            await self._send(chat_id, part, markup)
        if reply.attachment is not None:
            try:
                with reply.attachment.path.open("rb") as handle:
                    await self.bot.send_document(
                        chat_id, handle, filename=reply.attachment.filename
                    )
                self._on_send("ok")
            except TelegramError as error:
                self._on_send("error")
                log.warning("Telegram sendDocument failed: %s", error)

    async def _send(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None
    ) -> None:
        for attempt in range(3):
            try:
                await self.bot.send_message(chat_id, text, reply_markup=markup)
                self._on_send("ok")
                return
            except RetryAfter as error:
                self._on_send("retry")
                if attempt == 2:
                    break
                await asyncio.sleep(error._retry_after.total_seconds())
            except Forbidden:
                self._on_send("blocked")
                return
            except TelegramError as error:
                self._on_send("error")
                log.warning("Telegram sendMessage failed: %s", error)
                return
        self._on_send("error")

    @staticmethod
    async def _quietly(call: Awaitable[object]) -> None:
        try:
            await call
        except TelegramError as error:
            log.info("Telegram call failed: %s", error)

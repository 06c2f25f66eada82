"""The turn runner: the one path from a message to its replies, and the one error boundary."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.clock import Clock
from bot.core.context import TurnContext, UserInfo
from bot.core.i18n import _, use_locale
from bot.core.locks import KeyedLocks
from bot.core.messages import Button, Incoming, Reply
from bot.core.router import Router
from bot.core.text import clean_input, fold, mask_phone_numbers
from bot.services import Services
from db.models import Conversation
from db.repositories.conversations import ConversationRepository
from db.repositories.updates import ProcessedUpdateRepository
from db.repositories.users import UserRepository
from db.session import DEFAULT_POSTGRES_TURNS

log = logging.getLogger(__name__)

ServicesFactory = Callable[[AsyncSession, Clock], Services]


@dataclass(frozen=True, slots=True)
class TurnTiming:
    """How long one turn waited (conversation lock, database slot) and then worked."""

    channel: str
    waited_seconds: float
    worked_seconds: float


TimingObserver = Callable[[TurnTiming], None]


@dataclass(frozen=True, slots=True)
class RunnerConfig:
    """Knobs of the runner that come from settings."""

    default_locale: str = "vi"
    supported_locales: tuple[str, ...] = ("vi", "en")
    max_input_chars: int = 1000
    # Turns that may hold a database transaction at once in this process: 1 for SQLite
    # (writes serialise anyway; more only makes them wait inside the driver until its
    # busy timeout), DEFAULT_POSTGRES_TURNS for PostgreSQL (see db/session.py for why).
    max_concurrent_turns: int = DEFAULT_POSTGRES_TURNS


class TurnRunner:
    """Runs one turn per incoming message: lock, session, user, state, locale, route, commit."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        router: Router,
        services_factory: ServicesFactory,
        clock: Clock,
        config: RunnerConfig,
        menu_button: Callable[[], Button],
    ) -> None:
        self._sessionmaker = sessionmaker
        self._router = router
        self._services_factory = services_factory
        self._clock = clock
        self._config = config
        self._menu_button = menu_button
        self._locks = KeyedLocks()
        self._db_slots = asyncio.Semaphore(config.max_concurrent_turns)
        self._timing_observers: list[TimingObserver] = []
        self.turns = 0
        self.errors = 0
        self.duplicates = 0

    def observe_timings(self, observer: TimingObserver) -> None:
        """Call `observer` after every completed turn with its waiting and working time."""
        self._timing_observers.append(observer)

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        """The session factory the runner opens its turns with."""
        return self._sessionmaker

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Answer one message. Never raises: a failing handler gets an apology.

        A message whose platform id was already handled (a redelivery) gets no reply.
        """
        arrived = time.perf_counter()
        async with self._locks.hold((incoming.channel, incoming.user_id)):
            try:
                async with self._db_slots:
                    started = time.perf_counter()
                    replies = await self._run_turn(incoming)
                    finished = time.perf_counter()
                timing = TurnTiming(incoming.channel, started - arrived, finished - started)
                for observer in self._timing_observers:
                    observer(timing)
                if replies is None:
                    self.duplicates += 1
                    return []
                self.turns += 1
                return replies
            except Exception:
                self.errors += 1
                log.exception(
                    "Turn failed: channel=%s user=%s payload=%r text=%r",
                    incoming.channel,
                    incoming.user_id,
                    incoming.payload,
                    mask_phone_numbers(incoming.text[:500]),
                )
                return await self._recover(incoming)

    async def _run_turn(self, incoming: Incoming) -> list[Reply] | None:
        """One turn in one transaction; None when the update was already handled.

        The update id is claimed in the same transaction, so a turn that fails and rolls
        back leaves its update free to be redelivered, and a worker that receives the same
        update concurrently waits for this one to commit and then skips it.
        """
        async with self._sessionmaker() as session, session.begin():
            if incoming.message_id and not await ProcessedUpdateRepository(session).claim(
                channel=incoming.channel, update_id=incoming.message_id
            ):
                return None
            user = await UserRepository(session).get_or_create(
                channel=incoming.channel,
                external_id=incoming.user_id,
                locale=self._initial_locale(incoming.locale_hint),
                display_name=incoming.display_name,
            )
            conversation = await ConversationRepository(session).get_for_update(user_id=user.id)
            with use_locale(user.locale):
                ctx = TurnContext(
                    incoming=incoming,
                    text="",
                    user=UserInfo(
                        id=user.id,
                        channel=user.channel,
                        external_id=user.external_id,
                        locale=user.locale,
                        is_staff=user.is_staff,
                        display_name=user.display_name,
                    ),
                    services=self._services_factory(session, self._clock),
                    today=self._clock.today(),
                    state=conversation.state,
                    data=dict(conversation.data or {}),
                    locale=user.locale,
                )
                await self._dispatch(ctx, incoming, conversation)
                user.locale = ctx.locale
                self._save_state(ctx, conversation)
            return ctx.replies

    async def _dispatch(
        self, ctx: TurnContext, incoming: Incoming, conversation: Conversation
    ) -> None:
        text = clean_input(incoming.text)
        if len(text) > self._config.max_input_chars:
            text = text[: self._config.max_input_chars]
            ctx.reply(
                _(
                    "Your message is very long, so I have read only its first {limit} characters."
                ).format(limit=self._config.max_input_chars)
            )
        ctx.text = text
        ctx.offered = tuple(Button(str(label), str(p)) for label, p in conversation.choices or [])
        payload = incoming.payload or self._choice_payload(text, conversation.choices or [])
        route = self._router.resolve(text=text, payload=payload, state=ctx.state)
        ctx.args = route.args
        await route.handler(ctx)
        if not any(reply.text for reply in ctx.replies):
            ctx.reply(_("What would you like to do next?"), [self._menu_button()])

    @staticmethod
    def _choice_payload(text: str, choices: list[Any]) -> str | None:
        """Map a typed number ("2") or a typed button label to that button's payload."""
        if not choices or not text:
            return None
        stripped = text.strip().rstrip(".)")
        if stripped.isascii() and stripped.isdigit() and 1 <= int(stripped) <= len(choices):
            return str(choices[int(stripped) - 1][1])
        folded = fold(text)
        for label, payload in choices:
            if fold(str(label)) == folded:
                return str(payload)
        return None

    @staticmethod
    def _save_state(ctx: TurnContext, conversation: Conversation) -> None:
        conversation.state = ctx.state
        conversation.data = ctx.data if ctx.state else {}
        offered = next((reply.buttons for reply in reversed(ctx.replies) if reply.buttons), ())
        conversation.choices = [[button.label, button.payload] for button in offered]

    async def _recover(self, incoming: Incoming) -> list[Reply]:
        """After a failed turn: clear the user's flow so they are not stuck, and apologise."""
        locale = self._initial_locale(incoming.locale_hint)
        try:
            async with self._sessionmaker() as session, session.begin():
                user = await UserRepository(session).get_or_create(
                    channel=incoming.channel, external_id=incoming.user_id, locale=locale
                )
                locale = user.locale
                with use_locale(locale):
                    button = self._menu_button()
                conversation = await ConversationRepository(session).get_for_update(user_id=user.id)
                conversation.state, conversation.data = None, {}
                conversation.choices = [[button.label, button.payload]]
        except Exception:
            log.exception("Could not reset the conversation after a failed turn")
        with use_locale(locale):
            text = _(
                "Sorry, something went wrong on our side. Please try again, "
                "or choose from the menu."
            )
            return [Reply(text, (self._menu_button(),))]

    def _initial_locale(self, hint: str | None) -> str:
        """Locale for a new user: always the default (Vietnamese).

        Platform language codes are not used: Telegram has no Vietnamese interface, so most
        Vietnamese users' clients report "en". Users switch with /lang.
        """
        del hint
        return self._config.default_locale

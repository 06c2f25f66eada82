"""The turn runner: the one path from a message to its replies, and the one error boundary."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.access import StaffIdentity, groups_of, identity_of
from bot.core.clock import Clock
from bot.core.context import TurnContext, UserInfo
from bot.core.i18n import _, use_locale
from bot.core.locks import KeyedLocks
from bot.core.messages import Button, Incoming, Reply, reply_to_body
from bot.core.router import Router
from bot.core.text import clean_input, clean_name, fold, mask_phone_numbers
from bot.services import Services
from db.models import Conversation, InboxUpdate, User, utcnow
from db.repositories.conversations import ConversationRepository
from db.repositories.inbox import InboxRepository
from db.repositories.outbox import NewMessage, OutboxRepository
from db.repositories.personal_data import forget_update, is_erased
from db.repositories.staff import StaffRepository
from db.repositories.users import UserRepository
from db.session import DEFAULT_POSTGRES_TURNS

log = logging.getLogger(__name__)

ServicesFactory = Callable[[AsyncSession, Clock], Services]
# Incoming text is cut to this many times `max_input_chars` before it is cleaned.
RAW_INPUT_FACTOR = 4
# Stored updates answered in one transaction when that many wait. One commit then serves
# several turns, and a batch holds SQLite's one writer for a few turns' time at most.
TURN_BATCH = 4


@dataclass(frozen=True, slots=True)
class TurnTiming:
    """How long one turn waited (conversation lock, database slot) and then worked."""

    channel: str
    waited_seconds: float
    worked_seconds: float


TimingObserver = Callable[[TurnTiming], None]


@dataclass(frozen=True, slots=True)
class HandledUpdate:
    """What a turn of `handle_batch` did: whose replies are now in the outbox."""

    channel: str
    address: str
    replies: int
    waited_seconds: float  # from being stored to the turn's start
    seconds: float  # from being stored to the replies committed
    failed: bool


class UpdateNotHandled(Exception):
    """The transaction of stored updates' turns could not be committed (they stay pending)."""

    def __init__(self, inbox_ids: tuple[int, ...]) -> None:
        super().__init__(f"inbox updates {', '.join(map(str, inbox_ids))} could not be handled")
        self.inbox_ids = inbox_ids


def _aware(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back; they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def incoming_from_row(row: InboxUpdate) -> Incoming:
    """The message a stored update holds."""
    body = row.body or {}
    payload = body.get("payload")
    return Incoming(
        channel=row.channel,
        user_id=row.conversation,
        text=str(body.get("text") or ""),
        payload=str(payload) if payload else None,
        display_name=body.get("display_name"),
        message_id=row.update_id,
        address=row.address,
    )


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

    def observe_timings(self, observer: TimingObserver) -> None:
        """Call `observer` after every completed turn with its waiting and working time."""
        self._timing_observers.append(observer)

    @property
    def db_slots(self) -> asyncio.Semaphore:
        """The slots turns take before they open a transaction (FIFO)."""
        return self._db_slots

    @property
    def max_concurrent_turns(self) -> int:
        """Turns this process runs at once (the number of inbox workers)."""
        return self._config.max_concurrent_turns

    def services_for(self, session: AsyncSession) -> Services:
        """The services a turn gets, on `session` (the web console works through them)."""
        return self._services_factory(session, self._clock)

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        """The session factory the runner opens its turns with."""
        return self._sessionmaker

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Answer one message now, without the inbox (the console, `bot ask`, tests): the
        replies are returned to the caller, not written to the outbox. Never raises: a
        failing handler gets an apology."""
        arrived = time.perf_counter()
        async with self._locks.hold((incoming.channel, incoming.user_id)), self._db_slots:
            started = time.perf_counter()
            try:
                async with self._sessionmaker() as session, session.begin():
                    _user, replies = await self._turn(session, incoming)
            except Exception:
                self._log_failure(incoming)
                replies = await self._recover_apart(incoming)
            self._observe(incoming.channel, started - arrived, time.perf_counter() - started)
        return replies

    async def handle_next(self) -> HandledUpdate | None:
        """`handle_batch(1)`: the next stored update, answered; None when nothing waits."""
        handled = await self.handle_batch(1)
        return handled[0] if handled else None

    async def handle_batch(self, limit: int = TURN_BATCH) -> list[HandledUpdate]:
        """Take up to `limit` stored updates (the oldest, of different conversations) and
        answer each in its own turn, in one transaction that also writes their replies to
        the outbox and marks them done. A failing handler is rolled back to its savepoint
        and the person gets an apology, in the same transaction: every update is still
        handled once. Under load one commit then serves several turns."""
        async with self._db_slots, self._sessionmaker() as session, session.begin():
            inbox = InboxRepository(session)
            rows = await inbox.claim_next(limit)
            turns: list[tuple[InboxUpdate, int, float, float, bool]] = []
            messages: list[NewMessage] = []
            try:
                for row in rows:
                    started = time.perf_counter()
                    waited = max(0.0, (utcnow() - _aware(row.received_at)).total_seconds())
                    replies, failed = await self._answer_stored(session, row)
                    messages.extend(replies)
                    turns.append((row, len(replies), waited, time.perf_counter() - started, failed))
                committing = time.perf_counter()
                # Outside every turn's savepoint, so that no rollback can undo them; one
                # statement each for the whole batch.
                await OutboxRepository(session).add(messages)
                await inbox.finish(
                    done=[row.id for row, *_rest, failed in turns if not failed],
                    failed=[row.id for row, *_rest, failed in turns if failed],
                )
            except Exception as error:
                raise UpdateNotHandled(tuple(row.id for row in rows)) from error
        commit = time.perf_counter() - committing if rows else 0.0
        handled = []
        for row, replies, waited, worked, failed in turns:
            self._observe(row.channel, waited, worked + commit)
            handled.append(
                HandledUpdate(
                    row.channel, row.address, replies, waited, waited + worked + commit, failed
                )
            )
        return handled

    async def _answer_stored(
        self, session: AsyncSession, row: InboxUpdate
    ) -> tuple[list[NewMessage], bool]:
        """One stored update's turn in a savepoint: its replies as outbox messages, and
        whether the turn failed (the person then gets an apology)."""
        incoming = incoming_from_row(row)
        failed = False
        try:
            async with session.begin_nested():
                user, replies = await self._turn(session, incoming, kind=row.kind)
        except Exception:
            failed = True
            self._log_failure(incoming)
            user, replies = await self._recover(session, incoming)
        messages = [
            NewMessage(
                channel=row.channel,
                address=row.address,
                dedup_key=f"reply:{row.id}:{number}",
                kind="reply",
                body=reply_to_body(reply),
                user_id=user.id,
            )
            for number, reply in enumerate(replies)
        ]
        if is_erased(user):  # "erase my data" keeps nothing, not even the asking message
            forget_update(row)
        return messages, failed

    def _observe(self, channel: str, waited: float, worked: float) -> None:
        self.turns += 1
        timing = TurnTiming(channel, waited, worked)
        for observer in self._timing_observers:
            observer(timing)

    def _log_failure(self, incoming: Incoming) -> None:
        """Log a failed turn with its context (phone numbers masked). Never raises."""
        self.errors += 1
        try:
            log.exception(
                "Turn failed: channel=%s user=%s payload=%r text=%r",
                incoming.channel,
                incoming.user_id,
                incoming.payload,
                mask_phone_numbers(str(incoming.text)[:500]),
            )
        except Exception:  # the boundary itself must not fail
            log.error("Turn failed (and its context could not be logged)")

    async def _turn(
        self, session: AsyncSession, incoming: Incoming, *, kind: str = "text"
    ) -> tuple[User, list[Reply]]:
        """One turn inside the caller's transaction: user, state, locale, route, save."""
        users = UserRepository(session)
        user = await users.get_or_create(
            channel=incoming.channel,
            external_id=incoming.user_id,
            locale=self._initial_locale(incoming.locale_hint),
            display_name=clean_name(incoming.display_name),
        )
        if incoming.address:
            users.note_address(user, incoming.address)
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
                    display_name=user.display_name,
                    staff=await self._staff_identity(session, user),
                ),
                services=self._services_factory(session, self._clock),
                today=self._clock.today(),
                state=conversation.state,
                data=dict(conversation.data or {}),
                locale=user.locale,
            )
            if kind == "unsupported":
                # A photo, sticker or edit: say so, and leave the person's place untouched.
                ctx.reply(_("Sorry, I can only read text messages. Please type your question."))
                return user, ctx.replies
            await self._dispatch(ctx, incoming, conversation)
            user.locale = ctx.locale
            self._save_state(ctx, conversation)
        return user, ctx.replies

    @staticmethod
    async def _staff_identity(session: AsyncSession, user: User) -> StaffIdentity | None:
        """The staff member behind the account (none for citizens: no query)."""
        if user.staff_id is None:
            return None
        member = await StaffRepository(session).member(user.staff_id)
        return identity_of(member) if member is not None else None

    async def _dispatch(
        self, ctx: TurnContext, incoming: Incoming, conversation: Conversation
    ) -> None:
        # Cut before cleaning: cleaning 10 MB would hold the event loop for most of a second.
        text = clean_input(str(incoming.text)[: RAW_INPUT_FACTOR * self._config.max_input_chars])
        if len(text) > self._config.max_input_chars:
            text = text[: self._config.max_input_chars]
            ctx.reply(
                _(
                    "Your message is very long, so I have read only its first {limit} characters."
                ).format(limit=self._config.max_input_chars)
            )
        ctx.text = text
        ctx.offered = tuple(Button(str(label), str(p)) for label, p in conversation.choices or [])
        groups = frozenset(groups_of(ctx.user.staff))
        if not self._router.allows("state", ctx.state, groups):  # no longer staff: leave
            ctx.finish()
        numbers = not self._router.reads_numbers(ctx.state, ctx.data)
        payload = incoming.payload or self._choice_payload(
            text, conversation.choices or [], numbers=numbers
        )
        route = self._router.resolve(
            text=text, payload=payload, state=ctx.state, data=ctx.data, groups=groups
        )
        ctx.args = route.args
        await route.handler(ctx)
        if not any(reply.text for reply in ctx.replies):
            ctx.reply(_("What would you like to do next?"), [self._menu_button()])

    @staticmethod
    def _choice_payload(text: str, choices: list[Any], *, numbers: bool = True) -> str | None:
        """Map a typed button label, or a typed number ("2") where `numbers`, to that
        button's payload."""
        if not choices or not text:
            return None
        stripped = text.strip().rstrip(".)")
        if (
            numbers
            and stripped.isascii()
            and stripped.isdigit()
            and 1 <= int(stripped) <= len(choices)
        ):
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

    async def _recover(self, session: AsyncSession, incoming: Incoming) -> tuple[User, list[Reply]]:
        """After a failed turn: clear the user's flow so they are not stuck, and apologise
        (in the caller's transaction)."""
        user = await UserRepository(session).get_or_create(
            channel=incoming.channel,
            external_id=incoming.user_id,
            locale=self._initial_locale(incoming.locale_hint),
        )
        with use_locale(user.locale):
            button = self._menu_button()
            apology = Reply(
                _(
                    "Sorry, something went wrong on our side. Please try again, "
                    "or choose from the menu."
                ),
                (button,),
            )
        conversation = await ConversationRepository(session).get_for_update(user_id=user.id)
        conversation.state, conversation.data = None, {}
        conversation.choices = [[button.label, button.payload]]
        return user, [apology]

    async def _recover_apart(self, incoming: Incoming) -> list[Reply]:
        """`_recover` in a transaction of its own; the apology even if that fails too."""
        try:
            async with self._sessionmaker() as session, session.begin():
                _user, replies = await self._recover(session, incoming)
                return replies
        except Exception:
            log.exception("Could not reset the conversation after a failed turn")
        with use_locale(self._config.default_locale):
            text = _(
                "Sorry, something went wrong on our side. Please try again, "
                "or choose from the menu."
            )
            return [Reply(text, (self._menu_button(),))]

    async def give_up(self, inbox_id: int) -> None:
        """Set aside a stored update whose turn cannot even be committed (tried in vain)."""
        async with self._sessionmaker() as session, session.begin():
            await InboxRepository(session).mark_failed(inbox_id)

    def _initial_locale(self, hint: str | None) -> str:
        """Locale for a new user: always the default (Vietnamese).

        Platform language codes are not used: Telegram has no Vietnamese interface, so most
        Vietnamese users' clients report "en". Users switch with /lang.
        """
        del hint
        return self._config.default_locale

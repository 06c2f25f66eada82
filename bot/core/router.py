"""Routing of a turn to one handler: global words, button payloads, commands, state, free text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.core.text import fold

# A number typed alone: outside a form it can only mean a choice ("9" under a six-item menu).
BARE_NUMBER = re.compile(r"\d{1,2}[.)]?")  # "105" alone may be a Nokia 105

if TYPE_CHECKING:
    from bot.core.context import TurnContext

Handler = Callable[["TurnContext"], Awaitable[None]]
# Decides from the conversation's data (a form's current step) whether a state reads numbers.
DataTest = Callable[[Mapping[str, Any]], bool]
# Decides from the data and the text whether a global word typed in a state is held back.
WordTest = Callable[[Mapping[str, Any], str], bool]


@dataclass(frozen=True, slots=True)
class WordGuard:
    """In one state, a global word for which `applies` holds goes to `handler` instead."""

    applies: WordTest
    handler: Handler


@dataclass(frozen=True, slots=True)
class Route:
    """The handler chosen for a turn and the argument text it receives."""

    handler: Handler
    args: str = ""


class GuardedRoutes:
    """Routes that answer only users who hold `group` (staff routes): registered through
    this object, they are hidden from everyone else, who get exactly what an unknown
    command, an old button or plain text gets. Handlers never check roles themselves."""

    def __init__(self, router: Router, group: str) -> None:
        self._router = router
        self._group = group

    def command(self, name: str, handler: Handler) -> None:
        """`/name`, for holders of the group only."""
        self._router.command(name, handler)
        self._router.guards[("command", name.lower().lstrip("/"))] = self._group

    def payload(self, prefix: str, handler: Handler) -> None:
        """Button payloads `prefix:…`, for holders of the group only."""
        self._router.payload(prefix, handler)
        self._router.guards[("payload", prefix)] = self._group

    def state(self, name: str, handler: Handler, **options: Any) -> None:
        """A state only holders of the group can be in (anyone else is taken out of it)."""
        self._router.state(name, handler, **options)
        self._router.guards[("state", name)] = self._group

    def guard_state(self, name: str) -> None:
        """Guard a state registered elsewhere (a form's)."""
        self._router.guards[("state", name)] = self._group

    def word(self, text: str, handler: Handler) -> None:
        """A message that is exactly `text`, for holders of the group only."""
        self._router.word(text, handler)
        self._router.guards[("word", fold(text))] = self._group


@dataclass(slots=True)
class Router:
    """Maps what the user sent to a handler. Filled by each handler module's `register`."""

    commands: dict[str, Handler] = field(default_factory=dict)
    payloads: dict[str, Handler] = field(default_factory=dict)
    states: dict[str, Handler] = field(default_factory=dict)
    number_states: dict[str, DataTest] = field(default_factory=dict)
    word_guards: dict[str, WordGuard] = field(default_factory=dict)
    words: dict[str, Handler] = field(default_factory=dict)
    marked_words: dict[str, Handler] = field(default_factory=dict)
    back_words: set[str] = field(default_factory=set)
    backs: dict[str, Handler] = field(default_factory=dict)
    on_text: Handler | None = None
    on_empty: Handler | None = None
    on_unknown_command: Handler | None = None
    on_stale_payload: Handler | None = None
    on_bad_number: Handler | None = None
    on_back: Handler | None = None
    # (kind, key) → the group a user must hold for that route ("command", "dangky").
    guards: dict[tuple[str, str], str] = field(default_factory=dict)

    def guarded(self, group: str) -> GuardedRoutes:
        """Register routes that only holders of `group` reach."""
        return GuardedRoutes(self, group)

    def allows(self, kind: str, key: str | None, groups: frozenset[str]) -> bool:
        """Whether a user holding `groups` may reach the route `kind`/`key`."""
        needed = self.guards.get((kind, key)) if key is not None else None
        return needed is None or needed in groups

    def command(self, name: str, handler: Handler) -> None:
        """Route `/name` (case-insensitive) to `handler`."""
        self.commands[name.lower().lstrip("/")] = handler

    def payload(self, prefix: str, handler: Handler) -> None:
        """Route button payloads `prefix` and `prefix:…` to `handler`."""
        self.payloads[prefix] = handler

    def state(
        self,
        name: str,
        handler: Handler,
        *,
        reads_numbers: bool | DataTest = False,
        word_guard: WordGuard | None = None,
    ) -> None:
        """Route free text to `handler` while the conversation is in state `name`. A state
        that `reads_numbers` (an IMEI, a phone number, a village "2"; or a test on the
        state's data, for a form whose steps differ) gets a typed number as typed: it is not
        taken as the number of a button offered with its question. A `word_guard` holds back
        the global words it applies to (a name "Huy" is not "hủy")."""
        self.states[name] = handler
        if callable(reads_numbers):
            self.number_states[name] = reads_numbers
        elif reads_numbers:
            self.number_states[name] = _always
        if word_guard is not None:
            self.word_guards[name] = word_guard

    def reads_numbers(self, state: str | None, data: Mapping[str, Any] | None = None) -> bool:
        """Whether a number typed in `state` is text for its handler (not a button)."""
        test = self.number_states.get(state) if state is not None else None
        return test is not None and test(data or {})

    def word(self, text: str, handler: Handler, *, marks: bool = False) -> None:
        """Route a message that is exactly `text` to `handler`, in any state: compared
        without tone marks, or with them when `marks` is set ("dừng" is not "đúng", which
        folds to the same letters)."""
        if marks:
            self.marked_words[_marked(text)] = handler
        else:
            self.words[fold(text)] = handler

    def back_word(self, text: str) -> None:
        """A message that is exactly `text` (folded) steps back in any state."""
        self.back_words.add(fold(text))

    def back(self, state: str, handler: Handler) -> None:
        """What "back" does in `state` (elsewhere: `on_back`)."""
        self.backs[state] = handler

    def resolve(
        self,
        *,
        text: str,
        payload: str | None,
        state: str | None,
        data: Mapping[str, Any] | None = None,
        groups: frozenset[str] = frozenset(),
    ) -> Route:
        """Choose the route for one message (`data`: the state's data, for its tests;
        `groups`: the guarded groups the user holds; a state of another group must have
        been left before, see `allows`)."""
        if payload is not None:
            prefix = payload.split(":", 1)[0]
            handler = self.payloads.get(prefix)
            if handler is not None and self.allows("payload", prefix, groups):
                return Route(handler, payload.partition(":")[2])
            return Route(self._required(self.on_stale_payload), payload)
        if not text:
            return Route(self._required(self.on_empty))
        word_handler = self.marked_words.get(_marked(text)) or self.words.get(fold(text))
        if word_handler is not None and not self.allows("word", fold(text), groups):
            word_handler = None
        if word_handler is not None:
            guard = self.word_guards.get(state) if state is not None else None
            if guard is not None and guard.applies(data or {}, text):
                return Route(guard.handler, text)
            return Route(word_handler)
        if fold(text) in self.back_words:
            if state is not None and state in self.backs:
                return Route(self.backs[state])
            return Route(self._required(self.on_back))
        if text.startswith("/"):
            name, _, args = text[1:].partition(" ")
            name = name.split("@", 1)[0].lower()
            handler = self.commands.get(name)
            if handler is not None and self.allows("command", name, groups):
                return Route(handler, args.strip())
            return Route(self._required(self.on_unknown_command), name)
        if state is not None and state in self.states:
            return Route(self.states[state], text)
        if BARE_NUMBER.fullmatch(text.strip()):
            return Route(self._required(self.on_bad_number), text.strip())
        return Route(self._required(self.on_text), text)

    @staticmethod
    def _required(handler: Handler | None) -> Handler:
        if handler is None:
            raise LookupError("Router is missing a default handler")
        return handler


def _always(_data: Mapping[str, Any]) -> bool:
    return True


def _marked(text: str) -> str:
    """Lower case with tone marks kept, single-spaced."""
    return " ".join(unicodedata.normalize("NFC", text).lower().split())

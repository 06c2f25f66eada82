"""Forms: a multi-step dialogue declared as data, one question at a time.

A form is a list of steps. Each step has a prompt, optional buttons and a parser for what is
typed; `when` skips steps that do not apply to the answers so far. The mechanism, not the
feature, gives every form the same back ("quay lại"), stop, edit-from-summary, confirm,
version check and "welcome back" after a long silence, and decides where a typed number is a
button (at a step with buttons that does not read digits; where digits are read, only a
number the step's parser cannot use, and only for the step's own value buttons).

The conversation's state is the form's name; its data is
`{"form", "v", "at", "values", "trail", "extra", "options", "editing", "typed", "touched"}`,
all JSON. Button payloads are `form:<name>:<action>[:<step>[:<value>]]`, and only the state
that offered a button accepts it: anything else gets the router's one "no longer in use"
answer.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.core.i18n import _
from bot.core.messages import Button
from bot.core.router import Handler, Router, WordGuard

if TYPE_CHECKING:
    from bot.core.context import TurnContext

PAYLOAD = "form"
SUMMARY = "_summary"  # `at` while the summary waits for confirm or an edit
RESUME = "_resume"  # `at` while "go on or start again?" waits for an answer
RESUME_AFTER_DAYS = 7


@dataclass(frozen=True, slots=True)
class FormView:
    """What a step's prompt, buttons and parser may read."""

    values: Mapping[str, Any]
    extra: Mapping[str, Any]
    number: int  # the position of the question being asked, from 1


@dataclass(frozen=True, slots=True)
class Parsed:
    """A parser's answer: a value, a re-prompt with an example, or options to choose from."""

    value: Any = None
    error: str | None = None
    question: str | None = None
    options: tuple[tuple[str, str], ...] = ()  # (label, value) buttons for `question`
    finish: bool = False  # the answer ends the form at once (consent refused)

    @classmethod
    def ok(cls, value: Any, *, finish: bool = False) -> Parsed:
        """The value to store (`finish`: complete the form now, without the summary)."""
        return cls(value=value, finish=finish)

    @classmethod
    def fail(cls, error: str) -> Parsed:
        """Say what is wrong (with an example) and ask again."""
        return cls(error=error)

    @classmethod
    def pick(cls, question: str, options: Sequence[tuple[str, str]]) -> Parsed:
        """Ask which of `options` was meant (a commune name shared by several)."""
        return cls(question=question, options=tuple(options))


Parser = Callable[["TurnContext", str, FormView], Awaitable[Parsed]]
Picker = Callable[["TurnContext", str, FormView], Awaitable[Parsed]]
Completion = Callable[["TurnContext", "FormResult"], Awaitable[None]]


def _always(_values: Mapping[str, Any]) -> bool:
    return True


def _no_choices(_view: FormView) -> Sequence[tuple[str, str]]:
    return ()


@dataclass(frozen=True, slots=True)
class Step:
    """One question of a form.

    `choices` are (label, value) buttons; a pressed one is stored as its value, or what
    `pick` makes of it. `parse` reads typed text (None: only the buttons answer). `label`
    names the field in the summary, where it can be edited; `show` writes its value there.
    """

    name: str
    prompt: Callable[[FormView], str]
    choices: Callable[[FormView], Sequence[tuple[str, str]]] = _no_choices
    parse: Parser | None = None
    pick: Picker | None = None
    when: Callable[[Mapping[str, Any]], bool] = _always
    reads_numbers: bool = False
    label: Callable[[], str] | None = None
    show: Callable[[Any], str] = str
    request_phone: bool = False


@dataclass(frozen=True, slots=True)
class FormResult:
    """The answers of a completed form."""

    values: dict[str, Any]
    extra: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Form:
    """A form: its steps and what completes it. Change `version` when the steps or their
    values change shape, so that a form begun before the release starts again politely."""

    name: str
    version: int
    title: Callable[[], str]
    steps: tuple[Step, ...]
    on_complete: Completion
    summary: bool = False
    on_back_out: Handler | None = None  # "back" at the first question (default: stop)
    confirm_label: Callable[[], str] = field(default=lambda: _("Confirm"))

    def step(self, name: str) -> Step | None:
        """The step called `name`."""
        return next((step for step in self.steps if step.name == name), None)


# --- the form's data ---------------------------------------------------------------------


def _fresh(form: Form, extra: Mapping[str, Any] | None, today: date) -> dict[str, Any]:
    return {
        "form": form.name,
        "v": form.version,
        "at": None,
        "values": {},
        "trail": [],
        "extra": dict(extra or {}),
        "options": [],
        "editing": None,
        "typed": None,
        "touched": today.isoformat(),
    }


def _is_current(form: Form, data: Mapping[str, Any]) -> bool:
    """Whether `data` was written by this version of `form` (and has the expected shape)."""
    return (
        data.get("form") == form.name
        and data.get("v") == form.version
        and isinstance(data.get("values"), dict)
        and isinstance(data.get("trail"), list)
    )


def _own_copy(ctx: TurnContext) -> dict[str, Any]:
    """The turn's form data as a deep copy, made the turn's data: changes to nested values
    must not touch the loaded row's (the runner saves the new object)."""
    data = copy.deepcopy(dict(ctx.data))
    ctx.data = data
    return data


def _view(data: Mapping[str, Any]) -> FormView:
    return FormView(
        values=data.get("values") or {},
        extra=data.get("extra") or {},
        number=len(data.get("trail") or []) + 1,
    )


def _current_step(form: Form, data: Mapping[str, Any]) -> Step | None:
    at = data.get("at")
    return form.step(at) if isinstance(at, str) else None


def _offers_buttons(step: Step, data: Mapping[str, Any]) -> bool:
    return bool(data.get("options")) or bool(step.choices(_view(data)))


def _numbered_value(data: Mapping[str, Any], step: Step, text: str) -> str | None:
    """At a step that reads numbers, a number its parser could not use ("1" where an IMEI
    or a model is asked) is the value button of that number, when there is one: value
    buttons come first, so their numbers are 1..n. Never "back" or "stop"."""
    typed = text.strip().rstrip(".)")
    pairs = [tuple(pair) for pair in data.get("options") or []] or list(step.choices(_view(data)))
    if typed.isdigit() and 1 <= int(typed) <= len(pairs):
        return str(pairs[int(typed) - 1][1])
    return None


def _pending(form: Form, values: dict[str, Any]) -> Step | None:
    """Drop answers to steps that no longer apply; the first step still to answer."""
    for step in form.steps:
        if step.name in values and not step.when(values):
            del values[step.name]
    return next((s for s in form.steps if s.name not in values and s.when(values)), None)


# --- starting, asking, finishing ---------------------------------------------------------


async def start(
    ctx: TurnContext,
    form: Form,
    *,
    extra: Mapping[str, Any] | None = None,
    values: Mapping[str, Any] | None = None,
    intro: str = "",
) -> None:
    """Begin `form` at its first question (`extra`: what the feature keeps alongside;
    `values`: answers known already, as when a registration is corrected: the form then
    goes on at the first step still to answer, or at the summary)."""
    data = _fresh(form, extra, ctx.today)
    data["values"] = dict(values or {})
    data["trail"] = [step.name for step in form.steps if step.name in data["values"]]
    ctx.goto(form.name, data)
    await _advance(ctx, form, data, intro=intro)


async def _advance(ctx: TurnContext, form: Form, data: dict[str, Any], *, intro: str = "") -> None:
    """Ask the next question, show the summary, or complete the form."""
    values = data["values"]
    step = _pending(form, values)
    data["trail"] = [name for name in data["trail"] if name in values]
    data["options"], data["typed"] = [], None
    if step is not None:
        data["at"] = step.name
        ctx.goto(form.name, data)
        _ask(ctx, form, data, step, intro=intro)
        return
    data["editing"] = None
    if form.summary:
        data["at"] = SUMMARY
        ctx.goto(form.name, data)
        _show_summary(ctx, form, data, intro=intro)
        return
    ctx.finish()
    await form.on_complete(ctx, FormResult(dict(values), dict(data["extra"])))


def _control_buttons(form: Form, data: Mapping[str, Any]) -> list[Button]:
    buttons = []
    if data.get("trail") or data.get("editing") or form.on_back_out is not None:
        buttons.append(Button(_("Back"), f"{PAYLOAD}:{form.name}:back"))
    buttons.append(Button(_("Stop"), f"{PAYLOAD}:{form.name}:cancel"))
    return buttons


def _value_buttons(form: Form, step: Step, pairs: Sequence[tuple[str, str]]) -> list[Button]:
    return [Button(label, f"{PAYLOAD}:{form.name}:v:{step.name}:{value}") for label, value in pairs]


def _ask(
    ctx: TurnContext,
    form: Form,
    data: Mapping[str, Any],
    step: Step,
    *,
    intro: str = "",
    question: str | None = None,
) -> None:
    view = _view(data)
    text = question or step.prompt(view)
    options = [(str(label), str(value)) for label, value in data.get("options") or []]
    pairs = options or list(step.choices(view))
    ctx.reply(
        f"{intro}\n{text}".strip(),
        [*_value_buttons(form, step, pairs), *_control_buttons(form, data)],
        request_phone=_("📞 Send my phone number") if step.request_phone else None,
    )


def _show_summary(ctx: TurnContext, form: Form, data: Mapping[str, Any], *, intro: str) -> None:
    values = data["values"]
    lines = [_("Please check:")]
    edits = []
    for step in form.steps:
        if step.label is None or step.name not in values:
            continue
        lines.append(f"• {step.label()}: {step.show(values[step.name])}")
        edits.append(
            Button(
                _("Change: {field}").format(field=step.label()),
                f"{PAYLOAD}:{form.name}:edit:{step.name}",
            )
        )
    ctx.reply(
        f"{intro}\n" + "\n".join(lines) if intro else "\n".join(lines),
        [
            Button(form.confirm_label(), f"{PAYLOAD}:{form.name}:confirm"),
            *edits,
            *_control_buttons(form, data),
        ],
    )


async def _store(
    ctx: TurnContext, form: Form, data: dict[str, Any], step: Step, value: Any
) -> None:
    data["values"][step.name] = value
    if step.name not in data["trail"]:
        data["trail"].append(step.name)
    await _advance(ctx, form, data)


async def _apply(
    ctx: TurnContext, form: Form, data: dict[str, Any], step: Step, parsed: Parsed
) -> None:
    """Store a parsed value, or re-ask with the parser's error or options."""
    if parsed.error is not None:
        _ask(ctx, form, data, step, intro=parsed.error)
    elif parsed.options:
        data["options"] = [list(pair) for pair in parsed.options]
        ctx.goto(form.name, data)
        _ask(ctx, form, data, step, question=parsed.question)
    elif parsed.finish:
        data["values"][step.name] = parsed.value
        ctx.finish()
        await form.on_complete(ctx, FormResult(dict(data["values"]), dict(data["extra"])))
    else:
        await _store(ctx, form, data, step, parsed.value)


# --- what the router calls ---------------------------------------------------------------


class FormRoutes:
    """The routes of every form: its state, its "back", its word guard, and the one
    `form:` payload prefix. `on_stop` is what stopping a form says (the feature's words)."""

    def __init__(self, router: Router, *, on_stop: Handler) -> None:
        self._router = router
        self._forms: dict[str, Form] = {}
        self._on_stop = on_stop
        router.payload(PAYLOAD, self._on_payload)

    def add(self, form: Form) -> None:
        """Route the state `form.name` through the mechanism."""
        self._forms[form.name] = form
        self._router.state(
            form.name,
            self._on_text,
            reads_numbers=lambda data: self._reads_numbers(form, data),
            word_guard=WordGuard(
                lambda data, text: self._holds_word(form, data, text), self._on_guarded_word
            ),
        )
        self._router.back(form.name, self._on_back)

    @staticmethod
    def _reads_numbers(form: Form, data: Mapping[str, Any]) -> bool:
        step = _current_step(form, data)
        if step is None or data.get("typed"):  # "stop, or is it your answer?" has buttons
            return False
        return step.reads_numbers or not _offers_buttons(step, data)

    @staticmethod
    def _holds_word(form: Form, data: Mapping[str, Any], text: str) -> bool:
        """A global word ("Huy") typed where a free text is asked, once something is filled:
        ask whether it is the answer before throwing the answers away."""
        if text.strip().startswith("/") or not _is_current(form, data):
            return False
        step = _current_step(form, data)
        return (
            step is not None
            and step.parse is not None
            and not _offers_buttons(step, data)
            and bool(data.get("values"))
        )

    def _form(self, ctx: TurnContext) -> Form | None:
        return self._forms.get(ctx.state or "")

    async def _checked(self, ctx: TurnContext, form: Form) -> dict[str, Any] | None:
        """The form's data, or None after restarting a form whose data is of another version."""
        data = _own_copy(ctx)
        if _is_current(form, data):
            return data
        await start(
            ctx,
            form,
            intro=_(
                "This form has changed since you began it, so it starts again from the "
                "beginning. Sorry for the trouble."
            ),
        )
        return None

    async def _welcomed_back(self, ctx: TurnContext, form: Form, data: dict[str, Any]) -> bool:
        """After a week of silence: offer to go on or to start again (True when offered)."""
        try:
            touched = date.fromisoformat(str(data.get("touched")))
        except ValueError:
            touched = ctx.today
        data["touched"] = ctx.today.isoformat()
        if (ctx.today - touched).days < RESUME_AFTER_DAYS or data.get("at") == RESUME:
            return False
        data["resume_at"], data["at"] = data.get("at"), RESUME
        ctx.goto(form.name, data)
        ctx.reply(
            _(
                "Welcome back! On {day} you began: {title}. Would you like to go on where you "
                "left off, or start again?"
            ).format(day=touched.strftime("%d/%m/%Y"), title=form.title()),
            [
                Button(_("Go on"), f"{PAYLOAD}:{form.name}:resume"),
                Button(_("Start again"), f"{PAYLOAD}:{form.name}:restart"),
                Button(_("Stop"), f"{PAYLOAD}:{form.name}:cancel"),
            ],
        )
        return True

    async def _on_text(self, ctx: TurnContext) -> None:
        form = self._form(ctx)
        if form is None:
            await self._required(self._router.on_text)(ctx)
            return
        data = await self._checked(ctx, form)
        if data is None or await self._welcomed_back(ctx, form, data):
            return
        data["typed"] = None  # typed instead of answering "stop, or is it your answer?"
        await self._answer_text(ctx, form, data, ctx.text)

    async def _answer_text(
        self, ctx: TurnContext, form: Form, data: dict[str, Any], text: str
    ) -> None:
        if data.get("at") == RESUME:  # an answer typed instead of "go on"
            data["at"] = data.pop("resume_at", None)
        step = _current_step(form, data)
        if step is None:  # the summary: its buttons answer
            await self._repeat(ctx, form, data, intro=_("Please choose one of the buttons:"))
            return
        if step.parse is None:
            _ask(ctx, form, data, step, intro=_("Please choose one of the buttons:"))
            return
        parsed = await step.parse(ctx, text, _view(data))
        value = _numbered_value(data, step, text) if parsed.error is not None else None
        if value is not None:  # "1" where an IMEI may be typed: not an IMEI, so button 1
            await self._on_value(ctx, form, data, f"{step.name}:{value}")
            return
        await _apply(ctx, form, data, step, parsed)

    async def _repeat(
        self, ctx: TurnContext, form: Form, data: dict[str, Any], *, intro: str
    ) -> None:
        """Say the current question (or the summary) again."""
        if data.get("at") == RESUME:
            data["at"] = data.pop("resume_at", None)
        step = _current_step(form, data)
        if step is None and data.get("at") != SUMMARY:
            await _advance(ctx, form, data, intro=intro)
        elif step is None:
            ctx.goto(form.name, data)
            _show_summary(ctx, form, data, intro=intro)
        else:
            ctx.goto(form.name, data)
            _ask(ctx, form, data, step, intro=intro)

    async def _on_guarded_word(self, ctx: TurnContext) -> None:
        form = self._form(ctx)
        if form is None:  # pragma: no cover - the guard applies only to a form's state
            return
        data = _own_copy(ctx)
        data["typed"] = ctx.args
        ctx.goto(form.name, data)
        ctx.reply(
            _(
                "Do you want to stop and lose what you have filled in, or is “{text}” your answer?"
            ).format(text=ctx.args),
            [
                Button(
                    _("“{text}” is my answer").format(text=ctx.args[:20]),
                    f"{PAYLOAD}:{form.name}:keep",
                ),
                Button(_("Stop"), f"{PAYLOAD}:{form.name}:cancel"),
            ],
        )

    async def _on_back(self, ctx: TurnContext) -> None:
        form = self._form(ctx)
        if form is None:  # pragma: no cover - registered for forms' states only
            return
        data = await self._checked(ctx, form)
        if data is not None:
            data["typed"] = None
            await self._back(ctx, form, data)

    async def _back(self, ctx: TurnContext, form: Form, data: dict[str, Any]) -> None:
        editing = data.get("editing")
        if isinstance(editing, dict) and "step" in editing:
            data["values"][editing["step"]] = editing.get("old")
            data["editing"] = None
            await _advance(ctx, form, data)
            return
        if data.get("at") == RESUME:
            data["at"] = data.pop("resume_at", None)
        step = _current_step(form, data)
        if data.get("options") and step is not None:  # "which of these?": ask the step again
            data["options"] = []
            ctx.goto(form.name, data)
            _ask(ctx, form, data, step)
            return
        if not data["trail"]:
            if form.on_back_out is not None:
                ctx.finish()
                await form.on_back_out(ctx)
            else:
                await self._on_stop(ctx)
            return
        data["values"].pop(data["trail"].pop(), None)
        await _advance(ctx, form, data)

    async def _on_payload(self, ctx: TurnContext) -> None:
        name, _sep, rest = ctx.args.partition(":")
        form = self._forms.get(name)
        if form is None or ctx.state != form.name or not _is_current(form, ctx.data):
            await self._required(self._router.on_stale_payload)(ctx)
            return
        data = _own_copy(ctx)
        typed, data["typed"] = data.get("typed"), None  # the guard's question is answered
        action, _sep, rest = rest.partition(":")
        if action == "cancel":
            await self._on_stop(ctx)
        elif action == "back":
            await self._back(ctx, form, data)
        elif action == "restart":
            await start(ctx, form, extra=data.get("extra"))
        elif action == "resume":
            await self._repeat(ctx, form, data, intro="")
        elif await self._welcomed_back(ctx, form, data):
            return
        elif action == "keep" and isinstance(typed, str):
            await self._answer_text(ctx, form, data, typed)
        elif action == "v":
            await self._on_value(ctx, form, data, rest)
        elif action == "edit" and data.get("at") == SUMMARY:
            await self._edit(ctx, form, data, rest)
        elif action == "confirm" and data.get("at") == SUMMARY:
            ctx.finish()
            await form.on_complete(ctx, FormResult(dict(data["values"]), dict(data["extra"])))
        else:
            await self._required(self._router.on_stale_payload)(ctx)

    async def _on_value(
        self, ctx: TurnContext, form: Form, data: dict[str, Any], rest: str
    ) -> None:
        step_name, _sep, value = rest.partition(":")
        step = _current_step(form, data)
        view = _view(data)
        offered = {v for _label, v in data.get("options") or []} or {
            v for _label, v in (step.choices(view) if step else ())
        }
        if step is None or step.name != step_name or value not in offered:
            await self._required(self._router.on_stale_payload)(ctx)
            return
        if step.pick is not None:
            await _apply(ctx, form, data, step, await step.pick(ctx, value, view))
        else:
            await _store(ctx, form, data, step, value)

    async def _edit(self, ctx: TurnContext, form: Form, data: dict[str, Any], name: str) -> None:
        step = form.step(name)
        if step is None or step.label is None or name not in data["values"]:
            await self._required(self._router.on_stale_payload)(ctx)
            return
        data["editing"] = {"step": name, "old": data["values"].pop(name)}
        await _advance(ctx, form, data)

    @staticmethod
    def _required(handler: Handler | None) -> Handler:
        if handler is None:
            raise LookupError("Router is missing a default handler")
        return handler

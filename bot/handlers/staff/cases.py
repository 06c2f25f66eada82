"""Registrations as staff work on them in the chat: a list of the member's area (filtered,
searched by typing a name or a phone number, paged), one registration with its history, and
a status change with a note (a reason, for a rejection), confirmed before it is made.

The list's filter lives in the conversation (state `st.list`); its buttons carry only what
to do next. Scope and role are the services' and the router's business, not this module's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.core import forms
from bot.core.context import TurnContext
from bot.core.i18n import _
from bot.core.messages import Button
from bot.handlers.common import on_stale_payload
from bot.handlers.registration import CATEGORIES, HELP, RELATIONS
from bot.handlers.staff.common import (
    CHANGE_PAYLOAD,
    PAYLOAD,
    area_name,
    home_button,
    read_ward,
    require_staff,
    ward_picker,
)
from bot.services.casework import NEEDS_REASON, Case, ChangeOutcome
from bot.services.devices import AFFECTED
from bot.services.phones import show_phone
from bot.services.registrations import Status
from bot.services.scopes import RegistrationFilter
from bot.services.status_messages import status_name

LIST = "st.list"  # the list is on screen: typed text searches it
FILTER_FORM = "st.filter"
CHANGE_FORM = "st.change"
ALL = "all"


# --- the filter kept in the conversation -------------------------------------------------


def current_filter(data: Mapping[str, Any]) -> RegistrationFilter:
    """The filter of the list on screen (kept as JSON in the conversation)."""
    kept = data.get("filter") if isinstance(data.get("filter"), dict) else {}
    assert isinstance(kept, dict)
    return RegistrationFilter(
        ward_code=kept.get("ward"),
        status=kept.get("status"),
        category=kept.get("category"),
        text=kept.get("text"),
    )


def _kept(chosen: RegistrationFilter) -> dict[str, Any]:
    return {
        "ward": chosen.ward_code,
        "status": chosen.status,
        "category": chosen.category,
        "text": chosen.text,
    }


def _describe(ctx: TurnContext, chosen: RegistrationFilter) -> str:
    parts = []
    if chosen.ward_code is not None:
        parts.append(area_name(ctx, None, chosen.ward_code))
    if chosen.status:
        parts.append(status_name(chosen.status))
    if chosen.category and chosen.category in CATEGORIES:
        parts.append(CATEGORIES[chosen.category]())
    if chosen.text:
        parts.append(f"“{chosen.text}”")
    return " · ".join(parts) if parts else _("all")


# --- the list ----------------------------------------------------------------------------


def _day(ctx: TurnContext, moment: datetime) -> str:
    return ctx.services.clock.local_date(moment).strftime("%d/%m/%Y")


async def show_list(
    ctx: TurnContext, chosen: RegistrationFilter, *, pages: list[int | None] | None = None
) -> None:
    """The page of the list the `pages` cursor points at (the first page by default)."""
    staff = require_staff(ctx)
    cursor: list[int | None] = pages or [None]
    page = await ctx.services.casework.page(staff, chosen, before_id=cursor[-1])
    ctx.goto(LIST, {"filter": _kept(chosen), "pages": cursor})
    lines = [
        _("Registrations ({filter}): {total}").format(
            filter=_describe(ctx, chosen), total=page.total
        )
    ]
    buttons = []
    for row in page.cases:
        ward = ctx.services.places.ward(row.ward_code)
        lines.append(
            f"• {row.reference} · {row.head_name} · {show_phone(row.contact_phone)} · "
            f"{row.village}, {ward.name if ward else row.ward_code} · {status_name(row.status)}"
            f" · {_day(ctx, row.created_at)}"
        )
        buttons.append(
            Button(
                _("Open {reference}").format(reference=row.reference),
                f"{PAYLOAD}:open:{row.reference}",
            )
        )
    if not page.cases:
        lines.append(_("No registration matches."))
    lines.append(_("Type a name or a phone number to search."))
    if page.more:
        buttons.append(Button(_("Next page"), f"{PAYLOAD}:next"))
    if len(cursor) > 1:
        buttons.append(Button(_("Previous page"), f"{PAYLOAD}:prev"))
    buttons += [
        Button(_("Filter"), f"{PAYLOAD}:filter"),
        Button(_("Export to Excel"), f"{PAYLOAD}:export"),
        home_button(),
    ]
    ctx.reply("\n".join(lines), buttons)


async def on_list_text(ctx: TurnContext) -> None:
    """Text typed while the list is on screen: search it (a name or a phone number)."""
    chosen = current_filter(ctx.data)
    text = " ".join(ctx.text.split())[:60]
    await show_list(
        ctx,
        RegistrationFilter(
            ward_code=chosen.ward_code,
            status=chosen.status,
            category=chosen.category,
            text=text or None,
        ),
    )


async def turn_page(ctx: TurnContext, forward: bool) -> None:
    """`st:next` / `st:prev` on the list."""
    if ctx.state != LIST:
        await on_stale_payload(ctx)
        return
    pages = [p for p in ctx.data.get("pages") or [None] if p is None or isinstance(p, int)]
    chosen = current_filter(ctx.data)
    if forward:
        staff = require_staff(ctx)
        page = await ctx.services.casework.page(staff, chosen, before_id=pages[-1])
        if not page.more or not page.cases:
            await show_list(ctx, chosen, pages=pages)
            return
        pages = [*pages, page.cases[-1].id]
    elif len(pages) > 1:
        pages = pages[:-1]
    await show_list(ctx, chosen, pages=pages)


# --- one registration --------------------------------------------------------------------

REGISTRANTS = {"self": lambda: _("the household head"),
               "relative": lambda: _("a family member"),
               "official": lambda: _("a commune official")}  # fmt: skip
ACTION_LABELS = {
    Status.VERIFIED.value: lambda: _("Mark as checked"),
    Status.APPROVED.value: lambda: _("Approve support"),
    Status.REJECTED.value: lambda: _("Do not approve"),
    Status.HANDED_OVER.value: lambda: _("Phone handed over"),
}


def _message_state(case: Case) -> str | None:
    if case.citizen_unreachable:
        return _("The citizen has blocked the bot: messages do not reach them.")
    return {
        "pending": _("Message to the citizen: waiting to be sent."),
        "sending": _("Message to the citizen: being sent."),
        "sent": _("Message to the citizen: delivered."),
        "blocked": _("Message to the citizen: refused (they blocked the bot)."),
        "failed": _("Message to the citizen: could not be sent."),
        "unknown": _(
            "Message to the citizen: not known whether it arrived (it is not sent again; see "
            "`bot outbox list`)."
        ),
    }.get(case.last_message or "")


def _labelled(labels: Mapping[str, Any], value: str | None) -> str:
    return labels[value]() if value in labels else (value or "-")


def _case_text(ctx: TurnContext, case: Case) -> str:
    details = case.details
    ward = ctx.services.places.ward(details.ward_code)
    province = ctx.services.places.province(details.province_code)
    device = details.device_name or _("not known")
    if details.device_verdict in {v.value for v in AFFECTED}:
        device = _("{name} (affected by the switch-off)").format(name=device)
    registrant = _labelled(REGISTRANTS, details.registrant)
    if details.relation:
        registrant += f" ({_labelled(RELATIONS, details.relation)})"
    lines = [
        _("Registration {reference}: {status}").format(
            reference=case.reference, status=status_name(case.status)
        ),
        _("Household head: {name}").format(name=details.head_name),
        _("Contact phone: {phone}").format(phone=show_phone(details.contact_phone)),
    ]
    if details.old_phone:
        lines.append(_("Old phone's number: {phone}").format(phone=show_phone(details.old_phone)))
    lines += [
        _("Address: {village}, {ward}, {province}").format(
            village=details.village,
            ward=ward.name if ward else details.ward_code,
            province=province.name if province else details.province_code,
        ),
        _("Household: {category} · Phone in use: {device} · Help wanted: {help}").format(
            category=_labelled(CATEGORIES, details.category),
            device=device,
            help=_labelled(HELP, details.help_wanted),
        ),
        _("Registered by: {who}, on {day}").format(who=registrant, day=_day(ctx, case.created_at)),
        _("History:"),
    ]
    for step in case.history:
        who = (
            _("staff #{id}").format(id=step.by_staff)
            if step.by_staff is not None
            else _("the citizen")
        )
        what = status_name(step.to_status)
        if step.from_status == step.to_status:
            what = _("details corrected")
        note = f" — {step.note}" if step.note and step.by_staff is not None else ""
        lines.append(f"• {_day(ctx, step.at)}: {what} ({who}){note}")
    message = _message_state(case)
    if message:
        lines.append(message)
    return "\n".join(lines)


async def show_case(ctx: TurnContext, reference: str, *, intro: str = "") -> None:
    """One registration of the member's area, with the moves their role allows."""
    staff = require_staff(ctx)
    case = await ctx.services.casework.open(staff, reference)
    if case is None:
        await on_stale_payload(ctx)
        return
    data = dict(ctx.data) if ctx.state == LIST else {"filter": {}, "pages": [None]}
    data["open"] = case.reference
    ctx.goto(LIST, data)
    buttons = []
    if staff.may_change:  # only shown: the change's routes are in a guarded group
        buttons = [
            Button(ACTION_LABELS[to](), f"{CHANGE_PAYLOAD}:to:{to}")
            for to in case.next_statuses
            if to in ACTION_LABELS
        ]
    buttons += [Button(_("Back to the list"), f"{PAYLOAD}:list"), home_button()]
    text = _case_text(ctx, case)
    ctx.reply(f"{intro}\n{text}" if intro else text, buttons)


async def back_to_list(ctx: TurnContext) -> None:
    """`st:list`: the list with the filter it had."""
    if ctx.state != LIST:
        await show_list(ctx, RegistrationFilter())
        return
    pages = [p for p in ctx.data.get("pages") or [None] if p is None or isinstance(p, int)]
    await show_list(ctx, current_filter(ctx.data), pages=pages)


# --- a status change: a form with a note, then a confirmation ----------------------------


async def start_change(ctx: TurnContext) -> None:
    """`stc:to:<status>` under an open registration: ask for the note, then confirm."""
    _action, _sep, to_status = ctx.args.partition(":")
    reference = ctx.data.get("open") if ctx.state == LIST else None
    if not isinstance(reference, str) or to_status not in ACTION_LABELS:
        await on_stale_payload(ctx)
        return
    await forms.start(
        ctx,
        CHANGE_FORM_DEF,
        extra={"reference": reference, "to": to_status, "filter": ctx.data.get("filter") or {}},
    )


def _needs_reason(view: forms.FormView) -> bool:
    return view.extra.get("to") in NEEDS_REASON


def _note_prompt(view: forms.FormView) -> str:
    what = status_name(str(view.extra.get("to")))
    if _needs_reason(view):
        return _(
            "Registration {reference} → {status}. Why? The citizen will read this reason."
        ).format(reference=view.extra.get("reference"), status=what)
    return _(
        "Registration {reference} → {status}. A note for the history (not sent to the "
        "citizen), or press “No note”."
    ).format(reference=view.extra.get("reference"), status=what)


async def _read_note(_ctx: TurnContext, text: str, view: forms.FormView) -> forms.Parsed:
    note = " ".join(text.split())
    if len(note) > 500:
        return forms.Parsed.fail(_("Please keep it under 500 characters:"))
    if not note and _needs_reason(view):
        return forms.Parsed.fail(_("A reason is needed:"))
    return forms.Parsed.ok(note)


def _note_choices(view: forms.FormView) -> list[tuple[str, str]]:
    return [] if _needs_reason(view) else [(_("No note"), "")]


async def _changed(ctx: TurnContext, result: forms.FormResult) -> None:
    staff = require_staff(ctx)
    reference, to_status = str(result.extra.get("reference")), str(result.extra.get("to"))
    kept_filter = result.extra.get("filter") or {}
    ctx.goto(LIST, {"filter": kept_filter, "pages": [None]})
    change = await ctx.services.casework.change_status(
        staff, reference, to_status, note=str(result.values.get("note") or "")
    )
    if change.outcome is ChangeOutcome.CHANGED:
        intro = _("Done: {reference} is now “{status}”. The citizen will be told.").format(
            reference=reference, status=status_name(to_status)
        )
    elif change.outcome is ChangeOutcome.NOT_FOUND:
        await on_stale_payload(ctx)
        return
    else:  # changed meanwhile by someone else, or no longer allowed
        intro = _("This change can no longer be made: the registration is now “{status}”.").format(
            status=status_name(change.case.status if change.case else "")
        )
    await show_case(ctx, reference, intro=intro)


CHANGE_FORM_DEF = forms.Form(
    name=CHANGE_FORM,
    version=1,
    title=lambda: _("a status change"),
    steps=(
        forms.Step(
            name="note",
            prompt=_note_prompt,
            choices=_note_choices,
            parse=_read_note,
            label=lambda: _("Note"),
            show=lambda value: str(value) if value else "-",
        ),
    ),
    on_complete=_changed,
    summary=True,
    confirm_label=lambda: _("Confirm"),
)


# --- the filter form ---------------------------------------------------------------------


def _status_choices(_view: forms.FormView) -> list[tuple[str, str]]:
    return [(status_name(s.value), s.value) for s in Status] + [(_("All statuses"), ALL)]


def _category_choices(_view: forms.FormView) -> list[tuple[str, str]]:
    return [(label(), value) for value, label in CATEGORIES.items()] + [(_("All categories"), ALL)]


def _unless_all(value: str | None) -> str | None:
    return None if value in (ALL, None) else value


async def _filtered(ctx: TurnContext, result: forms.FormResult) -> None:
    await show_list(
        ctx,
        RegistrationFilter(
            ward_code=result.values.get("ward"),
            status=_unless_all(result.values.get("status")),
            category=_unless_all(result.values.get("category")),
        ),
    )


FILTER_FORM_DEF = forms.Form(
    name=FILTER_FORM,
    version=1,
    title=lambda: _("the list filter"),
    steps=(
        forms.Step(
            name="status",
            prompt=lambda _v: _("Which status?"),
            choices=_status_choices,
        ),
        forms.Step(
            name="ward",
            prompt=lambda _v: _("Which commune or ward? Type its name, or press “All communes”."),
            choices=lambda _v: [(_("All communes"), ALL)],
            parse=read_ward,
            pick=ward_picker(ALL),
            when=lambda values: not values.get("_ward_scoped"),
        ),
        forms.Step(
            name="category",
            prompt=lambda _v: _("Which household category?"),
            choices=_category_choices,
        ),
    ),
    on_complete=_filtered,
)


async def start_filter(ctx: TurnContext) -> None:
    """`st:filter`: choose the status, the commune (unless the member has one) and the
    category of the list."""
    staff = require_staff(ctx)
    known = {"_ward_scoped": True} if staff.ward_code is not None else {}
    await forms.start(ctx, FILTER_FORM_DEF, values=known)

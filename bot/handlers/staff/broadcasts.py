"""Announcements from the chat (`/thongbao`): the list of the area's broadcasts with their
progress, composing one (Vietnamese text, optional English, audience, time), a preview as
recipients will see it with the audience's size, confirmation, and cancelling. Its routes
are in the router's group of staff who change things (not viewers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import forms
from bot.core.context import TurnContext
from bot.core.i18n import _
from bot.core.messages import Button
from bot.handlers.common import on_stale_payload
from bot.handlers.staff.common import (
    CHANGE_PAYLOAD,
    area_name,
    home_button,
    read_ward,
    require_staff,
    ward_picker,
)
from bot.services.broadcasts import (
    TEXT_MAX,
    Audience,
    BroadcastRefused,
    Refused,
    Report,
    broadcast_reply,
    may_cancel,
    read_send_time,
)
from bot.services.registrations import Status
from bot.services.status_messages import status_name

COMPOSE_FORM = "st.bc"
CONFIRM = "st.bc.confirm"  # the preview is on screen: "send", "change" or "drop"
ALL = "all"
NOW = "now"


def _when(ctx: TurnContext, moment: datetime) -> str:
    return ctx.services.clock.local_moment(moment).strftime("%d/%m/%Y %H:%M")


def _show_when(value: Any) -> str:
    """The send time on the summary: "now", or the local time it was read as."""
    return str(value["shown"]) if isinstance(value, dict) else _("now")


def _send_at(value: Any) -> datetime | None:
    """The send time the form keeps (UTC); None for "now"."""
    return datetime.fromisoformat(str(value["at"])) if isinstance(value, dict) else None


def _excerpt(text: str, limit: int = 40) -> str:
    """The start of a text, cut between words."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0] + "…"


def _state_name(state: str) -> str:
    return {
        "scheduled": _("scheduled"),
        "sending": _("being sent"),
        "done": _("sent"),
        "cancelled": _("cancelled"),
    }.get(state, state)


def _progress(ctx: TurnContext, report: Report) -> str:
    row, counts = report.broadcast, report.outcomes
    what = (
        _("reminder ({days} days before)").format(days=row.offset_days)
        if row.kind == "reminder"
        else _excerpt(row.text_vi or "")
    )
    line = _("No. {id} · {what} · {state} · {when}").format(
        id=row.id, what=what, state=_state_name(row.status), when=_when(ctx, row.send_at)
    )
    if row.status in ("sending", "done", "cancelled") and (report.recipients or counts):
        line += "\n   " + _(
            "{done}/{total} finished: {sent} delivered, {failed} failed, {blocked} blocked, "
            "{unknown} unknown, {skipped} not reachable"
        ).format(
            done=report.done,
            total=report.recipients,
            sent=counts.get("sent", 0),
            failed=counts.get("failed", 0),
            blocked=counts.get("blocked", 0),
            unknown=counts.get("unknown", 0),
            skipped=report.skipped,
        )
    return line


async def show_broadcasts(ctx: TurnContext) -> None:
    """`/thongbao`: the area's broadcasts (and reminders), newest first, with progress."""
    staff = require_staff(ctx)
    ctx.finish()
    reports = await ctx.services.broadcasts.listed(staff, limit=8)
    lines = [_("Announcements and reminders:")]
    lines += [f"• {_progress(ctx, report)}" for report in reports] or [_("None yet.")]
    buttons = [Button(_("New announcement"), f"{CHANGE_PAYLOAD}:bc:new")]
    buttons += [
        Button(
            _("Cancel no. {id}").format(id=r.broadcast.id),
            f"{CHANGE_PAYLOAD}:bc:cancel:{r.broadcast.id}",
        )
        for r in reports
        if may_cancel(staff, r.broadcast)
    ]
    ctx.reply("\n".join(lines), [*buttons, home_button()])


# --- composing ---------------------------------------------------------------------------


async def _read_text(_ctx: TurnContext, text: str, _view: forms.FormView) -> forms.Parsed:
    text = text.strip()
    if len(text) < 5:
        return forms.Parsed.fail(_("Please type the announcement (a few words at least):"))
    if len(text) > TEXT_MAX:
        return forms.Parsed.fail(
            _("This is longer than {limit} characters. Please shorten it:").format(limit=TEXT_MAX)
        )
    return forms.Parsed.ok(text)


async def _read_english(ctx: TurnContext, text: str, view: forms.FormView) -> forms.Parsed:
    return await _read_text(ctx, text, view)


async def _read_time(ctx: TurnContext, text: str, _view: forms.FormView) -> forms.Parsed:
    clock = ctx.services.clock
    moment = read_send_time(text, ZoneInfo(clock.timezone), clock.now())
    if moment is None:
        return forms.Parsed.fail(
            _("I could not read this date. Please type it like 25/12 08:00, or press “Now”:")
        )
    if moment < clock.now():
        return forms.Parsed.fail(
            _("This time has passed. Please type a later one, or press “Now”:")
        )
    shown = clock.local_moment(moment).strftime("%d/%m/%Y %H:%M")
    return forms.Parsed.ok({"at": moment.isoformat(), "shown": shown})


async def _read_commune(ctx: TurnContext, text: str, view: forms.FormView) -> forms.Parsed:
    return _named(ctx, await read_ward(ctx, text, view))


async def _pick_commune(ctx: TurnContext, value: str, view: forms.FormView) -> forms.Parsed:
    return _named(ctx, await ward_picker(ALL)(ctx, value, view))


def _named(ctx: TurnContext, parsed: forms.Parsed) -> forms.Parsed:
    """A commune's code as the form keeps it: with its name, for the summary."""
    if parsed.error is not None or parsed.options or parsed.value is None:
        return parsed
    ward = ctx.services.places.ward(int(parsed.value))
    return forms.Parsed.ok({"code": parsed.value, "name": ward.name if ward else ""})


CHOICE_LABELS = {
    ALL: lambda: _("everyone"),
    "affected": lambda: _("phone affected"),
    "telegram": lambda: "Telegram",
    "zalo": lambda: "Zalo",
}


def _show_choice(value: Any) -> str:
    if value in CHOICE_LABELS:
        return CHOICE_LABELS[value]()
    return status_name(str(value))


def _ward_scoped(values: dict[str, Any]) -> bool:
    return bool(values.get("_ward_scoped"))


def _status_choices(_view: forms.FormView) -> list[tuple[str, str]]:
    return [(_("Everyone"), ALL)] + [
        (_("With a registration: {status}").format(status=status_name(s.value)), s.value)
        for s in (Status.SUBMITTED, Status.VERIFIED, Status.APPROVED)
    ]


def _audience(values: dict[str, Any], staff_ward: int | None) -> Audience:
    def chosen(name: str) -> Any:
        value = values.get(name)
        return None if value in (ALL, None, "") else value

    ward = values.get("ward")
    return Audience(
        ward=staff_ward if staff_ward is not None else (ward or {}).get("code"),
        verdict=chosen("verdict"),
        status=chosen("status"),
        channel=chosen("channel"),
    )


async def _composed(ctx: TurnContext, result: forms.FormResult) -> None:
    """The form is filled: show the message as recipients will see it, who gets it and
    when, and ask to confirm."""
    staff = require_staff(ctx)
    values = dict(result.values)
    audience = _audience(values, staff.ward_code)
    try:
        recipients, skipped = await ctx.services.broadcasts.audience_size(staff, audience)
    except BroadcastRefused:
        ctx.reply(_("That commune is outside your area."), [home_button()])
        return
    send_at = _send_at(values.get("when"))
    preview = broadcast_reply(values["text_vi"], "vi")
    buttons = " · ".join(button.label for button in preview.buttons)
    ctx.reply(_("Preview, as people will receive it:"))
    ctx.reply(f"{preview.text}\n[{buttons}]")
    ctx.goto(CONFIRM, {"values": values})
    who = _("To: {recipients} people ({area}).").format(
        recipients=recipients,
        area=area_name(ctx, audience.province or staff.province_code, audience.ward),
    )
    if skipped:
        who += " " + _("{skipped} more cannot be reached on their chat app.").format(
            skipped=skipped
        )
    ctx.reply(
        who
        + "\n"
        + _("When: {when}.\nShall I send it?").format(
            when=_when(ctx, send_at) if send_at else _("now")
        ),
        [
            Button(_("Send") if send_at is None else _("Schedule"), f"{CHANGE_PAYLOAD}:bc:send"),
            Button(_("Change"), f"{CHANGE_PAYLOAD}:bc:edit"),
            Button(_("Drop it"), f"{CHANGE_PAYLOAD}:bc:drop"),
        ],
    )


COMPOSE_FORM_DEF = forms.Form(
    name=COMPOSE_FORM,
    version=1,
    title=lambda: _("an announcement"),
    steps=(
        forms.Step(
            name="text_vi",
            prompt=lambda _v: _("Type the announcement in Vietnamese (at most 2,000 characters):"),
            parse=_read_text,
            label=lambda: _("Text"),
        ),
        forms.Step(
            name="text_en",
            prompt=lambda _v: _(
                "The same in English, for people who chose English (or press “No English”):"
            ),
            choices=lambda _v: [(_("No English"), "")],
            parse=_read_english,
            label=lambda: _("English text"),
            show=lambda value: str(value) if value else "-",
        ),
        forms.Step(
            name="ward",
            prompt=lambda _v: _("For which commune? Type its name, or press “My whole area”."),
            choices=lambda _v: [(_("My whole area"), ALL)],
            parse=_read_commune,
            pick=_pick_commune,
            when=lambda values: not _ward_scoped(values),
            label=lambda: _("Commune"),
            show=lambda value: str(value["name"]) if value else _("my whole area"),
        ),
        forms.Step(
            name="verdict",
            prompt=lambda _v: _("To everyone, or only to people whose phone is affected?"),
            choices=lambda _v: [(_("Everyone"), ALL), (_("Phone affected"), "affected")],
            label=lambda: _("Phones"),
            show=_show_choice,
        ),
        forms.Step(
            name="status",
            prompt=lambda _v: _("To everyone, or only to people with a registration in a status?"),
            choices=_status_choices,
            label=lambda: _("Registrations"),
            show=_show_choice,
        ),
        forms.Step(
            name="channel",
            prompt=lambda _v: _("On which chat app?"),
            choices=lambda _v: [(_("All"), ALL), ("Telegram", "telegram"), ("Zalo", "zalo")],
            label=lambda: _("Chat app"),
            show=lambda value: _("all chat apps") if value == ALL else _show_choice(value),
        ),
        forms.Step(
            name="when",
            prompt=lambda _v: _(
                "When? Press “Now”, or type a date and time (for example 25/12 08:00):"
            ),
            choices=lambda _v: [(_("Now"), NOW)],
            parse=_read_time,
            reads_numbers=True,
            label=lambda: _("When"),
            show=_show_when,
        ),
    ),
    on_complete=_composed,
    summary=True,
    confirm_label=lambda: _("Preview"),
)


async def start_compose(ctx: TurnContext, values: dict[str, Any] | None = None) -> None:
    """A new announcement (or the one on the preview, to change it)."""
    staff = require_staff(ctx)
    known = dict(values or {})
    if staff.ward_code is not None:
        known["_ward_scoped"] = True
    await forms.start(ctx, COMPOSE_FORM_DEF, values=known)


async def _send(ctx: TurnContext) -> None:
    staff = require_staff(ctx)
    values = ctx.data.get("values") if ctx.state == CONFIRM else None
    if not isinstance(values, dict):
        await on_stale_payload(ctx)
        return
    ctx.finish()
    clock = ctx.services.clock
    try:
        row = await ctx.services.broadcasts.create(
            staff,
            text_vi=str(values["text_vi"]),
            text_en=str(values.get("text_en") or "") or None,
            audience=_audience(values, staff.ward_code),
            send_at=_send_at(values.get("when")) or clock.now(),
            author_user_id=ctx.user.id,
        )
    except BroadcastRefused as refused:
        text = (
            _("That commune is outside your area.")
            if refused.reason is Refused.OUTSIDE_AREA
            else _("The time has passed. Please compose it again.")
        )
        ctx.reply(text, [home_button()])
        return
    ctx.reply(
        _(
            "Announcement no. {id} is scheduled for {when}. I will tell you when it has been sent."
        ).format(id=row.id, when=_when(ctx, row.send_at)),
        [Button(_("Announcements"), f"{CHANGE_PAYLOAD}:bc:list"), home_button()],
    )


async def _cancel(ctx: TurnContext, argument: str) -> None:
    staff = require_staff(ctx)
    if not argument.isdigit():
        await on_stale_payload(ctx)
        return
    try:
        report = await ctx.services.broadcasts.cancel(staff, int(argument))
    except BroadcastRefused:
        await on_stale_payload(ctx)
        return
    ctx.reply(
        _("Announcement no. {id} is cancelled; nothing more of it will be sent.").format(
            id=report.broadcast.id
        )
        + "\n"
        + _progress(ctx, report),
        [Button(_("Announcements"), f"{CHANGE_PAYLOAD}:bc:list"), home_button()],
    )


async def on_button(ctx: TurnContext, action: str) -> None:
    """`stc:bc:<new|send|edit|drop|list|cancel:ID>`."""
    verb, _sep, argument = action.partition(":")
    if verb == "new":
        await start_compose(ctx)
    elif verb == "list":
        await show_broadcasts(ctx)
    elif verb == "send":
        await _send(ctx)
    elif verb == "edit" and ctx.state == CONFIRM and isinstance(ctx.data.get("values"), dict):
        await start_compose(ctx, ctx.data["values"])
    elif verb == "drop" and ctx.state == CONFIRM:
        ctx.finish()
        ctx.reply(_("All right, nothing has been sent."), [home_button()])
    elif verb == "cancel":
        await _cancel(ctx, argument)
    else:
        await on_stale_payload(ctx)


async def on_confirm_text(ctx: TurnContext) -> None:
    """Text typed instead of a button under the preview: ask again."""
    ctx.reply(
        _("Please choose: send, change or drop it."),
        [
            Button(_("Send"), f"{CHANGE_PAYLOAD}:bc:send"),
            Button(_("Change"), f"{CHANGE_PAYLOAD}:bc:edit"),
            Button(_("Drop it"), f"{CHANGE_PAYLOAD}:bc:drop"),
        ],
    )

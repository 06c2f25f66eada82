"""The citizen's own data: "Hồ sơ của tôi" (registrations: see, correct, withdraw),
"Dữ liệu của tôi" (everything stored) and "Xóa dữ liệu của tôi" (erase, after a yes)."""

from __future__ import annotations

from datetime import datetime

from bot.core.context import TurnContext
from bot.core.i18n import _
from bot.core.messages import Button
from bot.core.router import Router
from bot.handlers.buttons import menu_button, my_registrations_button, register_button
from bot.handlers.common import LANGUAGE_NAMES, on_stale_payload
from bot.handlers.registration import FORM, locked_message, start_correction
from bot.services.phones import show_phone
from bot.services.registrations import Outcome, RegistrationView
from bot.services.status_messages import status_name

PAYLOAD = "mine"
WITHDRAW = "mine.withdraw"  # waiting for "yes, withdraw"
ERASE = "mine.erase"  # waiting for "yes, erase everything"
LISTED = 10  # registrations listed at once (a commune official may have many)


def _day(ctx: TurnContext, moment: datetime) -> str:
    return ctx.services.clock.local_date(moment).strftime("%d/%m/%Y")


def _place(ctx: TurnContext, view: RegistrationView) -> str:
    ward = ctx.services.places.ward(view.details.ward_code)
    return ward.name if ward else ""


async def show_registrations(ctx: TurnContext) -> None:
    """`/hoso`, "hồ sơ của tôi": every registration this user made, newest first."""
    ctx.finish()
    views = await ctx.services.registrations.mine(ctx.user.id)
    if not views:
        ctx.reply(_("You have not registered a household yet."), [register_button(), menu_button()])
        return
    lines = [_("Your registrations:")]
    buttons = []
    for view in views[:LISTED]:
        lines.append(
            _("• {reference} ({day}): {name}, {place}. Status: {status}.").format(
                reference=view.reference,
                day=_day(ctx, view.created_at),
                name=view.details.head_name,
                place=_place(ctx, view),
                status=status_name(view.status),
            )
        )
        buttons.append(
            Button(
                _("Open {reference}").format(reference=view.reference),
                f"{PAYLOAD}:open:{view.reference}",
            )
        )
    if len(views) > LISTED:
        lines.append(_("…and {count} older ones.").format(count=len(views) - LISTED))
    ctx.reply("\n".join(lines), [*buttons, register_button(), menu_button()])


async def _open(ctx: TurnContext, reference: str) -> None:
    view = await ctx.services.registrations.get_mine(ctx.user.id, reference)
    if view is None:
        await on_stale_payload(ctx)
        return
    details = view.details
    lines = [
        _("Registration {reference}").format(reference=view.reference),
        _("Household head: {name}").format(name=details.head_name),
        _("Contact phone: {phone}").format(phone=show_phone(details.contact_phone)),
        _("Address: {village}, {place}").format(village=details.village, place=_place(ctx, view)),
        _("Status: {status}").format(status=status_name(view.status)),
        _("History:"),
    ]
    for step in view.history:
        what = status_name(step.to_status)
        if step.from_status == step.to_status:
            what = _("details corrected")
        lines.append(f"• {_day(ctx, step.at)}: {what}")
    buttons = []
    if view.correctable:
        buttons.append(Button(_("Correct it"), f"{PAYLOAD}:edit:{view.reference}"))
    else:
        lines.append(_("It has been checked by the commune: to change it, please ask the commune."))
    if view.withdrawable:
        buttons.append(Button(_("Withdraw it"), f"{PAYLOAD}:withdraw:{view.reference}"))
    ctx.reply("\n".join(lines), [*buttons, my_registrations_button(), menu_button()])


async def _edit(ctx: TurnContext, reference: str) -> None:
    view = await ctx.services.registrations.get_mine(ctx.user.id, reference)
    if view is None:
        await on_stale_payload(ctx)
    elif not view.correctable:
        ctx.reply(locked_message(reference), [my_registrations_button(), menu_button()])
    else:
        await start_correction(ctx, view)


def _ask_withdraw(ctx: TurnContext, reference: str) -> None:
    ctx.goto(WITHDRAW, {"reference": reference})
    ctx.reply(
        _(
            "Withdraw registration {reference}? The commune will no longer consider the household "
            "for support from it."
        ).format(reference=reference),
        [
            Button(_("Yes, withdraw it"), f"{PAYLOAD}:withdraw_yes"),
            Button(_("No, keep it"), f"{PAYLOAD}:no"),
        ],
    )


async def _withdraw(ctx: TurnContext) -> None:
    reference = ctx.data.get("reference")
    ctx.finish()
    if not isinstance(reference, str):
        await on_stale_payload(ctx)
        return
    submission = await ctx.services.registrations.withdraw(user_id=ctx.user.id, reference=reference)
    if submission.outcome is Outcome.UPDATED:
        text = _("Registration {reference} has been withdrawn.")
    elif submission.outcome is Outcome.LOCKED:
        text = _(
            "Registration {reference} can no longer be withdrawn here. Please ask the commune."
        )
    else:
        await on_stale_payload(ctx)
        return
    ctx.reply(text.format(reference=reference), [my_registrations_button(), menu_button()])


ON_BEHALF = {"self": lambda: _("for your own household"),
             "relative": lambda: _("for a family member"),
             "official": lambda: _("as a commune official")}  # fmt: skip


def _on_behalf(kind: str) -> str:
    return ON_BEHALF[kind]() if kind in ON_BEHALF else kind


async def show_data(ctx: TurnContext) -> None:
    """`/dulieu`, "dữ liệu của tôi": everything the bot stores about this user."""
    stored = await ctx.services.personal_data.show(ctx.user.id, form_in_progress=ctx.state == FORM)
    registrations = await ctx.services.registrations.mine(ctx.user.id)
    counts = stored.counts
    lines = [
        _("This is everything I store about you:"),
        _("• your {channel} account and the name it shows: {name};").format(
            channel=stored.channel.capitalize(), name=stored.display_name or _("none")
        ),
        _("• your language: {language};").format(
            language=LANGUAGE_NAMES.get(stored.locale, stored.locale)
        ),
    ]
    if stored.has_address:
        lines.append(_("• the address to write to you later (your chat's number);"))
    if stored.form_in_progress:
        lines.append(_("• the answers of the registration you are filling in;"))
    lines.append(_("• registrations you made: {count}").format(count=counts.registrations))
    lines += [
        f"   – {view.reference}: {view.details.head_name}, {show_phone(view.details.contact_phone)}"
        for view in registrations[:LISTED]
    ]
    lines.append(_("• consents you gave: {count}").format(count=counts.consents))
    lines += [f"   – {_day(ctx, c.at)}: " + _on_behalf(c.on_behalf) for c in stored.consents]
    lines.append(
        _("• phones you checked: {count} (of an IMEI, only its first 8 digits)").format(
            count=counts.device_checks
        )
    )
    by_questions = _("checked by the questions")
    lines += [
        f"   – {_day(ctx, check.at)}: {check.name or by_questions}" for check in stored.checks
    ]
    subscription = await ctx.services.subscriptions.current(ctx.user.id)
    if subscription is not None:
        area = ctx.services.places.area_name(subscription.province_code, subscription.ward_code)
        lines.append(
            _("• you get reminders and announcements for: {area};").format(
                area=area or _("the whole country")
            )
        )
    else:
        lines.append(_("• reminders and announcements: you do not get them;"))
    lines += [
        _("• messages kept for a few days so that none is lost: {count}.").format(
            count=counts.messages_in + counts.messages_out
        ),
        _("It is used only to help with the change of phones. “Erase my data” erases it all."),
    ]
    ctx.reply(
        "\n".join(lines),
        [my_registrations_button(), Button(_("Erase my data"), f"{PAYLOAD}:erase"), menu_button()],
    )


async def ask_erase(ctx: TurnContext) -> None:
    """`/xoadulieu`, "xóa dữ liệu của tôi": say what goes, and ask for a yes."""
    ctx.goto(ERASE, {})
    ctx.reply(
        _(
            "Erase everything I store about you? Your registrations (also those made for "
            "a relative) are withdrawn and erased, with your phone checks and what you "
            "typed. This cannot be undone."
        ),
        [
            Button(_("Yes, erase everything"), f"{PAYLOAD}:erase_yes"),
            Button(_("No, keep it"), f"{PAYLOAD}:no"),
        ],
    )


async def _erase(ctx: TurnContext) -> None:
    ctx.finish()
    counts = await ctx.services.personal_data.erase(ctx.user.id)
    ctx.reply(
        _(
            "Done: everything about you has been erased ({registrations} registrations, "
            "{checks} phone checks). Only a note that an erasure took place is kept, "
            "without any of your data. If you write again, I will start afresh."
        ).format(registrations=counts.registrations, checks=counts.device_checks)
    )


async def on_button(ctx: TurnContext) -> None:
    """mine:open|edit|withdraw:REF, mine:withdraw_yes, mine:data, mine:erase, mine:erase_yes,
    mine:no."""
    action, _sep, reference = ctx.args.partition(":")
    if action == "open":
        await _open(ctx, reference)
    elif action == "edit":
        await _edit(ctx, reference)
    elif action == "withdraw":
        _ask_withdraw(ctx, reference)
    elif action == "withdraw_yes" and ctx.state == WITHDRAW:
        await _withdraw(ctx)
    elif action == "data":
        await show_data(ctx)
    elif action == "erase":
        await ask_erase(ctx)
    elif action == "erase_yes" and ctx.state == ERASE:
        await _erase(ctx)
    elif action == "no" and ctx.state in (WITHDRAW, ERASE):
        ctx.finish()
        ctx.reply(
            _("All right, nothing has been changed."), [my_registrations_button(), menu_button()]
        )
    else:
        await on_stale_payload(ctx)


async def _on_confirm_text(ctx: TurnContext) -> None:
    """Text typed instead of answering "withdraw?" / "erase?": nothing is done; ask again."""
    if ctx.state == ERASE:
        await ask_erase(ctx)
    elif isinstance(ctx.data.get("reference"), str):
        _ask_withdraw(ctx, ctx.data["reference"])
    else:
        await on_stale_payload(ctx)


def register(router: Router) -> None:
    """Add this module's routes."""
    router.command("hoso", show_registrations)
    router.command("dulieu", show_data)
    router.command("xoadulieu", ask_erase)
    for word in ("hồ sơ của tôi", "hồ sơ", "hồ sơ đăng ký"):
        router.word(word, show_registrations)
    for word in ("dữ liệu của tôi", "thông tin của tôi"):
        router.word(word, show_data)
    for word in ("xóa dữ liệu của tôi", "xóa dữ liệu", "xóa thông tin của tôi"):
        router.word(word, ask_erase)
    router.payload(PAYLOAD, on_button)
    router.state(WITHDRAW, _on_confirm_text)
    router.state(ERASE, _on_confirm_text)

"""The staff home (`/canbo`), joining with an invitation code (`/staff CODE`), linking
another chat account to the same person (`/lienket`), and inviting staff (`/moicanbo`,
admins: its routes are in the router's admin group)."""

from __future__ import annotations

from bot.core import forms
from bot.core.access import Group, Role
from bot.core.context import TurnContext
from bot.core.i18n import _
from bot.core.messages import Button
from bot.handlers.buttons import menu_button
from bot.handlers.common import on_unknown_command
from bot.handlers.staff.cases import show_list
from bot.handlers.staff.common import (
    ADMIN_PAYLOAD,
    CHANGE_PAYLOAD,
    PAYLOAD,
    area_name,
    home_button,
    read_ward,
    require_staff,
    role_name,
    staff_area,
    ward_picker,
)
from bot.services.registrations import Status
from bot.services.scopes import RegistrationFilter
from bot.services.staff import StaffError
from bot.services.status_messages import status_name

INVITE_FORM = "st.invite"


async def show_home(ctx: TurnContext) -> None:
    """`/canbo`: who I am, what waits in my area, and what I can do."""
    staff = require_staff(ctx)
    ctx.finish()
    counts = await ctx.services.casework.counts_by_status(staff)
    lines = [
        _("Staff work — {role}, area: {area}.").format(
            role=role_name(staff.role), area=staff_area(ctx, staff)
        ),
        _("Registrations in your area:"),
        *(f"• {status_name(status)}: {count}" for status, count in counts.items()),
    ]
    buttons = [
        Button(_("Waiting to be checked"), f"{PAYLOAD}:list:{Status.SUBMITTED.value}"),
        Button(_("All registrations"), f"{PAYLOAD}:list:all"),
        Button(_("Filter"), f"{PAYLOAD}:filter"),
        Button(_("Export to Excel"), f"{PAYLOAD}:export"),
    ]
    if staff.may_change:  # only shown: the announcements' routes are guarded
        buttons.append(Button(_("Announcements"), f"{CHANGE_PAYLOAD}:bc:list"))
    if Group.ADMIN in staff.groups:  # only shown: the invitation's routes are guarded
        buttons.append(Button(_("Invite staff"), f"{ADMIN_PAYLOAD}:invite"))
    buttons += [
        Button(_("Web console"), f"{PAYLOAD}:web"),
        Button(_("Use another chat account"), f"{PAYLOAD}:link"),
        menu_button(),
    ]
    ctx.reply("\n".join(lines), buttons)


async def show_status_list(ctx: TurnContext, status: str) -> None:
    """`st:list:<status>` from the home: the list with that status (or all)."""
    valid = {s.value for s in Status}
    await show_list(ctx, RegistrationFilter(status=status if status in valid else None))


async def join(ctx: TurnContext) -> None:
    """`/staff CODE`: become the staff member the code was made for. A wrong, used or
    expired code gets exactly what an unknown command gets: nothing is revealed."""
    joined = await ctx.services.staff.join(user_id=ctx.user.id, code=ctx.args)
    if joined is None:
        ctx.args = "staff"
        await on_unknown_command(ctx)
        return
    ctx.finish()
    ctx.reply(
        _(
            "Welcome! This account now works as staff: {role}, area: {area}. Registrations "
            "you see are personal data: use them only for the support programme."
        ).format(
            role=role_name(joined.role), area=area_name(ctx, joined.province_code, joined.ward_code)
        ),
        [home_button(), menu_button()],
    )


async def link_account(ctx: TurnContext) -> None:
    """`/lienket`: a short-lived code that adds another chat account to this member."""
    staff = require_staff(ctx)
    invitation = await ctx.services.staff.link_code(staff)
    ctx.reply(
        _(
            "From your other account (Zalo, Telegram), send: /staff {code}\nThe code works once, "
            "within 30 minutes. Do not give it to anyone."
        ).format(code=invitation.code),
        [home_button()],
    )


async def console_link(ctx: TurnContext) -> None:
    """`/dangnhap`: a one-time link that signs this member in to the web console."""
    staff = require_staff(ctx)
    minutes = ctx.services.login_link_minutes
    link = await ctx.services.web_access.login_link(staff, minutes=minutes, actor=staff.actor)
    ctx.reply(
        _(
            "Open this link to sign in to the web console (it works once, within {minutes} "
            "minutes; do not give it to anyone):\n{url}"
        ).format(minutes=minutes, url=f"{ctx.services.console_url}/console/login/{link.token}"),
        [home_button()],
    )


# --- inviting a member (admins) ----------------------------------------------------------


def _role_choices(_view: forms.FormView) -> list[tuple[str, str]]:
    return [(role_name(role), role.value) for role in (Role.OFFICER, Role.VIEWER, Role.ADMIN)]


async def _invited(ctx: TurnContext, result: forms.FormResult) -> None:
    staff = require_staff(ctx)
    province_code = staff.province_code or ctx.services.default_province_code
    role = Role(str(result.values["role"]))
    try:
        invitation = await ctx.services.staff.invite(
            role=role,
            province_code=province_code,
            ward_code=result.values.get("ward"),
            actor=staff.actor,
        )
    except StaffError:
        ctx.reply(_("That commune is outside your area."), [home_button()])
        return
    until = ctx.services.clock.local_moment(invitation.expires_at).strftime("%d/%m/%Y %H:%M")
    ctx.reply(
        _(
            "Invitation for a {role}, area: {area}. The person sends this to the bot: "
            "/staff {code}\nIt works once, until {until}. Give it only to that person."
        ).format(
            role=role_name(role),
            area=area_name(ctx, province_code, result.values.get("ward")),
            code=invitation.code,
            until=until,
        ),
        [home_button()],
    )


INVITE_FORM_DEF = forms.Form(
    name=INVITE_FORM,
    version=1,
    title=lambda: _("an invitation"),
    steps=(
        forms.Step(name="role", prompt=lambda _v: _("Which role?"), choices=_role_choices),
        forms.Step(
            name="ward",
            prompt=lambda _v: _(
                "Which commune or ward will they work in? Type its name, or press “The whole "
                "province”."
            ),
            choices=lambda _v: [(_("The whole province"), "province")],
            parse=read_ward,
            pick=ward_picker("province"),
        ),
    ),
    on_complete=_invited,
)


async def start_invite(ctx: TurnContext) -> None:
    """`/moicanbo`, `st:invite`: choose the role and the area, then get the code."""
    await forms.start(ctx, INVITE_FORM_DEF)

"""The staff side of the chat: the home, the registrations of the member's area, status
changes, exports and invitations. Every route here is registered in a guarded group of the
router (any staff, those who change registrations, admins), so a citizen, or a viewer for a
change, gets exactly what an unknown command or an old button gets."""

from __future__ import annotations

from bot.core.access import Group
from bot.core.context import TurnContext
from bot.core.forms import FormRoutes
from bot.core.router import Router
from bot.handlers.common import on_stale_payload
from bot.handlers.staff import broadcasts, cases, exports, home
from bot.handlers.staff.common import ADMIN_PAYLOAD, CHANGE_PAYLOAD, PAYLOAD


async def on_staff_button(ctx: TurnContext) -> None:
    """`st:…`: what any staff member may press."""
    action, _sep, argument = ctx.args.partition(":")
    if action == "list" and argument:
        await home.show_status_list(ctx, argument)
    elif action == "list":
        await cases.back_to_list(ctx)
    elif action == "open":
        await cases.show_case(ctx, argument)
    elif action in ("next", "prev"):
        await cases.turn_page(ctx, forward=action == "next")
    elif action == "home":
        await home.show_home(ctx)
    elif action == "filter":
        await cases.start_filter(ctx)
    elif action == "export":
        await exports.export_from_chat(ctx)
    elif action == "link":
        await home.link_account(ctx)
    elif action == "web":
        await home.console_link(ctx)
    else:
        await on_stale_payload(ctx)


async def on_change_button(ctx: TurnContext) -> None:
    """`stc:…`: what staff who change things may press (status changes, announcements)."""
    kind, _sep, rest = ctx.args.partition(":")
    if kind == "to":
        await cases.start_change(ctx)
    elif kind == "bc":
        await broadcasts.on_button(ctx, rest)
    else:
        await on_stale_payload(ctx)


async def on_admin_button(ctx: TurnContext) -> None:
    """`sta:invite`: what only admins may press."""
    if ctx.args == "invite":
        await home.start_invite(ctx)
    else:
        await on_stale_payload(ctx)


def register(router: Router, form_routes: FormRoutes) -> None:
    """Add the staff routes, each in its guarded group."""
    router.command("staff", home.join)  # open to all: a wrong code answers as unknown
    staff = router.guarded(Group.STAFF)
    staff.command("canbo", home.show_home)
    staff.command("danhsach", cases.back_to_list)
    staff.command("lienket", home.link_account)
    staff.command("xuat", exports.export_from_chat)
    staff.command("dangnhap", home.console_link)
    staff.payload(PAYLOAD, on_staff_button)
    staff.state(cases.LIST, cases.on_list_text)
    form_routes.add(cases.FILTER_FORM_DEF)
    staff.guard_state(cases.FILTER_FORM)
    change = router.guarded(Group.STAFF_CHANGE)
    change.payload(CHANGE_PAYLOAD, on_change_button)
    form_routes.add(cases.CHANGE_FORM_DEF)
    change.guard_state(cases.CHANGE_FORM)
    change.command("thongbao", broadcasts.show_broadcasts)
    change.state(broadcasts.CONFIRM, broadcasts.on_confirm_text)
    form_routes.add(broadcasts.COMPOSE_FORM_DEF)
    change.guard_state(broadcasts.COMPOSE_FORM)
    admin = router.guarded(Group.ADMIN)
    admin.command("moicanbo", home.start_invite)
    admin.payload(ADMIN_PAYLOAD, on_admin_button)
    form_routes.add(home.INVITE_FORM_DEF)
    admin.guard_state(home.INVITE_FORM)

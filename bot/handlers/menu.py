"""Welcome message, main menu and help: only what the bot can do today is offered."""

from __future__ import annotations

from bot.core.context import TurnContext
from bot.core.i18n import _
from bot.core.messages import Button
from bot.core.router import Handler, Router
from bot.handlers import device, faq, my_data, registration, reminders
from bot.handlers.buttons import MENU, main_menu_buttons
from bot.handlers.common import reply_stale
from bot.handlers.staff.common import home_button


def _menu(ctx: TurnContext) -> list[Button]:
    """The main menu, with the way to staff work for staff members."""
    buttons = main_menu_buttons()
    if ctx.user.staff is not None:
        buttons.insert(0, home_button())
    return buttons


async def cmd_start(ctx: TurnContext) -> None:
    """Greet the user, say what the assistant does, and show the menu."""
    ctx.finish()
    ctx.reply(
        _(
            "Hello! I am an automatic assistant that helps you get ready for the end of 2G and "
            "3G mobile networks. I can tell you the dates, check whether your phone is "
            "affected, and tell you where to ask about support. You may also type your "
            "question."
        )
    )
    ctx.reply(_("What do you need? Please choose:"), _menu(ctx))


async def show_menu(ctx: TurnContext) -> None:
    """Leave any flow and show the main menu."""
    ctx.finish()
    ctx.reply(_("Main menu. Please choose:"), _menu(ctx))


async def show_help(ctx: TurnContext) -> None:
    """`/help`, "trợ giúp", "hướng dẫn": what the bot can do and the words that always work."""
    ctx.reply(
        _(
            "I can help you with:\n"
            "• the dates of the 2G and 3G switch-off;\n"
            "• checking a phone: type its model (for example Nokia 1280) or its IMEI "
            "(dial *#06#);\n"
            "• registering a household for phone support (/dangky), and your "
            "registrations (/hoso);\n"
            "• what I store about you (/dulieu), and erasing it (/xoadulieu);\n"
            "• where to find an official.\n"
            'Type your question in your own words. "Quay lại" goes one step back, '
            '"thoát" stops what you are doing, /menu shows the menu, /lang changes the language.'
        ),
        main_menu_buttons(),
    )


BUILT: dict[str, Handler] = {
    "timeline": faq.show_timeline,
    "device": device.start,
    "faq": faq.show_questions,
    "official": faq.show_official,
    "register": registration.start,
    "mine": my_data.show_registrations,
    "reminders": reminders.start,
}
# Items of older menus that are not features any more: their buttons, still on people's
# screens, answer the topic that says what there is today.
FORMER_ITEMS: dict[str, str] = {}


async def on_menu_item(ctx: TurnContext) -> None:
    """A main-menu item."""
    if not ctx.args:
        await show_menu(ctx)
    elif ctx.args in BUILT:
        await BUILT[ctx.args](ctx)
    elif ctx.args in FORMER_ITEMS:
        faq.answer_topic(ctx, FORMER_ITEMS[ctx.args])
    else:
        reply_stale(ctx)


def register(router: Router) -> None:
    """Add this module's routes."""
    router.command("start", cmd_start)
    router.command("menu", show_menu)
    router.command("help", show_help)
    router.command("trogiup", show_help)
    for word in ("menu", "menu chính", "các mục chính", "mục chính"):
        router.word(word, show_menu)
    for word in ("trợ giúp", "hướng dẫn", "help"):
        router.word(word, show_help)
    router.payload(MENU, on_menu_item)

"""Welcome message and main menu; items not built yet answer that they are coming."""

from __future__ import annotations

from bot.core.context import TurnContext
from bot.core.i18n import _
from bot.core.router import Handler, Router
from bot.handlers import device, faq
from bot.handlers.buttons import MENU, main_menu_buttons, menu_button


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
    ctx.reply(_("What do you need? Please choose:"), main_menu_buttons())


async def show_menu(ctx: TurnContext) -> None:
    """Leave any flow and show the main menu."""
    ctx.finish()
    ctx.reply(_("Main menu. Please choose:"), main_menu_buttons())


def _feature_names() -> dict[str, str]:
    return {
        "timeline": _("Shutdown timeline"),
        "device": _("Check my phone"),
        "register": _("Register for support"),
        "reminders": _("Get reminders"),
        "faq": _("Questions and answers"),
        "official": _("Talk to an official"),
    }


BUILT: dict[str, Handler] = {
    "timeline": faq.show_timeline,
    "device": device.start,
    "faq": faq.show_questions,
    "official": faq.show_official,
}


async def on_menu_item(ctx: TurnContext) -> None:
    """A main-menu item; features that are not built yet say so politely."""
    if not ctx.args:
        await show_menu(ctx)
        return
    if ctx.args in BUILT:
        await BUILT[ctx.args](ctx)
        return
    name = _feature_names().get(ctx.args)
    if name is None:
        ctx.reply(_("This button is no longer in use. Please choose again:"), main_menu_buttons())
        return
    ctx.reply(
        _(
            'The part "{feature}" is still being prepared and will be ready soon. '
            "Please come back later or choose another item."
        ).format(feature=name)
    )
    ctx.reply(_("What would you like to do next?"), [menu_button()])


def register(router: Router) -> None:
    """Add this module's routes."""
    router.command("start", cmd_start)
    router.command("menu", show_menu)
    router.word("menu", show_menu)
    router.word("menu chính", show_menu)
    router.payload(MENU, on_menu_item)

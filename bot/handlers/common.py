"""Words that work everywhere (cancel, language) and answers to odd input."""

from __future__ import annotations

from bot.config import SUPPORTED_LOCALES
from bot.core.context import TurnContext
from bot.core.i18n import _
from bot.core.messages import Button
from bot.core.router import Router
from bot.core.text import fold
from bot.handlers.buttons import main_menu_buttons, menu_button

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}
_LANGUAGE_WORDS = {"vi": "vi", "tieng viet": "vi", "viet": "vi", "en": "en", "english": "en"}


async def cancel(ctx: TurnContext) -> None:
    """Leave the current flow, forgetting what was typed in it."""
    if ctx.state is None:
        ctx.reply(_("There is nothing to cancel."), main_menu_buttons())
        return
    ctx.finish()
    ctx.reply(_("Cancelled. What would you like to do next?"), main_menu_buttons())


async def cmd_lang(ctx: TurnContext) -> None:
    """`/lang` offers the languages; `/lang en` switches at once."""
    wanted = _LANGUAGE_WORDS.get(fold(ctx.args))
    if wanted is not None:
        _switch_language(ctx, wanted)
        return
    ctx.reply(
        _("Please choose a language:"),
        [Button(LANGUAGE_NAMES[code], f"lang:{code}") for code in SUPPORTED_LOCALES],
    )


async def on_language_button(ctx: TurnContext) -> None:
    """A language button was pressed (or its number typed)."""
    if ctx.args not in SUPPORTED_LOCALES:
        await on_stale_payload(ctx)
        return
    _switch_language(ctx, ctx.args)


def _switch_language(ctx: TurnContext, locale: str) -> None:
    ctx.set_locale(locale)
    text = _("I will write to you in English from now on.")
    if ctx.state is not None:
        ctx.reply(text + " " + _("You can go on where you left off."))
    else:
        ctx.reply(text, [menu_button()])


async def on_empty(ctx: TurnContext) -> None:
    """A message with no text (or only invisible characters)."""
    ctx.reply(
        _("I did not receive any text. Please type your question or choose from the menu."),
        main_menu_buttons(),
    )


async def on_unknown_command(ctx: TurnContext) -> None:
    """A command the bot does not know."""
    ctx.reply(
        _("I do not know the command /{command}. Please choose from the menu:").format(
            command=ctx.args[:40]
        ),
        main_menu_buttons(),
    )


async def on_stale_payload(ctx: TurnContext) -> None:
    """A button from an old message, or one that no longer exists."""
    ctx.reply(_("This button is no longer in use. Please choose again:"), main_menu_buttons())


def register(router: Router) -> None:
    """Add this module's routes."""
    for word in ("hủy", "huỷ", "huy", "hủy bỏ", "cancel", "/cancel", "/huy"):
        router.word(word, cancel)
    router.command("lang", cmd_lang)
    router.payload("lang", on_language_button)
    router.on_empty = on_empty
    router.on_unknown_command = on_unknown_command
    router.on_stale_payload = on_stale_payload

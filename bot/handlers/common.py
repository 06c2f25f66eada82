"""Words that work everywhere (cancel, exit, back, language) and answers to odd input."""

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
# Words that leave any flow. Compared folded, except those whose letters without tone marks
# are other everyday words: "dừng" (stop) folds like "đúng" (right), "dùng" (use).
LEAVE_WORDS = ("hủy", "huỷ", "huy", "hủy bỏ", "cancel", "/cancel", "/huy", "thoát", "thoát ra",
               "thôi", "thôi không hỏi nữa", "exit", "stop", "quit")  # fmt: skip
LEAVE_WORDS_WITH_MARKS = ("dừng", "dừng lại")
BACK_WORDS = ("quay lại", "trở lại", "lùi lại", "back", "/back", "/quaylai")


async def leave(ctx: TurnContext) -> None:
    """Leave the current flow, forgetting what was typed in it. Outside a flow, "dừng" or
    "/huy" stops reminders and announcements, for a person who gets them."""
    if ctx.state is None:
        from bot.handlers import reminders

        if not await reminders.stop(ctx):
            ctx.reply(_("There is nothing to cancel."), main_menu_buttons())
        return
    ctx.finish()
    ctx.reply(_("Stopped. What would you like to do next?"), main_menu_buttons())


async def back_to_menu(ctx: TurnContext) -> None:
    """ "Quay lại" where there is no earlier step: the main menu."""
    ctx.finish()
    ctx.reply(_("Main menu. Please choose:"), main_menu_buttons())


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


async def on_bad_number(ctx: TurnContext) -> None:
    """A number that is none of the options offered: say which numbers there are, offer
    them again. Never an "off topic" answer, and never kept as a question we missed."""
    if len(ctx.offered) >= 2:
        ctx.reply(
            _("Please choose a number from 1 to {count}:").format(count=len(ctx.offered)),
            ctx.offered,
        )
        return
    ctx.reply(_("Please choose one of these:"), main_menu_buttons())


def reply_stale(ctx: TurnContext) -> None:
    """The one answer to a button from an old message, or one that no longer exists."""
    ctx.reply(_("This button is no longer in use. Please choose again:"), main_menu_buttons())


async def on_stale_payload(ctx: TurnContext) -> None:
    """A button from an old message, or one that no longer exists."""
    reply_stale(ctx)


def register(router: Router) -> None:
    """Add this module's routes."""
    for word in LEAVE_WORDS:
        router.word(word, leave)
    for word in LEAVE_WORDS_WITH_MARKS:
        router.word(word, leave, marks=True)
    for word in BACK_WORDS:
        router.back_word(word)
    router.command("lang", cmd_lang)
    router.payload("lang", on_language_button)
    router.on_empty = on_empty
    router.on_unknown_command = on_unknown_command
    router.on_stale_payload = on_stale_payload
    router.on_bad_number = on_bad_number
    router.on_back = back_to_menu

"""Questions typed freely, the timeline, the Q&A menu and "talk to an official" (contacts)."""

from __future__ import annotations

from bot.core.context import TurnContext
from bot.core.i18n import _
from bot.core.messages import Button
from bot.core.router import Router
from bot.handlers import device
from bot.handlers.buttons import main_menu_buttons, menu_button

TOPIC = "faq"
# A brand named in a question on these topics ("máy bà là nokia cũ") asks for a phone check.
BRAND_MEANS_CHECK = frozenset(
    {
        "check_device",
        "elderly_help",
        "what_is_2g_only",
        "timeline",
        "network_3g",
        "volte",
        "fallback",
    }
)
QA_MENU_TOPICS = (
    "timeline",
    "check_device",
    "support_eligibility",
    "support_register",
    "keep_number",
    "which_phone",
    "volte",
    "scam",
)


def topic_button(ctx: TurnContext, topic_id: str) -> Button:
    """A button that shows a topic's answer."""
    return Button(ctx.services.faq.title(topic_id), f"{TOPIC}:{topic_id}")


def official_button() -> Button:
    """Ask for a person."""
    return Button(_("Talk to an official"), f"{TOPIC}:human_agent")


def answer_topic(ctx: TurnContext, topic_id: str, text: str | None = None) -> None:
    """Reply with a topic's answer (or `text`, an answer already written for the question)
    and its follow-up buttons."""
    faq = ctx.services.faq
    topic = faq.topic(topic_id)
    if topic is None:
        ctx.reply(_("This button is no longer in use. Please choose again:"), main_menu_buttons())
        return
    buttons = [topic_button(ctx, follow_up) for follow_up in topic.follow_ups]
    if topic_id == "check_device":
        buttons.insert(0, Button(_("Check my phone"), "device:start"))
    text = text or faq.render(topic_id, ctx.today)
    if topic_id == "greeting":
        ctx.reply(text, main_menu_buttons())
        return
    if topic_id != "human_agent":
        buttons.append(official_button())
    ctx.reply(text, [*buttons, menu_button()])


async def on_question(ctx: TurnContext) -> None:
    """Free text outside a form: a phone to check, a question to answer, or "not sure"."""
    phone = device.mentioned_phone(ctx, ctx.text)
    if phone in ("imei", "model"):
        await device.check_text(ctx, ctx.text)
        return
    answer = ctx.services.faq.answer(ctx.text, ctx.today)
    if phone == "brand" and answer.topic in BRAND_MEANS_CHECK:
        await device.check_text(ctx, ctx.text)
        return
    if answer.confident:
        answer_topic(ctx, answer.topic, answer.text)
        return
    if answer.readable:  # staff have nothing to learn from "???" or a row of emoji
        await ctx.services.misses.record(
            text=ctx.text,
            channel=ctx.incoming.channel,
            best_topic=answer.suggestions[0] if answer.suggestions else None,
            score=answer.score,
        )
    if answer.out_of_scope:
        ctx.reply(answer.text, [*main_menu_buttons()])
        return
    ctx.reply(
        answer.text,
        [*(topic_button(ctx, t) for t in answer.suggestions), official_button(), menu_button()],
    )


async def on_topic_button(ctx: TurnContext) -> None:
    """A topic button was pressed."""
    answer_topic(ctx, ctx.args)


async def show_timeline(ctx: TurnContext) -> None:
    """Menu item "Shutdown timeline"."""
    answer_topic(ctx, "timeline")


async def show_questions(ctx: TurnContext) -> None:
    """Menu item "Questions and answers": invite a question, offer common topics."""
    ctx.reply(
        _("Please type your question in your own words, or choose a common topic:"),
        [*(topic_button(ctx, t) for t in QA_MENU_TOPICS), menu_button()],
    )


async def show_official(ctx: TurnContext) -> None:
    """Menu item "Talk to an official": where to find a person."""
    answer_topic(ctx, "human_agent")


def register(router: Router) -> None:
    """Add this module's routes."""
    router.payload(TOPIC, on_topic_button)
    router.on_text = on_question

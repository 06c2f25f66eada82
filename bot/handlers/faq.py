"""Questions typed freely, the timeline, the Q&A menu and "talk to an official" (contacts)."""

from __future__ import annotations

from bot.core.context import TurnContext
from bot.core.i18n import _
from bot.core.messages import Button
from bot.core.router import Router
from bot.handlers import device
from bot.handlers.buttons import (
    OFFICIAL,
    main_menu_buttons,
    menu_button,
    more_button,
    my_registrations_button,
    official_button,
    register_button,
)
from bot.handlers.common import reply_stale
from bot.services.faq import FaqAnswer

TOPIC = "faq"
MORE = "more"
# A brand named in a question on these topics ("máy bà là nokia cũ") asks for a phone check.
BRAND_MEANS_CHECK = frozenset(
    {
        "check_device",
        "cannot_call",
        "still_works",
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
    "cannot_call",
    "support_eligibility",
    "support_register",
    "keep_number",
    "which_phone",
    "volte",
    "scam",
)


def _check_button() -> Button:
    return Button(_("Check my phone"), "device:start")


def _my_data_buttons() -> list[Button]:
    return [
        Button(_("My data"), "mine:data"),
        my_registrations_button(),
        Button(_("Erase my data"), "mine:erase"),
    ]


# What a topic's answer offers to do, beside its follow-up topics.
TOPIC_ACTIONS = {
    "check_device": lambda: [_check_button()],
    "cannot_call": lambda: [_check_button()],
    "still_works": lambda: [_check_button()],
    "support_eligibility": lambda: [register_button()],
    "support_register": lambda: [register_button(), my_registrations_button()],
    "data_privacy": _my_data_buttons,
    "subscribe": lambda: [Button(_("Get reminders"), "menu:reminders")],
}


def topic_button(ctx: TurnContext, topic_id: str) -> Button:
    """A button that shows a topic's answer (the official button for the contacts)."""
    if f"{TOPIC}:{topic_id}" == OFFICIAL:
        return official_button()
    return Button(ctx.services.faq.title(topic_id), f"{TOPIC}:{topic_id}")


def answer_topic(ctx: TurnContext, topic_id: str, answer: FaqAnswer | None = None) -> None:
    """Reply with a topic's short answer (or `answer`, already written for the question):
    the "more" button first, then the topics of the message's other questions, the topic's
    follow-ups, an official and the menu."""
    faq = ctx.services.faq
    topic = faq.topic(topic_id)
    if topic is None:
        reply_stale(ctx)
        return
    if answer is None:
        rendered = faq.render(topic_id, ctx.today)
        text, has_more = rendered.first, rendered.more is not None
        details = rendered.details is not None
        others: tuple[str, ...] = ()
    else:
        text, has_more, details = answer.text, answer.more is not None, answer.has_details
        others = answer.others
    if topic_id == "greeting":
        ctx.reply(text, main_menu_buttons())
        return
    buttons = [more_button(f"{TOPIC}:{MORE}:{topic_id}", details=details)] if has_more else []
    buttons += TOPIC_ACTIONS.get(topic_id, list)()
    buttons += [topic_button(ctx, t) for t in (*others, *topic.follow_ups)]
    if topic_id != "human_agent":
        buttons.append(official_button())
    buttons.append(menu_button())
    ctx.reply(text, buttons)


async def on_question(ctx: TurnContext) -> None:
    """Free text outside a form: a phone to check, a question to answer, or "not sure"."""
    phone = device.mentioned_phone(ctx, ctx.text)
    if phone in ("imei", "model"):
        await device.check_text(ctx, ctx.text)
        return
    answer = ctx.services.faq.answer(ctx.text, ctx.today)
    if phone in ("brand", "unknown_model") and answer.topic in BRAND_MEANS_CHECK:
        await device.check_text(ctx, ctx.text)
        return
    if answer.confident:
        answer_topic(ctx, answer.topic, answer)
        return
    if answer.readable:  # staff have nothing to learn from "???" or a row of emoji
        await ctx.services.misses.record(
            text=ctx.text,
            channel=ctx.incoming.channel,
            best_topic=answer.suggestions[0] if answer.suggestions else None,
            score=answer.score,
        )
    if answer.out_of_scope:
        ctx.reply(answer.text, main_menu_buttons())
        return
    ctx.reply(
        answer.text,
        [*(topic_button(ctx, t) for t in answer.suggestions), official_button(), menu_button()],
    )


async def on_topic_button(ctx: TurnContext) -> None:
    """faq:TOPIC shows a topic; faq:more:TOPIC what sits behind its "more" button."""
    kind, _sep, topic_id = ctx.args.partition(":")
    if kind != MORE:
        answer_topic(ctx, ctx.args)
        return
    if ctx.services.faq.topic(topic_id) is None:
        reply_stale(ctx)
        return
    rendered = ctx.services.faq.render(topic_id, ctx.today)
    if rendered.more is None:
        reply_stale(ctx)
        return
    follow_ups = ctx.services.faq.topic(topic_id).follow_ups  # type: ignore[union-attr]
    ctx.reply(rendered.more, [*(topic_button(ctx, t) for t in follow_ups), menu_button()])


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

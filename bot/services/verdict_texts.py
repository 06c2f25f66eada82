"""A phone verdict told for a day, in the content's words (verdicts.yaml).

The headline is the surer wording only when the catalogue row is sure and the verdict came
from it; answers to the questions, or a row of medium confidence, get the "có thể" wording.
"""

from __future__ import annotations

from datetime import date

from bot.content.loader import Localized, Source
from bot.core.i18n import _
from bot.services.answers import Answer, AnswerRenderer
from bot.services.devices import DeviceResult

QUIZ_SOURCE = "quiz"  # DeviceResult.source of a verdict from the yes/no questions


def is_sure(result: DeviceResult) -> bool:
    """True when the verdict may be told without "có thể"."""
    return result.confidence == "high" and result.source != QUIZ_SOURCE


def render_verdict(renderer: AnswerRenderer, result: DeviceResult, today: date) -> Answer:
    """The verdict's short answer and details for `today`, with its sources."""
    text = renderer.content.verdict(result.text_id)
    headline = text.headline if is_sure(result) else text.headline_unsure
    first = Localized(vi=f"{headline.vi}\n{text.answer.vi}", en=f"{headline.en}\n{text.answer.en}")
    if result.name and result.source != QUIZ_SOURCE:
        phone, phone_in = _("The {name}"), _("the {name}")
    elif result.name:
        phone, phone_in = _("Your {name}"), _("your {name}")
    else:
        phone, phone_in = _("Your phone"), _("your phone")
    name = result.name or ""
    values = {"phone": phone.format(name=name), "phone_in": phone_in.format(name=name)}
    return renderer.answer((first, text.more), today, sources=_sources(result), values=values)


def _sources(result: DeviceResult) -> tuple[Source, ...]:
    if result.source == QUIZ_SOURCE:
        return (Source(label=_("your answers")),)
    if result.source:
        return (Source(label=result.source, url=result.url),)
    return ()

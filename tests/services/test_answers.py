"""Answers name where each stated fact comes from, and when the content was last reviewed."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.i18n import use_locale
from bot.services.answers import AnswerRenderer
from bot.services.faq import FaqService

TODAY = date(2026, 11, 24)


pytestmark = pytest.mark.usefixtures("catalogs")


def render(content, topic_id: str, locale: str = "vi") -> str:
    topic = next(t for t in content.topics if t.id == topic_id)
    with use_locale(locale):
        return AnswerRenderer(content).render(topic, TODAY)


@pytest.mark.parametrize(
    ("topic_id", "part"),
    [("timeline", "milestones"), ("phone_cost", "programmes"), ("scam", "scams")],
)
def test_every_stated_fact_brings_its_source(content, topic_id, part):
    text = render(content, topic_id)
    items = content.milestones if part == "milestones" else getattr(content, part)
    topic = next(t for t in content.topics if t.id == topic_id)
    stated = [
        i for i in items if part != "milestones" or f"{{milestone:{i.id}}}" in topic.answer.vi
    ]
    assert stated
    for item in stated:
        assert item.source.url in text, item.source.label
    footer = text.split("\n\nNguồn:")[1]
    urls = [line.rsplit(" ", 1)[-1] for line in footer.splitlines() if line.startswith("• ")]
    assert len(urls) == len(set(urls)) >= 2, "each source once, one per line"
    assert footer.rstrip().endswith("Nội dung được rà soát lần cuối ngày 24/11/2026.")


def test_a_single_source_stays_on_one_line(content):
    text = render(content, "keep_number", "en")
    last = text.splitlines()[-1]
    assert last.startswith("Source: ") and last.endswith(
        "Content last reviewed on 24 November 2026."
    )


def test_greeting_has_no_source(content):
    assert "Nguồn" not in render(content, "greeting")


@pytest.mark.parametrize(
    ("question", "start"),
    [
        ("cam on ad nhieu nha", "Dạ, không có gì ạ."),
        ("bye nhé", "Chào anh/chị! Khi cần"),
        ("xin chào", "Chào anh/chị! Cảm ơn anh/chị đã nhắn tin."),
    ],
)
def test_thanks_and_goodbye_get_a_short_reply(content, question, start):
    faq = FaqService(content)
    with use_locale("vi"):
        answer = faq.answer(question, TODAY)
    assert answer.topic == "greeting"
    assert answer.text.startswith(start)

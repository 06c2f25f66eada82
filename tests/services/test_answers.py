"""Answers: short first message, details and sources behind the button, the date of the
information never after today, and a notice when the content is old."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.i18n import use_locale
from bot.services.answers import AnswerRenderer
from bot.services.faq import FaqService
from tests.support.texts import word_count

TODAY = date(2026, 12, 3)


pytestmark = pytest.mark.usefixtures("catalogs")


def answer(content, topic_id: str, today: date = TODAY, locale: str = "vi", **kwargs):
    with use_locale(locale):
        return AnswerRenderer(content, **kwargs).topic(content.topic(topic_id), today)


@pytest.mark.parametrize(
    ("topic_id", "part"),
    [("timeline", "milestones"), ("phone_cost", "programmes"), ("scam", "scams")],
)
def test_every_stated_fact_brings_its_source(content, topic_id, part):
    rendered = answer(content, topic_id)
    stated = {
        "milestones": [m.source for m in content.milestones if m.known_from <= TODAY],
        "programmes": [p.source for p in content.programmes if p.on(TODAY)],
        "scams": [s.source for s in content.scams if s.holds_on(TODAY)],
    }[part]
    for source in stated:
        assert (source.url or source.label) in rendered.more, source.label
    footer = rendered.more.split("Nguồn:\n")[1]
    items = [line for line in footer.splitlines() if line.startswith("• ")]
    assert len(items) == len(set(items)) >= 2, "each source once, one per line"
    assert footer.rstrip().endswith("Thông tin tính đến ngày 3/12/2026.")


def test_a_single_source_stays_on_one_line(content):
    with use_locale("en"):
        footer = AnswerRenderer(content).footer([content.topic("volte").source], TODAY)
    first, last = footer.splitlines()
    assert first.startswith("Source: VnExpress International (https://")
    assert last == "Information as of 3 December 2026."


def test_the_date_of_the_information_is_never_after_today(content):
    early = answer(content, "timeline", today=date(2024, 9, 1))
    assert early.more.rstrip().endswith("Thông tin tính đến ngày 1/9/2024.")


def test_old_content_says_it_may_be_out_of_date(content):
    fresh = answer(content, "keep_number", today=date(2027, 1, 1))
    old = answer(content, "keep_number", today=date(2027, 6, 1))
    assert "có thể đã cũ" not in fresh.first
    assert "có thể đã cũ" in old.first and "UBND xã/phường" in old.first
    assert "có thể đã cũ" in answer(content, "keep_number", today=date(2027, 1, 1),
                                     stale_after_days=7).first  # fmt: skip


def test_an_answer_without_sources_has_nothing_behind_a_button(content):
    for topic_id in ("greeting", "about_bot", "fallback"):
        assert answer(content, topic_id).more is None


def test_an_item_outside_its_window_drops_its_line(content):
    before = answer(content, "support_register", today=date(2025, 6, 1)).first
    after = answer(content, "support_register", today=date(2025, 7, 1)).first
    assert "không còn cấp huyện" not in before and "không còn cấp huyện" in after
    assert before.startswith("Danh sách hộ được hỗ trợ")  # the rest of the answer stays


@pytest.mark.parametrize("today", [date(2024, 9, 1), date(2024, 9, 12), date(2026, 12, 1)])
def test_details_never_repeat_a_line_of_the_first_message(content, today):
    for topic in content.topics:
        rendered = answer(content, topic.id, today=today)
        said = {line.strip() for line in rendered.first.splitlines() if line.strip()}
        repeated = [line for line in (rendered.details or "").splitlines() if line.strip() in said]
        assert not repeated, (topic.id, repeated)


def test_a_first_message_is_short(content):
    for topic in content.topics:
        for locale in ("vi", "en"):
            rendered = answer(content, topic.id, locale=locale)
            assert word_count(rendered.first) <= 80, (topic.id, locale, rendered.first)


@pytest.mark.parametrize(
    ("question", "start"),
    [
        ("cam on ad nhieu nha", "Dạ, không có gì ạ."),
        ("bye nhé", "Chào anh/chị! Khi cần"),
        ("xin chào", "Chào anh/chị ạ! Tôi là trợ lý tự động"),
    ],
)
def test_thanks_and_goodbye_get_a_short_reply(content, question, start):
    faq = FaqService(content)
    with use_locale("vi"):
        reply = faq.answer(question, TODAY)
    assert reply.topic == "greeting"
    assert reply.text.startswith(start)

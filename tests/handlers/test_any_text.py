"""Property: any text at all gets a reply, and no handler ever fails on it."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.messages import Incoming

pytestmark = pytest.mark.db

AWKWARD = st.sampled_from(
    [
        "",
        " ",
        "x" * 10_000,
        "😀" * 50,
        "\u200f\u202eمرحبا\u202c",
        "\x00\x01\x1b[31m",
        "/",
        "/ ",
        "//start",
        "/start@",
        "0",
        "-1",
        "99999999999",
        "1.",
        "menu:faq",
        "{name}",
        "%s %d",
        "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
        "Tôi muốn hủy",
        "HỦY",
        "\n\n\n",
    ]
)
TEXTS = st.one_of(AWKWARD, st.text(max_size=300), st.text(min_size=2000, max_size=12_000))


def test_any_text_gets_a_reply(make_settings, sqlite_url):
    from bot.app import build_app

    with asyncio.Runner() as loop:
        app = build_app(make_settings(sqlite_url))

        @settings(
            max_examples=150,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(text=TEXTS, payload=st.one_of(st.none(), st.text(max_size=40)))
        def check(text: str, payload: str | None) -> None:
            replies = loop.run(
                app.runner.handle(Incoming(channel="prop", user_id="p", text=text, payload=payload))
            )
            assert replies
            assert all(reply.text.strip() for reply in replies)
            assert app.runner.errors == 0

        try:
            check()
        finally:
            loop.run(app.aclose())


@settings(max_examples=300, deadline=None)
@given(text=TEXTS)
def test_matcher_answers_any_text(text):
    from datetime import date

    from bot.content.loader import load_content
    from bot.services.faq import FaqService

    global _FAQ
    try:
        faq = _FAQ
    except NameError:
        faq = _FAQ = FaqService(load_content())
    answer = faq.answer(text, date(2026, 11, 24))
    assert answer.text.strip()
    assert 0.0 <= answer.score <= 1.0001

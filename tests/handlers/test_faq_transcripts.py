"""Questions typed freely, the timeline and Q&A menu items, misses for staff."""

from __future__ import annotations

import asyncio
import json

import pytest
from typer.testing import CliRunner

from bot.cli import cli
from tests.support.chat import Chat
from tests.support.misses import stored_misses
from tests.support.texts import word_count

pytestmark = pytest.mark.db


async def test_question_without_diacritics_gets_a_short_answer_and_its_sources(
    make_app, database_url
):
    chat = Chat(make_app(database_url))
    await chat.send("khi nao thi tat song 2g vay ad")
    assert "16/10/2024" in chat.text
    assert word_count(chat.text) <= 80  # the answer first, short
    assert "Nguồn" not in chat.text and "http" not in chat.text
    assert chat.labels[0] == "Xem thêm"
    assert "Nơi hỏi trực tiếp" in chat.labels and "Các mục chính" in chat.labels
    await chat.press("Xem thêm")
    assert "Nguồn:" in chat.text
    # Each milestone stated brings its own source: the 16/10/2024 cut comes from Vietbao.
    assert "https://vietbao.vn/tat-song-dien-thoai-2g-tu-16-10" in chat.text
    assert chat.text.rstrip().endswith("Thông tin tính đến ngày 3/12/2026.")


async def test_the_2g_network_is_told_as_the_press_reported_it(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("khi nao tat song 2g")
    assert "Theo báo VnExpress" in chat.text and "15/9/2026" in chat.text
    assert "tin báo chí" in chat.text
    await chat.press("Xem thêm")
    assert "https://vnexpress.net/nha-mang-viet-nam-tat-hoan-toan-song-2g-tu-15-9-5120434.html" in (
        chat.text
    )


async def test_a_message_with_two_questions_answers_the_first_and_offers_the_second(
    make_app, database_url
):
    chat = Chat(make_app(database_url))
    await chat.send("Khi nào tắt sóng 2G? Nhà tôi là hộ nghèo thì có được hỗ trợ điện thoại không?")
    assert "16/10/2024" in chat.text  # the timeline
    assert "Ai được hỗ trợ điện thoại" in chat.labels  # the second question, one press away
    await chat.press("Ai được hỗ trợ điện thoại")
    assert "500.000 đồng" in chat.text


async def test_only_one_official_button(make_app, database_url):
    """human_agent as a follow-up and the official button lead to the same place: shown once."""
    chat = Chat(make_app(database_url))
    for question in ("ai duoc ho tro dien thoai", "lua dao doi sim", "bot nay cua ai"):
        await chat.send(question)
        assert chat.labels.count("Nơi hỏi trực tiếp") == 1, chat.labels
        assert "Nơi hỏi trực tiếp, tổng đài" not in chat.labels
    assert "Nguồn" not in chat.labels  # about the bot: nothing a source stands behind


async def test_same_question_on_another_day_changes_tense(make_app, database_url):
    chat = Chat(make_app(database_url, bot_today="2024-10-04"))
    await chat.send("/start")
    await chat.press("Lộ trình tắt sóng")
    assert "còn 12 ngày nữa" in chat.text
    assert "sẽ không gọi đi, nghe gọi đến" in chat.text


async def test_menu_questions_item_offers_topics_and_a_topic_button_answers(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("/start")
    await chat.press("Hỏi đáp")
    assert "gõ câu hỏi" in chat.text
    assert len(chat.labels) >= 6
    await chat.send("1")
    assert "16/10/2024" in chat.text
    await chat.press("Xem thêm")
    assert "Nguồn:" in chat.text


async def test_talk_to_an_official_lists_only_confirmed_contacts(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("/start")
    await chat.press("Nơi hỏi trực tiếp")
    assert "UBND xã/phường" in chat.text
    assert "huyện" not in chat.text.replace("không còn cấp huyện", "")


async def test_greeting_gets_the_menu(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("xin chào ạ")
    assert chat.labels[:2] == ["Lộ trình tắt sóng", "Kiểm tra điện thoại"]


async def test_out_of_scope_question_is_declined_kindly_and_logged(make_app, database_url):
    app = make_app(database_url)
    chat = Chat(app)
    await chat.send("xổ số miền bắc hôm nay ra con gì")
    assert "chỉ trả lời được câu hỏi về việc tắt sóng" in chat.text
    assert "Lộ trình tắt sóng" in chat.labels
    assert [m.text for m in await stored_misses(app)] == ["xổ số miền bắc hôm nay ra con gì"]


async def test_numbers_in_a_logged_question_are_masked(make_app, database_url):
    app = make_app(database_url)
    await Chat(app).send("xo so hom nay, sdt cua toi 0912345678")
    assert [m.text for m in await stored_misses(app)] == ["xo so hom nay, sdt cua toi *******678"]


async def test_only_emoji_gets_topics_to_choose_and_is_not_logged(make_app, database_url):
    app = make_app(database_url)
    chat = Chat(app)
    await chat.send("😀😀 ???")
    assert "chưa chắc" in chat.text
    assert "Nơi hỏi trực tiếp" in chat.labels
    assert await stored_misses(app) == []


async def test_thanks_get_a_short_reply_and_the_menu(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("ok cam on ad nhieu")
    assert chat.text.startswith("Dạ, không có gì ạ.")
    assert "Lộ trình tắt sóng" in chat.labels


async def test_unclear_question_offers_closest_topics_and_an_official(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("máy thì sao ạ")  # about a phone, but which question?
    assert "chưa chắc" in chat.text
    assert 2 <= len(chat.labels) <= 5
    assert "Nơi hỏi trực tiếp" in chat.labels


async def test_english_user_gets_english_answer(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("/lang en")
    await chat.send("when will 3G be switched off?")
    assert "September 2028" in chat.text
    await chat.press("More")
    assert "Sources:" in chat.text and "Information as of 3 December 2026." in chat.text


async def test_misses_are_listed_most_frequent_first(make_app, database_url, monkeypatch):
    app = make_app(database_url)
    for user, text in [
        ("a", "gia vang hom nay"),
        ("b", "Giá vàng hôm nay?"),
        ("c", "ket qua bong da"),
    ]:
        await Chat(app, user_id=user).send(text)
    misses = await stored_misses(app)
    assert misses[0].count == 2
    assert misses[1].count == 1
    monkeypatch.setenv("DATABASE_URL", database_url)
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["faq", "misses"])
    assert result.exit_code == 0, result.output
    assert result.output.index("bong da") > result.output.index("2 ")


def test_bot_ask_json_lines():
    result = CliRunner().invoke(
        cli,
        ["ask", "--json", "--today", "2026-12-03"],
        input="tat song 2g khi nao\nthoi tiet mai\n",
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["topic"] for line in lines] == ["timeline", "fallback"]
    assert set(lines[0]) == {"question", "topic", "score", "answer", "more", "others"}
    assert "16/10/2024" in lines[0]["answer"] and "http" not in lines[0]["answer"]
    assert "Nguồn:" in lines[0]["more"] and "https://vietbao.vn/" in lines[0]["more"]
    assert lines[1]["more"] is None

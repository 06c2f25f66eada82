"""Transcripts of the main menu, cancel, language switch and odd input, on each database."""

from __future__ import annotations

import pytest

from tests.support.chat import Chat
from tests.support.flows import router_with_test_flows
from tests.support.misses import stored_misses

pytestmark = pytest.mark.db

# Only what the bot can do today: registration and reminders come with their own issues.
MENU_VI = ["Lộ trình tắt sóng", "Kiểm tra điện thoại", "Đăng ký hỗ trợ", "Hỏi đáp",
           "Nhận nhắc nhở", "Hồ sơ của tôi", "Nơi hỏi trực tiếp"]  # fmt: skip
MENU_EN = ["Shutdown timeline", "Check my phone", "Register for support",
           "Questions and answers", "Get reminders", "My registrations",
           "Where to ask"]  # fmt: skip


async def test_start_shows_vietnamese_menu(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("/start")
    assert "Chào anh/chị ạ" in chat.text
    assert chat.labels == MENU_VI


async def test_menu_item_by_number_by_label_and_by_label_without_marks(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("/start")
    await chat.send("4")
    assert chat.text.startswith("Anh/chị cứ gõ câu hỏi")  # "Hỏi đáp"
    await chat.send("menu")
    await chat.send("hoi dap")
    assert chat.text.startswith("Anh/chị cứ gõ câu hỏi")
    await chat.send("menu")
    await chat.send("Kiểm tra điện thoại")
    assert "*#06#" in chat.text
    await chat.send("MENU")
    await chat.press("Nơi hỏi trực tiếp")
    assert "UBND xã/phường" in chat.text


async def test_number_out_of_range_is_not_taken_as_a_choice(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("/start")
    await chat.send("9")
    assert chat.text == "Anh/chị chọn một số từ 1 đến 7 ạ:"
    assert chat.labels == MENU_VI  # the same choices, offered again
    await chat.send("2")
    assert "*#06#" in chat.text  # and a number in range still works
    assert await stored_misses(chat.app) == []  # bare numbers are not questions we missed


async def test_a_number_with_nothing_offered_asks_to_choose(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("/lang vi")  # answered with a single button
    await chat.send("5")
    assert "chọn" in chat.text
    assert chat.labels == MENU_VI


async def test_register_and_reminder_buttons_of_older_menus_open_their_features(
    make_app, database_url
):
    chat = Chat(make_app(database_url))
    await chat.send("Đăng ký hỗ trợ", payload="menu:register")  # a feature now: the form
    assert chat.text.endswith("Anh/chị đăng ký cho ai?")
    await chat.send("Nhận nhắc nhở", payload="menu:reminders")
    assert chat.text == "Anh/chị muốn nhận tin cho nơi nào?"


@pytest.mark.parametrize("word", ["/help", "trợ giúp", "tro giup", "hướng dẫn", "huong dan"])
async def test_help_says_what_the_bot_can_do(make_app, database_url, word):
    chat = Chat(make_app(database_url))
    await chat.send(word)
    assert chat.text.startswith("Tôi có thể giúp anh/chị:")
    assert "*#06#" in chat.text and "quay lại" in chat.text and "thoát" in chat.text
    assert chat.labels == MENU_VI


async def test_language_switch_is_stored(make_app, database_url):
    app = make_app(database_url)
    chat = Chat(app)
    await chat.send("/lang")
    assert chat.labels == ["Tiếng Việt", "English"]
    await chat.send("2")
    assert chat.text == "I will write to you in English from now on."
    await chat.send("menu")
    assert chat.labels == MENU_EN
    await chat.send("/lang vi")
    assert "tiếng Việt" in chat.text
    await chat.send("/start")
    assert chat.labels == MENU_VI


async def test_each_user_has_their_own_language(make_app, database_url):
    app = make_app(database_url)
    english, vietnamese = Chat(app, user_id="a"), Chat(app, user_id="b")
    await english.send("/lang en")
    await english.send("/start")
    await vietnamese.send("/start")
    assert english.labels == MENU_EN
    assert vietnamese.labels == MENU_VI


async def test_cancel_leaves_a_flow_in_any_spelling(make_app, database_url):
    chat = Chat(make_app(database_url, router=router_with_test_flows()))
    for word in ("hủy", "Huy", "cancel", "HỦY", "thoát", "thoat", "thôi", "dừng", "Dừng lại"):
        await chat.send("/survey")
        await chat.send(word)
        assert chat.text.startswith("Đã dừng"), word
        assert chat.labels == MENU_VI
        await chat.send("Lan")  # no longer in the form: not taken as a name
        assert "Which village?" not in chat.text


async def test_dung_without_marks_is_not_taken_for_stop(make_app, database_url):
    """ "dung" is also "đúng" (right) and "dùng" (use): only "dừng" stops a flow."""
    chat = Chat(make_app(database_url, router=router_with_test_flows()))
    await chat.send("/survey")
    await chat.send("dung")
    assert chat.text == "Which village?"


async def test_back_outside_a_flow_shows_the_menu(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("quay lại")
    assert chat.labels == MENU_VI


async def test_cancel_outside_a_flow(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("huy")
    assert "không có việc gì" in chat.text
    assert chat.labels == MENU_VI


async def test_menu_and_start_leave_a_flow(make_app, database_url):
    chat = Chat(make_app(database_url, router=router_with_test_flows()))
    for word in ("menu", "/start"):
        await chat.send("/survey")
        await chat.send(word)
        assert chat.labels == MENU_VI
        await chat.send("Lan")
        assert "Which village?" not in chat.text


async def test_language_switch_inside_a_flow_keeps_the_flow(make_app, database_url):
    chat = Chat(make_app(database_url, router=router_with_test_flows()))
    await chat.send("/survey")
    await chat.send("/lang en")
    assert "go on where you left off" in chat.text
    await chat.send("Lan")
    assert chat.text == "Which village?"


async def test_restart_in_the_middle_of_a_flow(make_app, database_url):
    first = Chat(make_app(database_url, router=router_with_test_flows()))
    await first.send("/survey")
    await first.send("Lan")
    await first.app.aclose()
    second = Chat(make_app(database_url, router=router_with_test_flows()))
    await second.send("Bản Mòng")
    assert second.text == "Thanks Lan from Bản Mòng."


async def test_choices_survive_a_restart(make_app, database_url):
    first = Chat(make_app(database_url))
    await first.send("/lang")
    second = Chat(make_app(database_url))
    await second.send("2")
    assert second.text == "I will write to you in English from now on."


async def test_unknown_command(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("/xoso")
    assert "/xoso" in chat.text
    assert chat.labels == MENU_VI


async def test_stale_button_payload(make_app, database_url):
    chat = Chat(make_app(database_url))
    for payload in ("old:thing", "menu:removed-item", "lang:fr"):
        await chat.send("x", payload=payload)
        assert "không còn dùng được" in chat.text
        assert chat.labels == MENU_VI


@pytest.mark.parametrize("text", ["", "   ", "\u200b\u200e", "\x00\x07"])
async def test_empty_messages(make_app, database_url, text):
    chat = Chat(make_app(database_url))
    await chat.send(text)
    assert "chưa nhận được nội dung" in chat.text
    assert chat.labels == MENU_VI


async def test_very_long_message_is_cut_politely(make_app, database_url):
    chat = Chat(make_app(database_url, max_input_chars=100))
    await chat.send("a" * 10_000)
    assert "chỉ đọc được 100 ký tự đầu" in chat.last[0].text
    assert len(chat.last) >= 2  # and the (cut) message is still answered
    assert "Nơi hỏi trực tiếp" in chat.labels


async def test_failing_handler_gets_an_apology_and_the_conversation_recovers(
    make_app, database_url, caplog
):
    app = make_app(database_url, router=router_with_test_flows())
    chat = Chat(app)
    await chat.send("/boom")
    assert chat.text.startswith("Xin lỗi")
    assert chat.labels == ["Các mục chính"]
    assert app.runner.errors == 1
    failure = next(r for r in caplog.records if r.levelname == "ERROR")
    assert "/boom" in failure.getMessage()
    assert failure.exc_info is not None
    # The failed turn changed nothing: the next message is not taken as a form answer.
    await chat.send("1")  # the apology's only button: "Các mục chính"
    assert chat.text.startswith("Các mục chính.")
    assert chat.labels == MENU_VI
    await chat.send("/survey")
    await chat.send("Lan")
    assert chat.text == "Which village?"


async def test_english_apology_for_an_english_user(make_app, database_url):
    chat = Chat(make_app(database_url, router=router_with_test_flows()))
    await chat.send("/lang en")
    await chat.send("/boom")
    assert chat.text.startswith("Sorry, something went wrong")

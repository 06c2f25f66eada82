"""The form mechanism of bot.core.forms, through the real turn runner and database: back,
stop, edit from the summary, confirm, old buttons, typed numbers, a global word typed as an
answer, a form changed between releases, and a form resumed after a week."""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.chat import Chat
from tests.support.flows import router_with_test_form

pytestmark = pytest.mark.db
STALE = "Nút này không còn dùng được nữa"


def survey_chat(make_app, database_url, *, version=1, today=date(2026, 12, 3), user="u1"):
    app = make_app(database_url, router=router_with_test_form(version), bot_today=today)
    return Chat(app, user_id=user)


async def test_back_edit_and_confirm(make_app, database_url):
    chat = survey_chat(make_app, database_url)
    await chat.send("/tform")
    assert chat.text == "Which colour?"
    assert chat.labels == ["Red", "Blue", "Dừng"]  # no "back" before the first answer
    await chat.send("2")  # the second button
    assert chat.text == "Your name?"
    assert chat.labels == ["Quay lại", "Dừng"]
    await chat.send("quay lại")
    assert chat.text == "Which colour?"
    await chat.send("red")
    await chat.send("Lan 2")
    assert chat.text == "No digits in a name, please (for example: Huy):\nYour name?"
    await chat.send("Lan")
    await chat.send("2")  # a village, not a button
    assert chat.text.startswith("Anh/chị kiểm tra lại:")
    assert "• Colour: red\n• Name: Lan\n• Village: 2" in chat.text
    await chat.press("Sửa: Name")
    assert chat.text == "Your name?"
    await chat.send("quay lại")  # back while editing keeps the old answer
    assert "• Name: Lan" in chat.text
    await chat.press("Sửa: Name")
    await chat.send("Mai")
    assert "• Name: Mai" in chat.text
    await chat.press("Xác nhận")
    assert chat.text == "Saved: red, Mai, 2."
    await chat.send("Xác nhận", payload="form:t.survey:confirm")  # a second tap
    assert STALE in chat.text


async def test_a_global_word_typed_as_a_name_asks_first(make_app, database_url):
    chat = survey_chat(make_app, database_url)
    await chat.send("/tform")
    await chat.press("Blue")
    await chat.send("Huy")
    assert "“Huy” là câu trả lời ạ?" in chat.text
    await chat.press("Tôi trả lời “Huy”")
    assert chat.text == "Your village?"
    await chat.send("Bản Hụm")
    assert "• Name: Huy" in chat.text


async def test_a_number_typed_under_the_stop_or_answer_question_presses_its_button(
    make_app, database_url
):
    chat = survey_chat(make_app, database_url)
    await chat.send("/tform")
    await chat.press("Blue")
    await chat.send("Huy")
    await chat.send("1")  # the name step reads digits, but this question has buttons
    assert chat.text == "Your village?"
    await chat.send("Hủy")  # the village step: the word is asked about again
    await chat.send("Bản 2")  # typed instead of a button: the village, and the question gone
    assert "• Name: Huy" in chat.text and "• Village: Bản 2" in chat.text


async def test_a_global_word_can_still_stop(make_app, database_url):
    chat = survey_chat(make_app, database_url)
    await chat.send("/tform")
    await chat.send("hủy")  # at a question with buttons: nothing typed to lose
    assert chat.text.startswith("Đã dừng")
    await chat.send("/tform")
    await chat.press("Red")
    await chat.send("huy")
    await chat.press("Dừng")
    assert chat.text.startswith("Đã dừng")
    await chat.send("Bản Hụm")  # no form any more: an ordinary question
    assert "Your village?" not in chat.text


async def test_old_and_foreign_buttons_get_the_one_stale_answer(make_app, database_url):
    chat = survey_chat(make_app, database_url)
    await chat.send("/tform")
    await chat.press("Red")
    for payload in (
        "form:t.survey:v:colour:blue",  # the question before
        "form:t.survey:v:name:x",  # a step without buttons
        "form:t.survey:edit:name",  # no summary yet
        "form:nosuch:confirm",
    ):
        await chat.send("x", payload=payload)
        assert STALE in chat.text, payload
    await chat.send("Lan")  # the form is still where it was
    assert chat.text == "Your village?"


async def test_a_form_survives_a_restart(make_app, database_url):
    chat = survey_chat(make_app, database_url)
    await chat.send("/tform")
    await chat.press("Red")
    again = survey_chat(make_app, database_url)  # another process on the same database
    await again.send("Lan")
    assert again.text == "Your village?"


async def test_a_changed_form_restarts_politely(make_app, database_url):
    chat = survey_chat(make_app, database_url)
    await chat.send("/tform")
    await chat.press("Red")
    newer = survey_chat(make_app, database_url, version=2)
    await newer.send("Lan")
    assert newer.text.startswith("Các câu hỏi đã được thay đổi")
    assert newer.text.endswith("Which colour?")


async def test_after_a_week_it_offers_to_go_on_or_start_again(make_app, database_url):
    chat = survey_chat(make_app, database_url)
    await chat.send("/tform")
    await chat.press("Blue")
    later = survey_chat(make_app, database_url, today=date(2026, 12, 11))
    await later.send("Lan")
    assert "Ngày 03/12/2026 anh/chị đang làm dở: the test survey" in later.text
    assert later.labels == ["Tiếp tục", "Làm lại từ đầu", "Dừng"]
    await later.press("Tiếp tục")
    assert later.text == "Your name?"
    await later.send("Lan")
    await later.send("Bản Hụm")
    assert "• Colour: blue" in later.text
    even_later = survey_chat(make_app, database_url, today=date(2026, 12, 30))
    await even_later.send("hello")
    await even_later.press("Làm lại từ đầu")
    assert even_later.text == "Which colour?"


async def test_where_digits_are_read_a_number_is_data_unless_it_cannot_be(make_app, database_url):
    chat = survey_chat(make_app, database_url)
    await chat.send("/tmodel")
    assert chat.labels == ["Don't know", "Dừng"]
    await chat.send("105")  # a model number, not button 105
    assert chat.text == "Which 105?" and chat.labels[:2] == ["105 (2G)", "105 4G"]
    await chat.send("quay lại")  # back from "which of these" asks the question again
    assert chat.text == "Which model?"
    await chat.send("2")  # no model is called "2", and only one value button: not a choice
    assert chat.text == "Type the model, for example 105:\nWhich model?"
    await chat.send("1")  # the numbered value button
    assert chat.text == "Model: unknown."
    await chat.send("/tmodel")
    await chat.send("105")
    await chat.send("2")  # the second of the options offered
    assert chat.text == "Model: 105-4g."

"""Checking a phone in the chat: by model, by IMEI, by questions; checks and misses are stored."""

from __future__ import annotations

import asyncio
import json

import pytest
from typer.testing import CliRunner

from bot.cli import cli
from bot.services.tac_import import TacFormat, import_tac_file
from db.repositories.devices import DeviceCheckRepository
from db.repositories.users import UserRepository
from tests.support.chat import Chat
from tests.support.misses import stored_device_misses
from tests.support.texts import word_count

pytestmark = pytest.mark.db


async def stored_checks(app, user_id="tester"):
    async with app.runner.sessionmaker() as session:
        user = await UserRepository(session).get_by_external_id(channel="test", external_id=user_id)
        return await DeviceCheckRepository(session).for_user(user.id)


async def test_from_grandmothers_old_nokia_to_a_verdict(make_app, database_url):
    app = make_app(database_url)
    chat = Chat(app)
    await chat.send("máy bà nội e là nokia cũ")
    assert "Hãng Nokia" in chat.text
    await chat.press("Không biết tên máy")
    assert chat.text.startswith("Câu hỏi 1")
    await chat.send("ko")  # no 4G icon
    assert chat.text.startswith("Câu hỏi 2")
    await chat.send("không")  # cannot go online
    assert "Máy của anh/chị có thể chỉ dùng được sóng 2G." in chat.text  # unsure: "có thể"
    assert "16/10/2024" in chat.text
    assert "Ai được hỗ trợ" in chat.labels and "Giá máy 4G" in chat.labels
    assert "Đăng ký hỗ trợ" in chat.labels  # an affected phone leads to the registration
    assert not any("nhắc" in label for label in chat.labels)
    [check] = await stored_checks(app)
    assert (check.kind, check.verdict, check.confidence) == ("questions", "2g_only", "medium")
    await chat.press("Xem thêm")
    assert "Nguồn:\n• câu trả lời của anh/chị" in chat.text


async def test_model_typed_in_a_sentence_gets_a_short_sure_verdict(make_app, database_url):
    app = make_app(database_url)
    chat = Chat(app)
    await chat.send("dt cua me e la nokia 1280 con dung dc ko")
    assert chat.text.startswith("Máy Nokia 1280 chỉ dùng được sóng 2G.")
    assert "có thể" not in chat.text.split("\n")[0]
    assert word_count(chat.text) <= 80
    await chat.press("Xem thêm")
    assert "Nguồn:\n• GSMArena" in chat.text
    assert "fact sheet" not in chat.text and "§" not in chat.text and "re-post" not in chat.text
    assert "không hủy số ngay" in chat.text
    [check] = await stored_checks(app)
    assert (check.kind, check.brand, check.model, check.verdict) == (
        "model",
        "Nokia",
        "1280",
        "2g_only",
    )


async def test_verdict_tense_follows_the_date(make_app, database_url):
    chat = Chat(make_app(database_url, bot_today="2024-10-10"))
    await chat.send("/kiemtra nokia 1280")
    assert "sẽ không gọi đi, nghe gọi đến" in chat.text
    assert "còn 6 ngày nữa" in chat.text


@pytest.mark.parametrize("typed", ["Sony Ericsson K800i", "LG KG800", "Sony Ericsson T610"])
async def test_another_brands_phone_is_never_the_answer(make_app, database_url, typed):
    chat = Chat(make_app(database_url))
    await chat.send(f"/kiemtra {typed}")
    first_line = chat.text.split("\n")[0]
    brand = typed.rsplit(" ", 1)[0]
    assert first_line.startswith(f"Máy {brand} "), first_line
    assert "Nokia" not in chat.text and "Galaxy" not in chat.text


async def test_a_model_the_catalogue_lacks_goes_to_the_questions_and_is_kept(
    make_app, database_url, monkeypatch
):
    app = make_app(database_url)
    chat = Chat(app)
    await chat.send("máy của mẹ là nokia 9999X")
    assert chat.text.startswith("Tôi chưa có thông tin về máy Nokia 9999X ạ.")
    assert "Câu hỏi 1" in chat.text  # not "please type the name again"
    [miss] = await stored_device_misses(app)
    assert (miss.kind, miss.brand, miss.model, miss.count) == ("model", "Nokia", "9999X", 1)
    await chat.send("có")
    await chat.send("có")
    await chat.send("có")
    assert "Máy Nokia 9999X của anh/chị có thể gọi được qua 4G (VoLTE)." in chat.text
    monkeypatch.setenv("DATABASE_URL", database_url)
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["devices", "misses"])
    assert result.exit_code == 0, result.output
    assert "9999X" in result.output and "Nokia" in result.output


async def test_variants_are_offered_and_one_is_picked(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("/start")
    await chat.press("Kiểm tra điện thoại")
    await chat.send("Nokia 105")
    assert "nhiều loại máy" in chat.text
    assert "Nokia 105 4G (2021)" in chat.labels
    old = next(label for label in chat.labels if label.startswith("Nokia 105 (20"))
    await chat.press(old)
    assert "chỉ dùng được sóng 2G" in chat.text


async def test_phone_with_volte_is_reassured(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("/kiemtra iphone 7")
    assert "gọi được qua 4G (VoLTE)" in chat.text
    assert "Kiểm tra máy khác" in chat.labels


async def test_a_4g_phone_of_unknown_volte_is_told_how_to_check(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("/kiemtra nokia 215 4g")
    assert "chưa biết máy có gọi được qua 4G (VoLTE) không" in chat.text
    assert "Cài đặt" in chat.text and "cửa hàng nhà mạng" in chat.text
    await chat.press("Xem thêm")
    assert "Không thấy chữ này chưa chắc là máy không gọi được qua 4G" in chat.text


async def test_imei_on_a_fresh_install_uses_the_shipped_tac_table(make_app, database_url):
    app = make_app(database_url)
    chat = Chat(app)
    await chat.send("IMEI: 01194800-123456-?".replace("?", _check_digit("01194800123456")))
    assert chat.text.startswith("Máy Apple iPhone 3GS")  # exactly the model its TAC names
    [check] = await stored_checks(app)
    assert check.tac == "01194800" and check.query == "01194800*******"


async def test_an_imported_tac_file_wins_over_the_shipped_table(make_app, database_url, tmp_path):
    app = make_app(database_url)
    path = tmp_path / "tac.csv"
    path.write_text("35152404,Nokia,1280\n35332510,Acme,Unknownphone 9\n", encoding="utf-8")
    await import_tac_file(app.runner.sessionmaker, path, TacFormat.CSV)
    chat = Chat(app)
    await chat.send("IMEI: 35-152404-123456-2")
    assert chat.text.startswith("Máy Nokia 1280")
    [check] = await stored_checks(app)
    assert check.query == "35152404*******"  # the serial part is never stored
    assert check.tac == "35152404"
    await chat.send("35332510" + "123456" + _check_digit("35332510123456"))
    assert chat.text.startswith("Số IMEI này là của máy Acme Unknownphone 9.")
    assert "Câu hỏi 1" in chat.text
    assert [(m.kind, m.tac) for m in await stored_device_misses(app)] == [("imei", "35332510")]


async def test_bad_imei_is_explained_kindly_and_nothing_is_lost(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("/kiemtra")
    await chat.send("35 152404 123456 3")
    assert "gõ nhầm một chữ số" in chat.text
    assert "*#06#" in chat.text
    await chat.send("3515240412345")
    assert "15 chữ số" in chat.text
    await chat.send("nokia 1280")  # still in the check: the next try works
    assert chat.text.startswith("Máy Nokia 1280")


@pytest.mark.parametrize(
    ("typed", "said"),
    [("0912 345 678", "số điện thoại"), ("001089012345", "số căn cước")],
)
async def test_a_phone_or_id_number_is_not_a_mistyped_imei(make_app, database_url, typed, said):
    chat = Chat(make_app(database_url))
    await chat.send("/kiemtra")
    await chat.send(typed)
    assert said in chat.text
    assert "gõ nhầm" not in chat.text and "độ dài" not in chat.text
    assert "*#06#" in chat.text


async def test_dont_know_at_the_phone_prompt_opens_the_questions(make_app, database_url):
    chat = Chat(make_app(database_url))
    for typed in ("không biết", "ko biet", "kb"):
        await chat.send("/kiemtra")
        await chat.send(typed)
        assert chat.text.startswith("Câu hỏi 1"), typed


async def test_a_bare_number_at_the_phone_prompt_stays_what_was_typed(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("/kiemtra")
    await chat.send("2")  # the prompt offers two buttons: "2" is not the menu button here
    assert "chưa nhận ra tên máy" in chat.text and "Lộ trình tắt sóng" not in chat.text
    await chat.send("Không biết tên máy")  # a button's label typed still presses it
    assert chat.text.startswith("Câu hỏi 1")
    await chat.send("2")  # the questions ask for a choice: "2" is the second button
    assert chat.text.startswith("Câu hỏi 2")


async def test_back_steps_back_in_the_questions_and_exit_leaves(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("/kiemtra")
    await chat.press("Không biết tên máy")
    await chat.send("có")
    assert chat.text.startswith("Câu hỏi 2")
    await chat.send("quay lại")
    assert chat.text.startswith("Câu hỏi 1")
    await chat.send("quay lai")
    assert "*#06#" in chat.text  # back to the phone prompt
    await chat.send("thoát")
    assert chat.text.startswith("Đã dừng")
    await chat.send("có")  # no longer in the questions
    assert not chat.text.startswith("Câu hỏi")


async def test_unknown_text_in_the_check_offers_the_questions(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("/kiemtra")
    await chat.send("cái máy đen đen")
    assert "chưa nhận ra tên máy" in chat.text
    await chat.press("Không biết tên máy")
    await chat.send("có")
    await chat.send("có")
    assert chat.text.startswith("Câu hỏi 3")  # HD / VoLTE icon
    await chat.send("không")  # no icon seen: not a "no VoLTE" verdict
    assert "chưa biết máy có gọi được qua 4G (VoLTE) không" in chat.text
    assert "không gọi được qua 4G (VoLTE)." not in chat.text.split("\n")[0]


async def test_quiz_understands_typed_answers_and_asks_again_otherwise(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("/kiemtra")
    await chat.press("Không biết tên máy")
    await chat.send("maybe")
    assert "Có, Không hoặc Không biết" in chat.text
    await chat.send("3")  # the third button: "Không biết"
    assert chat.text.startswith("Câu hỏi 2")


async def test_a_question_mentioning_the_operator_is_not_a_phone_check(make_app, database_url):
    app = make_app(database_url)
    chat = Chat(app)
    await chat.send("tổng đài viettel 1800 8098 có mất tiền không")
    assert "Câu hỏi 1" not in chat.text and "Tôi chưa biết máy" not in chat.text
    assert await stored_device_misses(app) == []


def _check_digit(fourteen: str) -> str:
    from stdnum import luhn

    return luhn.calc_check_digit(fourteen)


def test_bot_device_json_on_a_fresh_install(tmp_path, monkeypatch):
    """No `bot db upgrade` first: the embedded database is created, and IMEIs are known."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/fresh.db")
    imei_3gs = "01194800123456" + _check_digit("01194800123456")
    result = CliRunner().invoke(
        cli,
        ["device", "--json"],
        input=f"35 152404 123456 2\n351524041234563\nnokia 105\nxin chao\n{imei_3gs}/01\n"
        "Sony Ericsson K800i\n0912345678\nnokia 9999X\n",
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    fields = {"query", "kind", "valid", "tac", "brand", "model", "in_catalogue", "verdict",
              "affected", "volte", "confidence", "lte_in_some_versions", "source", "url",
              "choices"}  # fmt: skip
    assert all(set(row) == fields for row in rows)
    assert (rows[0]["kind"], rows[0]["valid"], rows[0]["verdict"]) == ("imei", True, "2g_only")
    assert rows[0]["affected"] is True
    assert (rows[1]["kind"], rows[1]["valid"]) == ("imei", False)
    assert (rows[2]["brand"], rows[2]["verdict"]) == ("Nokia", "unknown")
    assert len(rows[2]["choices"]) >= 2
    assert rows[3]["kind"] == "unknown"
    assert (rows[4]["model"], rows[4]["tac"]) == ("iPhone 3GS", "01194800")
    assert rows[5]["brand"] == "Sony Ericsson"
    assert rows[6]["kind"] == "phone_number"
    assert (rows[7]["model"], rows[7]["in_catalogue"], rows[7]["verdict"]) == (
        "9999X",
        False,
        "unknown",
    )
    for row in rows:
        assert not (row["verdict"] == "4g" and row["confidence"] == "high")
        assert "§" not in json.dumps(row) and "fact sheet" not in json.dumps(row)

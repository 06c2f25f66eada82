"""Checking a phone in the chat: by model, by IMEI, by questions; checks are stored."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bot.cli import cli
from bot.core.i18n import load_catalogs, use_locale
from bot.handlers.device import source_for_citizens
from bot.services.tac_import import TacFormat, import_tac_file
from db.repositories.devices import DeviceCheckRepository
from db.repositories.users import UserRepository
from tests.support.chat import Chat

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
    assert "chỉ dùng sóng 2G" in chat.text
    assert "16/10/2024" in chat.text
    assert "Mức độ chắc chắn: khá chắc" in chat.text
    assert chat.labels[:2] == ["Đăng ký hỗ trợ", "Nhận nhắc nhở"]
    [check] = await stored_checks(app)
    assert (check.kind, check.verdict, check.confidence) == ("questions", "2g_only", "medium")


async def test_model_typed_in_a_sentence_gets_a_verdict(make_app, database_url):
    app = make_app(database_url)
    chat = Chat(app)
    await chat.send("dt cua me e la nokia 1280 con dung dc ko")
    assert "Máy: Nokia 1280." in chat.text
    assert "chỉ dùng sóng 2G" in chat.text
    assert "Nguồn:" in chat.text
    # The catalogue's notes for staff are not shown; the source is named in Vietnamese.
    assert "fact sheet" not in chat.text and "re-post" not in chat.text
    assert "thông số máy trên GSMArena" in chat.text
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
    assert "sẽ bị ngừng phục vụ" in chat.text
    assert "còn 6 ngày nữa" in chat.text


async def test_variants_are_offered_and_one_is_picked(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("/start")
    await chat.press("Kiểm tra điện thoại")
    await chat.send("Nokia 105")
    assert "nhiều loại máy" in chat.text
    assert "Nokia 105 (2019)" in chat.labels
    assert "Nokia 105 4G (2021)" in chat.labels
    await chat.press("Nokia 105 (2019)")
    assert "Máy: Nokia 105 (2019)." in chat.text
    assert "chỉ dùng sóng 2G" in chat.text


async def test_phone_with_volte_is_reassured(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("/kiemtra iphone 7")
    assert "gọi được qua 4G (VoLTE)" in chat.text
    assert "Kiểm tra máy khác" in chat.labels


async def test_imei_after_importing_tacs(make_app, database_url, tmp_path):
    app = make_app(database_url)
    path = tmp_path / "tac.csv"
    path.write_text("35152404,Nokia,1280\n35332510,Acme,Unknownphone 9\n", encoding="utf-8")
    await import_tac_file(app.runner.sessionmaker, path, TacFormat.CSV)
    chat = Chat(app)
    await chat.send("IMEI: 35-152404-123456-2")
    assert "Máy: Nokia 1280." in chat.text
    [check] = await stored_checks(app)
    assert check.query == "35152404*******"  # the serial part is never stored
    assert check.tac == "35152404"


async def test_bad_imei_is_explained_kindly_and_nothing_is_lost(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("/kiemtra")
    await chat.send("35 152404 123456 3")
    assert "gõ nhầm một chữ số" in chat.text
    assert "*#06#" in chat.text
    await chat.send("3515240412345")
    assert "15 chữ số" in chat.text
    await chat.send("nokia 1280")  # still in the check: the next try works
    assert "Máy: Nokia 1280." in chat.text


async def test_unknown_text_in_the_check_offers_the_questions(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("/kiemtra")
    await chat.send("cái máy đen đen")
    assert "chưa nhận ra tên máy" in chat.text
    await chat.press("Không biết tên máy")
    await chat.send("có")
    await chat.send("có")
    assert chat.text.startswith("Câu hỏi 3")  # HD / VoLTE icon
    await chat.send("không biết")
    assert "chưa rõ máy có gọi được qua 4G" in chat.text


async def test_quiz_understands_typed_answers_and_asks_again_otherwise(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("/kiemtra")
    await chat.press("Không biết tên máy")
    await chat.send("maybe")
    assert "Có, Không hoặc Không biết" in chat.text
    await chat.send("3")  # the third button: "Không biết"
    assert chat.text.startswith("Câu hỏi 2")


def test_bot_device_json(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/bot.db"
    monkeypatch.setenv("DATABASE_URL", url)
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    tac = tmp_path / "tac.csv"
    tac.write_text("35152404,Nokia,1280\n", encoding="utf-8")
    assert runner.invoke(cli, ["devices", "import-tac", str(tac), "--format", "csv"]).exit_code == 0
    result = runner.invoke(
        cli,
        ["device", "--json"],
        input="35 152404 123456 2\n351524041234563\nnokia 105\nxin chao\n",
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    fields = {
        "query",
        "kind",
        "valid",
        "tac",
        "brand",
        "model",
        "verdict",
        "volte",
        "confidence",
        "source",
    }
    assert all(set(row) == fields for row in rows)
    assert (rows[0]["kind"], rows[0]["valid"], rows[0]["verdict"]) == ("imei", True, "2g_only")
    assert (rows[1]["kind"], rows[1]["valid"]) == ("imei", False)
    assert (rows[2]["kind"], rows[2]["brand"], rows[2]["verdict"]) == ("model", "Nokia", "unknown")
    assert rows[3]["kind"] == "unknown"


@pytest.mark.parametrize(
    ("note", "shown"),
    [
        ("GSMArena spec sheet", "thông số máy trên GSMArena"),
        ("not verified (fact sheet §5.1: NOT CONFIRMED)", "chưa có nguồn xác nhận"),
        ("Nokia/HMD spec sheet; VoLTE NOT CONFIRMED (§5.1)", "thông số máy của Nokia/HMD"),
        ("vietfones.vn (fact sheet §5.1)", "vietfones.vn"),
        ("kenhtingame.com re-post (fact sheet §5.1)", "kenhtingame.com (bài báo đăng lại)"),
    ],
)
def test_source_notes_are_told_plainly(locales_dir, note, shown):
    load_catalogs(locales_dir, ("vi", "en"))
    with use_locale("vi"):
        assert source_for_citizens(note) == shown

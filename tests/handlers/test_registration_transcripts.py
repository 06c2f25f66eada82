"""Registering a household in the chat, as people would: for themselves, for a parent, as a
commune official; consent first; bad input; duplicates; correction, withdrawal, erasure."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select, update

from bot.core.clock import Clock
from db.models import AuditEntry, Base, Consent, Conversation, Registration, RegistrationEvent
from tests.support.chat import Chat, InboxChat
from tests.support.registration import begin_for_myself, fill

pytestmark = pytest.mark.db
REFERENCE = re.compile(r"HT-[34679ACDEFGHJKMNPQRTUVWXY]{5}")
# Registrations carry the real time they were made (the tests pin only the content's "today").
MADE_ON = Clock().today().strftime("%d/%m/%Y")


async def rows(app, model):
    async with app.runner.sessionmaker() as session:
        key = next(iter(model.__table__.primary_key.columns))
        return (await session.scalars(select(model).order_by(key))).all()


async def count(app, model) -> int:
    async with app.runner.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_person_registers_their_own_household(make_app, database_url):
    app = make_app(database_url)
    chat = InboxChat(app, user_id="1001")
    await fill(chat, name="Huy", village="2")  # a name that is also "hủy", a bare "2"
    assert "• Chủ hộ: Huy" in chat.text and "• Thôn/bản/tổ: 2" in chat.text
    assert "• Số điện thoại liên hệ: 0912 345 678" in chat.text
    await chat.press("Gửi")
    [reference] = REFERENCE.findall(chat.text)
    assert "Hỗ trợ chưa chắc chắn" in chat.text
    assert "Hồ sơ của tôi" in chat.labels
    await chat.send("Gửi", payload="form:reg:confirm")  # a double tap on "Gửi"
    assert chat.text.startswith("Nút này không còn dùng được nữa")
    [row] = await rows(app, Registration)
    assert (row.reference, row.status, row.channel) == (reference, "submitted", "telegram")
    assert (row.head_name, row.contact_phone, row.old_phone) == ("Huy", "+84912345678", None)
    assert (row.province_code, row.village, row.category) == (14, "2", "poor")
    assert (row.registrant, row.relation, row.help_wanted) == ("self", None, "keypad4g")
    [consent] = await rows(app, Consent)
    assert (consent.user_id, consent.text_version, consent.channel, consent.on_behalf) == (
        row.user_id,
        "reg-2026-12",
        "telegram",
        "self",
    )
    assert row.consent_id == consent.id
    [event] = await rows(app, RegistrationEvent)
    assert (event.from_status, event.to_status) == (None, "submitted")


async def test_a_relative_needs_the_household_heads_agreement(make_app, database_url):
    app = make_app(database_url)
    chat = Chat(app)
    await chat.send("/dangky")
    await chat.send("cho bà tôi")  # typed: kin words come before "tôi"
    assert chat.text.startswith("Chủ hộ là gì của anh/chị?")
    await chat.press("Ông hoặc bà")
    await chat.press("Không")
    assert chat.text.startswith("Chỉ đăng ký được khi chủ hộ đồng ý.")
    assert "Chủ hộ có đồng ý cho đăng ký không ạ?" in chat.text
    await chat.send("co")
    assert "Anh/chị có đồng ý không?" in chat.text
    await chat.send("dong y")
    await chat.send("lo thi an")
    assert chat.text.startswith("Xã/phường liên hệ với hộ qua số di động nào?")
    await chat.send("+84 98 765 4321")
    await chat.press("Không, số khác")
    await chat.send("0987.654.322")
    await chat.send("Sơn La")
    await chat.send("muong la")
    await chat.send("Bản Nà Sài")
    await chat.send("nguoi cao tuoi song 1 minh")
    await chat.send("nokia 1280")
    await chat.send("may thong minh")
    assert "• Quan hệ: Ông hoặc bà" in chat.text and "• Chủ hộ: Lo Thi An" in chat.text
    assert "• Số máy cũ: 0987 654 322" in chat.text
    assert "• Máy đang dùng: Nokia 1280 (bị ảnh hưởng khi tắt sóng)" in chat.text
    await chat.press("Gửi")
    [row] = await rows(app, Registration)
    assert (row.registrant, row.relation, row.category) == (
        "relative",
        "grandparent",
        "elderly_alone",
    )
    assert (row.contact_phone, row.old_phone) == ("+84987654321", "+84987654322")
    assert (row.device_name, row.device_verdict, row.help_wanted) == (
        "Nokia 1280",
        "2g_only",
        "smartphone",
    )
    [consent] = await rows(app, Consent)
    assert consent.on_behalf == "relative"


async def test_a_commune_official_registers_a_household(make_app, database_url):
    app = make_app(database_url)
    chat = Chat(app, user_id="official-1")
    await fill(chat, who="Hộ dân (tôi là cán bộ xã/phường)", name="Cầm Văn Sơn", ward="To Hieu")
    assert "• Đăng ký cho: Hộ dân (tôi là cán bộ xã/phường)" in chat.text
    await chat.press("Gửi")
    [row] = await rows(app, Registration)
    assert (row.registrant, row.head_name) == ("official", "Cầm Văn Sơn")
    [consent] = await rows(app, Consent)
    assert consent.on_behalf == "official"


async def test_refusing_consent_stores_nothing(make_app, database_url):
    app = make_app(database_url)
    chat = Chat(app)
    await chat.send("/dangky")
    await chat.press("Tôi (hộ của tôi)")
    await chat.press("Tôi không đồng ý")
    assert chat.text.startswith("Dạ, tôi không lưu thông tin gì của hộ.")
    assert "Ủy ban nhân dân xã/phường" in chat.text
    assert await count(app, Registration) == 0 and await count(app, Consent) == 0
    [conversation] = await rows(app, Conversation)
    assert (conversation.state, conversation.data) == (None, {})


async def test_bad_answers_get_a_clear_answer_and_lose_nothing(make_app, database_url):
    app = make_app(database_url)
    chat = Chat(app)
    await begin_for_myself(chat)
    await chat.send("Lò Văn 2")
    assert chat.text.startswith("Tên không có chữ số.")
    await chat.send("Lò Văn Huy 😀")
    assert chat.text.startswith("Anh/chị chỉ gõ họ tên bằng chữ")
    await chat.send("Lò Văn Huy")
    await chat.send("024 3823 4567")
    assert chat.text.startswith("Đây là số máy bàn.")
    await chat.send("+1 202 555 0143")
    assert chat.text.startswith("Đây không phải số Việt Nam.")
    await chat.send("123")
    assert chat.text.startswith("Số này không giống số di động Việt Nam.")
    await chat.send("0912345678")
    await chat.press("Có, đúng số này")
    await chat.press("Sơn La")
    await chat.send("xã không có thật")
    assert chat.text.startswith("Tôi không tìm thấy xã/phường “xã không có thật” ở Sơn La.")
    await chat.send("ba dinh")  # in Hà Nội and Thanh Hóa, not in Sơn La
    assert "Sơn La không có xã/phường nào tên “ba dinh”" in chat.text
    assert "Thành phố Hà Nội" in chat.text and "Thanh Hóa" in chat.text
    await chat.send("chieng sinh")
    await chat.send("Bản " + "Hụm " * 40)
    assert chat.text.startswith("Dài quá 100 ký tự.")
    await chat.send("Bản Hụm")
    assert chat.text.startswith("Hộ thuộc diện nào?")
    assert await count(app, Registration) == 0 and await count(app, Consent) == 0


async def test_a_commune_name_close_to_several_is_confirmed_with_buttons(make_app, database_url):
    chat = Chat(make_app(database_url))
    await begin_for_myself(chat)
    await chat.send("Lò Văn Huy")
    await chat.send("0912345678")
    await chat.press("Có, đúng số này")
    await chat.send("son la")
    await chat.send("chieng sin")  # a typo
    assert chat.text.startswith("Có phải một trong các xã/phường này của Sơn La không?")
    assert "Phường Chiềng Sinh" in chat.labels and "Xã Chiềng Sơn" in chat.labels
    await chat.send("1")  # the first button
    assert chat.text.startswith("Hộ ở thôn, bản hay tổ nào?")


async def test_the_same_household_twice_is_offered_for_update(make_app, database_url):
    app = make_app(database_url)
    chat = Chat(app)
    await fill(chat)
    await chat.press("Gửi")
    [first] = REFERENCE.findall(chat.text)
    await fill(chat, village="Bản Hụm 2")
    await chat.press("Gửi")
    assert f"Anh/chị đã đăng ký hộ này rồi (cùng số điện thoại và xã/phường): {first}" in chat.text
    await chat.press("Có, cập nhật")
    assert chat.text.startswith(f"Hồ sơ {first} đã được sửa.")
    [row] = await rows(app, Registration)
    assert row.village == "Bản Hụm 2"
    assert await count(app, Consent) == 1


async def test_the_same_household_from_telegram_and_zalo_is_one_record(make_app, database_url):
    app = make_app(database_url)
    on_telegram = InboxChat(app, user_id="7001", channel="telegram")
    await fill(on_telegram)
    await on_telegram.press("Gửi")
    on_zalo = InboxChat(app, user_id="zalo-42", channel="zalo")
    await fill(on_zalo, phone="+84912345678", ward="Phường Chiềng Sinh")
    await on_zalo.press("Gửi")
    assert f"đã được một tài khoản khác đăng ký ngày {MADE_ON}" in on_zalo.text
    assert REFERENCE.search(on_zalo.text) is None  # the other person's code is not shown
    assert await count(app, Registration) == 1 and await count(app, Consent) == 1


async def test_correct_then_withdraw_from_my_registrations(make_app, database_url):
    app = make_app(database_url)
    chat = Chat(app)
    await fill(chat)
    await chat.press("Gửi")
    [reference] = REFERENCE.findall(chat.text)
    await chat.send("hồ sơ của tôi")
    assert f"• {reference} ({MADE_ON}): Lò Văn Huy, Phường Chiềng Sinh." in chat.text
    await chat.press(f"Xem hồ sơ {reference}")
    assert "Tình trạng: đã gửi, chờ xã/phường kiểm tra" in chat.text
    await chat.press("Sửa hồ sơ")
    await chat.press("Sửa: Diện hộ")
    await chat.press("Hộ cận nghèo")
    await chat.press("Gửi")
    assert chat.text.startswith(f"Hồ sơ {reference} đã được sửa.")
    await chat.send("/hoso")
    await chat.press(f"Xem hồ sơ {reference}")
    assert f"• {MADE_ON}: đã sửa thông tin" in chat.text
    await chat.press("Rút hồ sơ")
    await chat.press("Có, rút hồ sơ")
    assert chat.text.startswith(f"Hồ sơ {reference} đã được rút.")
    [row] = await rows(app, Registration)
    assert (row.status, row.category) == ("withdrawn", "near_poor")
    steps = [(e.from_status, e.to_status) for e in await rows(app, RegistrationEvent)]
    assert steps == [(None, "submitted"), ("submitted", "submitted"), ("submitted", "withdrawn")]
    await fill(chat)  # withdrawn: the household may register again
    await chat.press("Gửi")
    assert await count(app, Registration) == 2


async def test_a_verified_registration_can_no_longer_be_corrected(make_app, database_url):
    app = make_app(database_url)
    chat = Chat(app)
    await fill(chat)
    await chat.press("Gửi")
    [reference] = REFERENCE.findall(chat.text)
    await chat.send("/hoso")
    await chat.press(f"Xem hồ sơ {reference}")
    async with app.runner.sessionmaker() as session, session.begin():
        await session.execute(update(Registration).values(status="verified"))
    await chat.press("Sửa hồ sơ")  # the button from before the commune checked it
    assert chat.text.startswith(f"Hồ sơ {reference} đã được xã/phường kiểm tra")
    await chat.send("/hoso")
    await chat.press(f"Xem hồ sơ {reference}")
    assert "Sửa hồ sơ" not in chat.labels and "Rút hồ sơ" in chat.labels


async def test_the_device_check_runs_inside_the_form(make_app, database_url):
    chat = Chat(make_app(database_url))
    await begin_for_myself(chat)
    for answer in ("Lò Văn Huy", "0912345678", "co", "son la", "chieng sinh", "Bản Hụm", "2"):
        await chat.send(answer)
    assert chat.text.startswith("Hộ đang dùng điện thoại nào?")
    await chat.send("105")  # digits are read here: Nokia 105 is a model, not button 105
    assert chat.text.startswith("Tên này gồm nhiều loại máy.")
    await chat.press("Quay lại")
    await chat.send("1")  # no phone is called "1": the numbered option "Không biết"
    assert chat.text.startswith("Hộ cần hỗ trợ gì?")
    await chat.press("Quay lại")
    await chat.send("nokia 105")  # a name that covers several phones
    assert chat.text.startswith("Tên này gồm nhiều loại máy.")
    choice = next(label for label in chat.labels if "4G" in label)
    await chat.press(choice)
    assert chat.text.startswith("Hộ cần hỗ trợ gì?")
    await chat.press("Quay lại")
    await chat.send("3524 1234 5678 901")  # an IMEI with a wrong check digit
    assert chat.text.startswith("Số IMEI này không đúng.")


async def test_a_form_left_for_a_week_offers_to_go_on(make_app, sqlite_url):
    chat = Chat(make_app(sqlite_url))
    await begin_for_myself(chat)
    await chat.send("Lò Văn Huy")
    later = Chat(make_app(sqlite_url, bot_today=date(2026, 12, 12)))
    await later.send("0912345678")
    assert "Ngày 03/12/2026 anh/chị đang làm dở: đăng ký hỗ trợ" in later.text
    await later.press("Tiếp tục")
    assert later.text.startswith("Xã/phường liên hệ với hộ qua số di động nào?")
    await later.send("0912345678")
    assert later.text.startswith("Đây cũng là số của máy cũ")


async def test_erasing_my_data_leaves_nothing_personal_in_any_table(make_app, database_url):
    app = make_app(database_url)
    chat = InboxChat(app, user_id="5550001", display_name="Lò Thị Mai")
    await chat.send("/kiemtra nokia 1280")
    await fill(chat, name="Quàng Văn Khánh", phone="0912 777 888", village="Bản Pá Sang")
    await chat.press("Gửi")
    await chat.send("Dữ liệu của tôi")
    assert "• hồ sơ đã đăng ký: 1" in chat.text and "• lần kiểm tra máy: 1" in chat.text
    assert ": Quàng Văn Khánh, 0912 777 888" in chat.text  # each item, not only counts
    assert ": Nokia 1280" in chat.text and ": cho hộ của mình" in chat.text
    assert "• tài khoản Telegram và tên hiển thị: Lò Thị Mai;" in chat.text
    assert "• địa chỉ để nhắn tin cho anh/chị sau này" in chat.text
    await chat.press("Xóa dữ liệu của tôi")
    await chat.press("Có, xóa hết")
    assert chat.text.startswith("Xong: mọi thông tin của anh/chị đã được xóa (1 hồ sơ")
    personal = ("5550001", "chat-5550001", "Lò Thị Mai", "Quàng Văn Khánh", "912777888",
                "912 777 888", "Pá Sang", "nokia 1280", "Nokia")  # fmt: skip
    async with app.runner.sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                text = " ".join(str(value) for value in row)
                found = [item for item in personal if item.lower() in text.lower()]
                if table.name in ("tac_models",):
                    continue  # the packaged catalogue of phone models, not anyone's data
                assert not found, f"{table.name}: {found} in {text[:300]}"
    assert await count(app, Registration) == 0 and await count(app, Consent) == 0
    [entry] = await rows(app, AuditEntry)
    assert entry.action == "personal_data.erased"
    await chat.send("/hoso")  # the same person again: a fresh start
    assert chat.text.startswith("Anh/chị chưa đăng ký hộ nào.")


async def test_the_privacy_answer_points_to_the_commands(make_app, database_url):
    chat = Chat(make_app(database_url))
    await chat.send("bot lưu thông tin cá nhân của tôi thế nào")
    assert "/dulieu" in chat.text
    assert "Dữ liệu của tôi" in chat.labels and "Xóa dữ liệu của tôi" in chat.labels
    await chat.press("Xem thêm")
    assert "/xoadulieu" in chat.text and "chưa làm được" not in chat.text

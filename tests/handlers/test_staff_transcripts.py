"""The staff side of the chat, as officials would use it: the guard that hides it from
citizens, an officer's commune, a viewer who cannot change anything, the workflow with its
history, audit and the message that tells the citizen once, invitations and linked accounts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.core.messages import reply_from_body
from db.models import AuditEntry, OutboxMessage, RegistrationEvent, StaffInvite, User
from tests.support.chat import Chat, InboxChat
from tests.support.registration import fill
from tests.support.staff import CHIENG_SINH, SON_LA, TO_HIEU, add_staff

pytestmark = pytest.mark.db
REFERENCE = re.compile(r"HT-[34679ACDEFGHJKMNPQRTUVWXY]{5}")
STALE = "Nút này không còn dùng được nữa"


async def register(app, user_id: str, *, ward: str, phone: str, name: str = "Lò Văn Huy") -> str:
    """A citizen registers a household over Telegram; its reference."""
    citizen = InboxChat(app, user_id=user_id)
    await fill(citizen, ward=ward, phone=phone, name=name)
    await citizen.press("Gửi")
    [reference] = REFERENCE.findall(citizen.text)
    return reference


async def rows(app, model, *where):
    async with app.runner.sessionmaker() as session:
        key = next(iter(model.__table__.primary_key.columns))
        return (await session.scalars(select(model).where(*where).order_by(key))).all()


def unknown_command_answer(name: str) -> str:
    return f"Tôi chưa hiểu lệnh /{name}. Anh/chị vui lòng chọn trong menu:"


async def test_a_citizen_sees_nothing_of_the_staff_side(make_app, database_url):
    app = make_app(database_url)
    reference = await register(app, "c1", ward="chieng sinh", phone="0912345678")
    citizen = Chat(app, user_id="c1", channel="telegram")
    for command in ("canbo", "danhsach", "xuat", "lienket", "moicanbo", "dangnhap", "thongbao"):
        await citizen.send(f"/{command}")
        assert citizen.text == unknown_command_answer(command), command
    await citizen.send("/staff K7PM-3QXA")  # a code that was never made
    assert citizen.text == unknown_command_answer("staff")
    for payload in ("st:home", f"st:open:{reference}", "stc:to:verified", "sta:invite"):
        await citizen.send("x", payload=payload)
        assert citizen.text.startswith(STALE), payload
    await citizen.send("/start")
    assert "Việc cán bộ" not in citizen.labels
    assert await rows(app, RegistrationEvent, RegistrationEvent.actor_kind == "staff") == []


async def test_an_officer_of_one_commune_sees_and_changes_only_that_commune(make_app, database_url):
    app = make_app(database_url)
    mine = await register(app, "c1", ward="chieng sinh", phone="0912345678")
    other = await register(app, "c2", ward="to hieu", phone="0987654321", name="Cầm Thị Nga")
    await add_staff(app, "officer", "officer", ward=CHIENG_SINH)
    officer = Chat(app, user_id="officer")
    await officer.send("/canbo")
    assert "cán bộ xử lý hồ sơ, phạm vi: Phường Chiềng Sinh, Sơn La" in officer.text
    assert "• đã gửi, chờ xã/phường kiểm tra: 1" in officer.text
    await officer.press("Tất cả hồ sơ")
    assert mine in officer.text and other not in officer.text
    await officer.send("0987654321")  # the other commune's household, searched by phone
    assert "Không có hồ sơ nào khớp." in officer.text and other not in officer.text
    await officer.send("Nga")
    assert other not in officer.text
    await officer.send("x", payload=f"st:open:{other}")
    assert officer.text.startswith(STALE)
    await officer.send("x", payload=f"st:open:{mine}")
    assert officer.text.startswith(f"Hồ sơ {mine}: đã gửi, chờ xã/phường kiểm tra")
    assert "Cầm Thị Nga" not in officer.text
    # A forged button for the other commune's registration opens nothing, so a change
    # that follows concerns the registration still open, of the officer's own commune.
    await officer.send("x", payload="st:open:" + other)
    await officer.send("x", payload="stc:to:verified")
    assert officer.text.startswith(f"Hồ sơ {mine} → xã/phường đã kiểm tra.")
    await officer.press("Dừng")
    assert await rows(app, RegistrationEvent, RegistrationEvent.actor_kind == "staff") == []


async def test_the_workflow_keeps_history_audit_and_tells_the_citizen_once(make_app, database_url):
    app = make_app(database_url)
    reference = await register(app, "c1", ward="chieng sinh", phone="0912345678")
    english_reference = await register(app, "c2", ward="chieng sinh", phone="0987654321")
    await InboxChat(app, user_id="c2").send("/lang en")  # now reads English
    staff = await add_staff(app, "officer", "officer", province=SON_LA)
    officer = Chat(app, user_id="officer")
    await officer.send("/canbo")
    await officer.press("Hồ sơ chờ kiểm tra")
    await officer.press(f"Xem hồ sơ {reference}")
    assert officer.labels[:2] == ["Đánh dấu đã kiểm tra", "Không duyệt"]
    await officer.press("Đánh dấu đã kiểm tra")
    assert "Ghi chú vào quá trình xử lý" in officer.text
    await officer.send("Đã gọi điện xác minh")
    assert "• Ghi chú: Đã gọi điện xác minh" in officer.text
    await officer.press("Xác nhận")
    assert officer.text.startswith(f"Xong: hồ sơ {reference} nay là “xã/phường đã kiểm tra”.")
    await officer.send("Xác nhận", payload="form:st.change:confirm")  # a second tap
    assert officer.text.startswith(STALE)
    await officer.send("x", payload=f"st:open:{reference}")
    await officer.press("Duyệt hỗ trợ")
    await officer.press("Không ghi chú")
    await officer.press("Xác nhận")
    await officer.press("Đã giao máy")
    await officer.press("Không ghi chú")
    await officer.press("Xác nhận")
    assert "nay là “đã nhận máy”" in officer.text
    assert not {"Duyệt hỗ trợ", "Không duyệt", "Đã giao máy"} & set(officer.labels)
    # A rejection needs a reason, and the citizen reads it (in their language).
    await officer.send("x", payload=f"st:open:{english_reference}")
    await officer.press("Không duyệt")
    assert "Không ghi chú" not in officer.labels
    await officer.send("Không thuộc diện hộ nghèo")
    await officer.press("Xác nhận")
    events = await rows(app, RegistrationEvent, RegistrationEvent.actor_kind == "staff")
    assert [(e.from_status, e.to_status, e.note, e.actor_staff_id) for e in events] == [
        ("submitted", "verified", "Đã gọi điện xác minh", staff.id),
        ("verified", "approved", None, staff.id),
        ("approved", "handed_over", None, staff.id),
        ("submitted", "rejected", "Không thuộc diện hộ nghèo", staff.id),
    ]
    audit = await rows(app, AuditEntry, AuditEntry.action == "registration.status_changed")
    assert [(a.actor, a.detail["to"]) for a in audit] == [
        (f"staff:{staff.id}", "verified"),
        (f"staff:{staff.id}", "approved"),
        (f"staff:{staff.id}", "handed_over"),
        (f"staff:{staff.id}", "rejected"),
    ]
    messages = await rows(app, OutboxMessage, OutboxMessage.kind == "status")
    assert [m.dedup_key for m in messages] == [f"status:{e.id}" for e in events]
    assert all(m.channel == "telegram" and m.address.startswith("chat-c") for m in messages)
    texts = [reply_from_body(m.body).text for m in messages]
    assert texts[0].startswith(f"Hồ sơ {reference}: xã/phường đã kiểm tra thông tin của hộ.")
    assert "Đã gọi điện xác minh" not in texts[0]  # a note is for the history only
    assert texts[3].startswith(f"Registration {english_reference}: support has not been")
    assert "Reason: Không thuộc diện hộ nghèo" in texts[3]


async def test_a_viewer_reads_but_cannot_change(make_app, database_url):
    app = make_app(database_url)
    reference = await register(app, "c1", ward="chieng sinh", phone="0912345678")
    await add_staff(app, "viewer", "viewer", province=SON_LA)
    viewer = Chat(app, user_id="viewer")
    await viewer.send("x", payload=f"st:open:{reference}")
    assert viewer.text.startswith(f"Hồ sơ {reference}:")
    assert viewer.labels == ["Về danh sách", "Việc cán bộ"]
    await viewer.send("x", payload="stc:to:verified")
    assert viewer.text.startswith(STALE)
    await viewer.send("/moicanbo")
    assert viewer.text == unknown_command_answer("moicanbo")
    assert await rows(app, RegistrationEvent, RegistrationEvent.actor_kind == "staff") == []


async def test_an_invitation_makes_a_staff_member_once(make_app, database_url):
    app = make_app(database_url)
    await register(app, "c1", ward="to hieu", phone="0912345678")
    await add_staff(app, "admin", "admin", province=SON_LA)
    admin = Chat(app, user_id="admin")
    await admin.send("/moicanbo")
    await admin.press("cán bộ xử lý hồ sơ")
    await admin.send("to hieu")
    [code] = re.findall(r"/staff ([A-Z0-9]{4}-[A-Z0-9]{4})", admin.text)
    assert "phạm vi: Phường Tô Hiệu, Sơn La" in admin.text
    [invite] = await rows(app, StaffInvite)
    assert code not in (invite.code_hash, invite.created_by) and len(invite.code_hash) == 64
    newcomer = Chat(app, user_id="newcomer", channel="zalo")
    await newcomer.send(f"/staff {code.lower()}")
    assert newcomer.text.startswith("Chào anh/chị! Tài khoản này nay là tài khoản cán bộ")
    await newcomer.send("/canbo")
    assert "phạm vi: Phường Tô Hiệu, Sơn La" in newcomer.text
    assert "• đã gửi, chờ xã/phường kiểm tra: 1" in newcomer.text
    thief = Chat(app, user_id="thief")
    await thief.send(f"/staff {code}")  # used already
    assert thief.text == unknown_command_answer("staff")
    actions = [a.action for a in await rows(app, AuditEntry)]
    assert actions[-2:] == ["staff.invited", "staff.joined"]


async def test_an_expired_invitation_is_an_unknown_command(make_app, database_url):
    app = make_app(database_url)
    await add_staff(app, "admin", "admin", province=SON_LA)
    admin = Chat(app, user_id="admin")
    await admin.send("/moicanbo")
    await admin.press("chỉ xem")
    await admin.press("Cả tỉnh")
    [code] = re.findall(r"/staff ([A-Z0-9]{4}-[A-Z0-9]{4})", admin.text)
    async with app.runner.sessionmaker() as session, session.begin():
        await session.execute(
            update(StaffInvite).values(expires_at=StaffInvite.created_at - timedelta(hours=1))
        )
    late = Chat(app, user_id="late")
    await late.send(f"/staff {code}")
    assert late.text == unknown_command_answer("staff")


async def test_one_person_on_two_chat_apps_is_one_staff_member(make_app, database_url):
    app = make_app(database_url)
    staff = await add_staff(app, "tg-1", "officer", ward=CHIENG_SINH, channel="telegram")
    on_telegram = Chat(app, user_id="tg-1", channel="telegram")
    await on_telegram.send("/lienket")
    [code] = re.findall(r"/staff ([A-Z0-9]{4}-[A-Z0-9]{4})", on_telegram.text)
    on_zalo = Chat(app, user_id="zl-1", channel="zalo")
    await on_zalo.send(f"/staff {code}")
    await on_zalo.send("/canbo")
    assert "phạm vi: Phường Chiềng Sinh, Sơn La" in on_zalo.text
    accounts = await rows(app, User, User.staff_id == staff.id)
    assert sorted((u.channel, u.external_id) for u in accounts) == [
        ("telegram", "tg-1"),
        ("zalo", "zl-1"),
    ]


async def test_a_removed_member_is_a_citizen_again_even_mid_change(make_app, database_url):
    from bot.services.places import Places
    from bot.services.staff import StaffService

    app = make_app(database_url)
    reference = await register(app, "c1", ward="chieng sinh", phone="0912345678")
    await add_staff(app, "admin", "admin", province=SON_LA)  # the last admin stays
    staff = await add_staff(app, "officer", "officer", province=SON_LA)
    officer = Chat(app, user_id="officer")
    await officer.send("x", payload=f"st:open:{reference}")
    await officer.press("Đánh dấu đã kiểm tra")
    async with app.runner.sessionmaker() as session, session.begin():
        await StaffService(session, Places()).remove(staff.id)
    await officer.send("Ghi chú muộn")  # the change form is gone with the role
    assert "Ghi chú" not in officer.text
    await officer.send("/canbo")
    assert officer.text == unknown_command_answer("canbo")
    assert await rows(app, RegistrationEvent, RegistrationEvent.actor_kind == "staff") == []


async def test_staff_menu_shows_the_way_in(make_app, database_url):
    app = make_app(database_url)
    await add_staff(app, "officer", "officer", ward=TO_HIEU)
    officer = Chat(app, user_id="officer")
    await officer.send("/menu")
    assert officer.labels[0] == "Việc cán bộ"


async def test_an_export_asked_on_zalo_says_where_to_get_it(make_app, database_url):
    app = make_app(database_url)
    await add_staff(app, "zl-9", "officer", ward=CHIENG_SINH, channel="zalo")
    officer = Chat(app, user_id="zl-9", channel="zalo")
    await officer.send("/xuat")
    assert officer.text.startswith("Ứng dụng này không nhận được tệp.")
    assert not any(reply.attachment for reply in officer.last)
    assert await rows(app, AuditEntry, AuditEntry.action == "registrations.exported") == []


async def test_staff_get_a_one_time_link_to_the_web_console(make_app, database_url):
    app = make_app(database_url, web_base_url="https://canbo.example.vn")
    await add_staff(app, "v", "viewer", province=SON_LA)
    viewer = Chat(app, user_id="v")
    await viewer.send("/canbo")
    await viewer.press("Bảng điều khiển trên web")
    assert viewer.text.startswith("Anh/chị mở đường dẫn này để đăng nhập bảng điều khiển")
    assert "trong 10 phút" in viewer.text
    [link] = re.findall(r"https://canbo\.example\.vn/console/login/\S+", viewer.text)
    await viewer.send("/dangnhap")
    assert link not in viewer.text  # a new link each time

"""Reminders and announcements in the chat: a citizen subscribes with a one-line consent
(their registration's commune offered), sees it in "Dữ liệu của tôi", stops with "dừng" or
the button; an officer composes an announcement, previews it with the audience's size,
schedules and cancels it; viewers and citizens do not see the staff side."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.server import build_scheduler
from bot.services.broadcasts import BroadcastService
from db.models import Broadcast, OutboxMessage, Subscription
from db.repositories.broadcasts import Audience
from tests.support.chat import Chat, InboxChat
from tests.support.registration import fill
from tests.support.staff import CHIENG_SINH, SON_LA, add_staff

pytestmark = pytest.mark.db
STALE = "Nút này không còn dùng được nữa"


async def count(app, model, *where) -> int:
    async with app.runner.sessionmaker() as session:
        query = select(func.count()).select_from(model).where(*where)
        return int(await session.scalar(query) or 0)


async def test_a_citizen_subscribes_sees_it_and_stops(make_app, database_url):
    app = make_app(database_url)
    chat = InboxChat(app, user_id="c1")
    await fill(chat, ward="chieng sinh", phone="0912345678")
    await chat.press("Gửi")
    assert "Nhận nhắc nhở" in chat.labels  # a finished registration offers it
    await chat.press("Nhận nhắc nhở")
    assert chat.text == "Anh/chị muốn nhận tin cho nơi nào?"
    assert chat.labels[:3] == ["Phường Chiềng Sinh (nơi đã đăng ký)", "Tỉnh Sơn La", "Cả nước"]
    await chat.press("Phường Chiềng Sinh (nơi đã đăng ký)")
    assert "Anh/chị gõ “dừng” bất cứ lúc nào để thôi nhận." in chat.text
    await chat.press("Không")
    assert chat.text.startswith("Dạ, tôi sẽ không gửi tin nhắc")
    assert await count(app, Subscription) == 0
    await chat.send("/nhacnho")
    await chat.send("1")
    await chat.send("dong y")
    assert chat.text.startswith(
        "Xong: anh/chị sẽ nhận tin nhắc và thông báo cho Phường Chiềng Sinh"
    )
    await chat.send("/dulieu")
    assert "• anh/chị nhận tin nhắc và thông báo cho: Phường Chiềng Sinh, Sơn La;" in chat.text
    await chat.send("/nhacnho")
    assert chat.labels[:2] == ["Thôi nhận tin", "Đổi nơi nhận tin"]
    await chat.send("dừng")  # outside a flow: stops the messages
    assert chat.text.startswith("Anh/chị sẽ không nhận tin nhắc và thông báo nữa.")
    await chat.send("x", payload="sub:stop")  # the button under an old message
    assert chat.text.startswith("Hiện anh/chị không nhận tin nhắc.")
    await chat.send("dừng")
    assert chat.text.startswith("Dạ, hiện không có việc gì đang làm dở ạ.")
    assert await count(app, Subscription, Subscription.ended_at.is_(None)) == 0
    assert await count(app, Subscription, Subscription.ended_by == "citizen") == 2 - 1


async def test_erasing_my_data_removes_the_subscription_and_messages_not_sent(
    make_app, database_url
):
    app = make_app(database_url)
    chat = InboxChat(app, user_id="c1")
    await chat.send("/nhacnho")
    await chat.press("Tỉnh Sơn La")
    await chat.press("Tôi đồng ý")
    staff = await add_staff(app, "boss", "admin", province=SON_LA)
    async with app.runner.sessionmaker() as session, session.begin():
        service = BroadcastService(session, content=app.content, places=app.places)
        await service.create(
            staff,
            text_vi="Thông báo thử nghiệm",
            text_en=None,
            audience=Audience(),
            send_at=datetime.now(UTC),
        )
    scheduler = build_scheduler(app)
    try:
        assert (await scheduler.tick())["started"] == 1
    finally:
        await scheduler.leader.release()
    assert await count(app, OutboxMessage, OutboxMessage.kind == "broadcast") == 1
    await chat.send("/xoadulieu")
    await chat.press("Có, xóa hết")
    assert await count(app, Subscription) == 0
    assert await count(app, OutboxMessage, OutboxMessage.kind == "broadcast") == 0


async def test_an_officer_composes_previews_schedules_and_cancels(make_app, database_url):
    app = make_app(database_url)
    for user in ("c1", "c2"):
        citizen = InboxChat(app, user_id=user)
        await citizen.send("/nhacnho")
        await citizen.press("Tỉnh Sơn La" if user == "c2" else "Cả nước")
        await citizen.press("Tôi đồng ý")
    await add_staff(app, "officer", "officer", province=SON_LA)
    officer = Chat(app, user_id="officer")
    await officer.send("/thongbao")
    assert officer.text.startswith("Thông báo và tin nhắc lịch:\nChưa có.")
    await officer.press("Soạn thông báo mới")
    await officer.send("Ngày 20/12 xã phát máy tại nhà văn hóa bản.")
    await officer.press("Không có tiếng Anh")
    await officer.press("Cả phạm vi của tôi")
    await officer.press("Mọi người")
    await officer.press("Mọi người")
    await officer.press("Tất cả")
    await officer.send("25/12 lúc 8h")
    assert "• Thời gian gửi: 25/12/" in officer.text and "08:00" in officer.text
    await officer.press("Xem trước")
    assert "Xem trước, đúng như người dân sẽ nhận:" in officer.text
    assert "Ngày 20/12 xã phát máy tại nhà văn hóa bản.\n(Gõ “dừng”" in officer.text
    assert "Gửi cho: 1 người (Sơn La)" in officer.text  # the country-wide one is not Sơn La's
    assert officer.labels == ["Lên lịch gửi", "Sửa", "Bỏ"]
    await officer.press("Lên lịch gửi")
    assert officer.text.startswith("Đã lên lịch thông báo số 1 lúc 25/12/")
    await officer.send("x", payload="stc:bc:send")  # a second tap
    assert officer.text.startswith(STALE)
    assert await count(app, Broadcast) == 1
    await officer.send("/thongbao")
    assert "• Số 1 · Ngày 20/12 xã phát máy tại nhà văn hóa… · đã lên lịch" in officer.text
    await officer.press("Hủy số 1")
    assert officer.text.startswith("Đã hủy thông báo số 1")
    assert await count(app, Broadcast, Broadcast.status == "cancelled") == 1


async def test_a_commune_officer_is_not_asked_for_a_commune(make_app, database_url):
    app = make_app(database_url)
    await add_staff(app, "officer", "officer", ward=CHIENG_SINH)
    officer = Chat(app, user_id="officer")
    await officer.send("/thongbao")
    await officer.press("Soạn thông báo mới")
    await officer.send("Họp dân về đổi máy 4G tối thứ Bảy.")
    await officer.press("Không có tiếng Anh")
    assert officer.text.startswith("Gửi cho mọi người, hay chỉ người có máy bị ảnh hưởng?")


async def test_viewers_and_citizens_cannot_broadcast(make_app, database_url):
    app = make_app(database_url)
    await add_staff(app, "viewer", "viewer", province=SON_LA)
    for user in ("viewer", "citizen"):
        chat = Chat(app, user_id=user)
        await chat.send("/thongbao")
        assert chat.text == "Tôi chưa hiểu lệnh /thongbao. Anh/chị vui lòng chọn trong menu:"
        await chat.send("x", payload="stc:bc:new")
        assert chat.text.startswith(STALE)
    assert await count(app, Broadcast) == 0

"""Broadcasts and reminders through the real services and database: recipients chosen in
SQL once each and in their language, audiences, areas, cancelling, the kept report, the
reminders of the timeline, and the one process that holds the scheduling role."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.core.messages import reply_from_body
from bot.scheduler import LeaderLock, Scheduler
from bot.services.broadcasts import BroadcastRefused, BroadcastService, read_send_time
from db.models import AuditEntry, Broadcast, OutboxMessage, User
from db.repositories.broadcasts import Audience
from db.session import make_engine
from tests.support.chat import InboxChat
from tests.support.registration import fill
from tests.support.staff import CHIENG_SINH, SON_LA, TO_HIEU, add_staff

pytestmark = pytest.mark.db
NOW = datetime(2028, 8, 1, 3, 0, tzinfo=UTC)  # 10:00 in Sơn La


async def subscribe(app, user_id: str, area: str = "Tỉnh Sơn La", *, english=False) -> InboxChat:
    chat = InboxChat(app, user_id=user_id)
    await chat.send("/nhacnho")
    await chat.press(area)
    await chat.press("Tôi đồng ý")
    if english:
        await chat.send("/lang en")
    return chat


def scheduler(app, today=date(2028, 8, 1)) -> Scheduler:
    return Scheduler(
        engine=app.engine,
        sessionmaker=app.runner.sessionmaker,
        content=app.content,
        places=app.places,
        offsets=(30, 7, 1),
        send_time=time(8, 0),
        timezone="Asia/Ho_Chi_Minh",
        every=15,
        today=lambda: today,
    )


async def tick(app, now: datetime, today=date(2028, 8, 1)) -> dict[str, int]:
    """One tick of a scheduler that then gives the role up, as a process that stops would."""
    one = scheduler(app, today)
    try:
        return await one.tick(now)
    finally:
        await one.leader.release()


async def create(app, staff, audience: Audience | None = None, **fields):
    async with app.runner.sessionmaker() as session, session.begin():
        service = BroadcastService(session, content=app.content, places=app.places)
        return await service.create(
            staff,
            text_vi=fields.get("text_vi", "Thông báo: mang máy cũ đến Ủy ban xã ngày 10/8."),
            text_en=fields.get("text_en"),
            audience=audience or Audience(),
            send_at=fields.get("send_at", NOW),
            author_user_id=fields.get("author"),
            now=NOW,
        )


async def messages(app, broadcast_id=None) -> list[OutboxMessage]:
    async with app.runner.sessionmaker() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "broadcast")
        if broadcast_id is not None:
            query = query.where(OutboxMessage.broadcast_id == broadcast_id)
        return list((await session.scalars(query.order_by(OutboxMessage.id))).all())


async def test_each_subscriber_gets_it_once_in_their_language(make_app, database_url):
    app = make_app(database_url)
    await subscribe(app, "vi-1")
    await subscribe(app, "en-1", english=True)
    gone = await subscribe(app, "gone")
    await gone.send("dừng")
    assert gone.text.startswith("Anh/chị sẽ không nhận tin nhắc và thông báo nữa.")
    staff = await add_staff(app, "boss", "admin", province=SON_LA)
    row = await create(app, staff, text_en="Notice: bring your old phone.")
    assert (await tick(app, NOW))["started"] == 1
    assert (await tick(app, NOW + timedelta(minutes=1)))["started"] == 0
    sent = await messages(app, row.id)
    texts = {m.address: reply_from_body(m.body).text for m in sent}
    assert set(texts) == {"chat-vi-1", "chat-en-1"}
    assert texts["chat-vi-1"].startswith("Thông báo: mang máy cũ")
    assert "Gõ “dừng”" in texts["chat-vi-1"]
    assert texts["chat-en-1"].startswith("Notice: bring your old phone.")
    assert all(reply_from_body(m.body).buttons[0].payload == "sub:stop" for m in sent)
    audit = await rows(app, AuditEntry)
    assert [a.action for a in audit][-1] == "broadcast.created"


async def rows(app, model):
    async with app.runner.sessionmaker() as session:
        return list((await session.scalars(select(model))).all())


async def test_the_audience_narrows_by_area_phone_registration_and_channel(make_app, database_url):
    app = make_app(database_url)
    registered = InboxChat(app, user_id="reg")
    await fill(registered, ward="chieng sinh", phone="0912000001")
    await registered.press("Gửi")
    await registered.send("/kiemtra nokia 1280")  # an affected phone
    await subscribe(app, "reg", "Phường Chiềng Sinh (nơi đã đăng ký)")
    await subscribe(app, "province")
    await subscribe(app, "country", "Cả nước")
    staff = await add_staff(app, "boss", "admin", province=SON_LA)
    async with app.runner.sessionmaker() as session:
        service = BroadcastService(session, content=app.content, places=app.places)
        assert await service.audience_size(staff, Audience()) == (2, 0)  # the province's
        assert await service.audience_size(None, Audience()) == (3, 0)  # the operator's
        assert await service.audience_size(staff, Audience(ward=CHIENG_SINH)) == (1, 0)
        assert await service.audience_size(staff, Audience(ward=TO_HIEU)) == (0, 0)
        assert await service.audience_size(staff, Audience(verdict="affected")) == (1, 0)
        assert await service.audience_size(staff, Audience(status="submitted")) == (1, 0)
        assert await service.audience_size(staff, Audience(status="approved")) == (0, 0)
        assert await service.audience_size(staff, Audience(channel="zalo")) == (0, 0)


async def test_a_commune_officer_broadcasts_only_to_their_commune(make_app, database_url):
    app = make_app(database_url)
    officer = await add_staff(app, "officer", "officer", ward=CHIENG_SINH)
    with pytest.raises(BroadcastRefused):
        await create(app, officer, Audience(ward=TO_HIEU))
    row = await create(app, officer, Audience())  # their area, whatever was asked
    assert (row.area_ward, row.audience["ward"]) == (CHIENG_SINH, CHIENG_SINH)
    province = await add_staff(app, "prov", "officer", province=SON_LA)
    other = await add_staff(app, "other", "officer", ward=TO_HIEU)
    async with app.runner.sessionmaker() as session:
        service = BroadcastService(session, content=app.content, places=app.places)
        assert [r.broadcast.id for r in await service.listed(officer)] == [row.id]
        assert [r.broadcast.id for r in await service.listed(province)] == [row.id]
        assert await service.listed(other) == []
        with pytest.raises(BroadcastRefused):
            await service.report(other, row.id)


async def test_cancelling_stops_what_is_not_sent_and_the_report_is_kept(make_app, database_url):
    app = make_app(database_url)
    for user in ("author", "a", "b", "c"):
        await subscribe(app, user)
    staff = await add_staff(app, "author", "admin", province=SON_LA, channel="telegram")
    async with app.runner.sessionmaker() as session:
        author_id = await session.scalar(select(User.id).where(User.external_id == "author"))
    first = await create(app, staff, author=author_id)
    second = await create(app, staff)
    await tick(app, NOW)
    async with app.runner.sessionmaker() as session, session.begin():
        service = BroadcastService(session, content=app.content, places=app.places)
        report = await service.cancel(staff, second.id)
        assert report.outcomes == {"cancelled": 4}
        with pytest.raises(BroadcastRefused):
            await service.cancel(staff, second.id)  # twice: it is finished
    async with app.runner.sessionmaker() as session, session.begin():
        for message in await session.scalars(
            select(OutboxMessage).where(OutboxMessage.broadcast_id == first.id)
        ):
            message.status = "sent"  # as the sender records it
    done = await tick(app, NOW + timedelta(minutes=1))
    assert done["finished"] == 2 - 1  # the cancelled one was finished by the cancel
    again = await tick(app, NOW + timedelta(minutes=2))
    assert again["finished"] == 0
    [kept] = [b for b in await rows(app, Broadcast) if b.id == first.id]
    assert kept.status == "done" and kept.report == {"sent": 4}
    told = [m for m in await rows(app, OutboxMessage) if m.dedup_key == f"bcdone:{first.id}"]
    assert len(told) == 1 and "4 tin đã đến" in reply_from_body(told[0].body).text


async def test_reminders_are_planned_once_move_with_their_milestone_and_are_worded_that_day(
    make_app, database_url
):
    app = make_app(database_url)
    await subscribe(app, "vi-1")
    july = datetime(2028, 7, 1, 3, 0, tzinfo=UTC)
    assert (await tick(app, july, date(2028, 7, 1)))["reminders_made"] == 3
    assert (await tick(app, july, date(2028, 7, 1)))["reminders_made"] == 0
    planned = sorted(
        (b.offset_days, b.send_at.replace(tzinfo=UTC)) for b in await rows(app, Broadcast)
    )
    assert planned == [
        (1, datetime(2028, 8, 31, 1, 0, tzinfo=UTC)),  # 08:00 in Sơn La
        (7, datetime(2028, 8, 25, 1, 0, tzinfo=UTC)),
        (30, datetime(2028, 8, 2, 1, 0, tzinfo=UTC)),
    ]
    # The content moves the 3G switch-off a month later: the reminders follow it.
    moved = app.content.model_copy(
        update={
            "milestones": tuple(
                m.model_copy(update={"date": date(2028, 10, 1)}) if m.id == "network_3g_off" else m
                for m in app.content.milestones
            )
        }
    )
    app.content = moved
    plan = await tick(app, july + timedelta(days=1), date(2028, 7, 2))
    assert plan["reminders_moved"] == 3
    # On its day, the reminder is worded for that day and sent.
    day = datetime(2028, 9, 1, 1, 30, tzinfo=UTC)
    done = await tick(app, day, date(2028, 9, 1))
    assert done["started"] == 1
    [message] = await messages(app)
    text = reply_from_body(message.body).text
    assert text.startswith("Nhắc lịch tắt sóng: Theo kế hoạch, mạng 3G sẽ tắt từ tháng 10/2028")
    assert "(Nguồn: " in text


def test_send_times_as_staff_type_them():
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    now = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)
    assert read_send_time("ngay", zone, now) == now
    assert read_send_time("25/12 08:00", zone, now) == datetime(2026, 12, 25, 1, 0, tzinfo=UTC)
    assert read_send_time("25/12 lúc 14h30", zone, now) == datetime(2026, 12, 25, 7, 30,
                                                                     tzinfo=UTC)  # fmt: skip
    assert read_send_time("5/1", zone, now) == datetime(2027, 1, 5, 1, 0, tzinfo=UTC)
    assert read_send_time("31/2", zone, now) is None
    assert read_send_time("mai", zone, now) is None


async def test_one_process_at_a_time_holds_the_scheduling_role(postgres_database):
    url = postgres_database.url
    first, second = make_engine(url), make_engine(url)
    one, two = LeaderLock(first), LeaderLock(second)
    try:
        assert await one.held()
        assert not await two.held()
        assert await one.held()  # still
        await one.release()
        assert await two.held()
        assert not await one.held()
    finally:
        await one.release()
        await two.release()
        await first.dispose()
        await second.dispose()


async def test_only_admins_may_cancel_the_timelines_reminders(make_app, database_url):
    app = make_app(database_url)
    await tick(app, datetime(2028, 7, 1, 3, 0, tzinfo=UTC), date(2028, 7, 1))
    [reminder, *_] = await rows(app, Broadcast)
    officer = await add_staff(app, "officer", "officer", ward=CHIENG_SINH)
    admin = await add_staff(app, "boss", "admin", province=SON_LA)
    async with app.runner.sessionmaker() as session, session.begin():
        service = BroadcastService(session, content=app.content, places=app.places)
        with pytest.raises(BroadcastRefused) as refused:
            await service.cancel(officer, reminder.id)
        assert refused.value.reason.value == "not_allowed"
        report = await service.cancel(admin, reminder.id)
        assert report.broadcast.status == "cancelled"

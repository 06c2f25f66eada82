"""The web console over HTTP, in this process, on both databases: signing in with one-time
links, cookies, CSRF, areas enforced whatever the URL says, roles, the audit log."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.web.console.security import AttemptLimiter
from db.models import AuditEntry, OutboxMessage, Registration
from tests.support.staff import CHIENG_SINH, SON_LA, TO_HIEU, add_staff
from tests.web.support import (
    console_client,
    login_link,
    register_household,
    sign_in,
)

pytestmark = pytest.mark.db


async def audit_actions(app) -> list[str]:
    async with app.runner.sessionmaker() as session:
        return [a.action for a in await session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


async def test_a_link_signs_in_once_and_the_cookie_is_guarded(make_app, database_url):
    app = make_app(database_url)
    staff = await add_staff(app, "boss", "admin", province=SON_LA)
    token = await login_link(app, staff)
    async with console_client(app) as client:
        assert (await client.get("/console/")).status_code == 401
        shown = await client.get(f"/console/login/{token}")  # a chat app's link preview
        assert shown.status_code == 200 and "Đăng nhập" in shown.text
        signed = await client.post("/console/login", data={"token": token})
        assert signed.status_code == 303
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/console" in cookie
        assert "max-age=28800" in cookie
        home = await client.get("/console/")
        assert home.status_code == 200
        assert "cán bộ số" in home.text and "Quản trị" in home.text and "Sơn La" in home.text
        assert home.headers["cache-control"] == "no-store"
    async with console_client(app) as other:  # the same link again, from another browser
        again = await other.post("/console/login", data={"token": token})
        assert again.status_code == 400 and "không còn dùng được" in again.text
        assert (await other.get("/console/")).status_code == 401
    assert "web.signed_in" in await audit_actions(app)


async def test_expired_forged_and_unknown_sessions_are_refused(make_app, database_url):
    app = make_app(database_url)
    staff = await add_staff(app, "boss", "admin", province=SON_LA)
    async with app.runner.sessionmaker() as session, session.begin():
        old = await app.runner.services_for(session).web_access.login_link(
            staff, minutes=10, actor="test", now=app.clock.now() - timedelta(minutes=11)
        )
    async with console_client(app) as client:
        expired = await client.post("/console/login", data={"token": old.token})
        assert expired.status_code == 400
        assert (await client.post("/console/login", data={"token": "made-up"})).status_code == 400
        client.cookies.set("console_session", "not.signed.by.us", path="/console")
        assert (await client.get("/console/registrations")).status_code == 401


async def test_sign_out_ends_the_session_and_a_removed_member_is_out(make_app, database_url):
    app = make_app(database_url)
    await add_staff(app, "boss", "admin", province=SON_LA)
    officer = await add_staff(app, "off", "officer", ward=CHIENG_SINH)
    async with console_client(app) as client:
        csrf = await sign_in(app, client, officer)
        kept = client.cookies.get("console_session")
        out = await client.post("/console/logout", data={"csrf": csrf})
        assert out.status_code == 200 and "đã đăng xuất" in out.text
        client.cookies.set("console_session", kept, path="/console")  # a copied cookie
        assert (await client.get("/console/")).status_code == 401
    async with console_client(app) as client:
        await sign_in(app, client, officer)
        async with app.runner.sessionmaker() as session, session.begin():
            await app.runner.services_for(session).staff.remove(officer.id)
        assert (await client.get("/console/")).status_code == 401


async def test_a_form_without_its_csrf_token_changes_nothing(make_app, database_url):
    app = make_app(database_url)
    reference = await register_household(app, "c1")
    officer = await add_staff(app, "off", "officer", ward=CHIENG_SINH)
    async with console_client(app) as client:
        csrf = await sign_in(app, client, officer)
        url = f"/console/registrations/{reference}/status"
        for sent in ({}, {"csrf": "0" * 64}):
            refused = await client.post(url, data={"to": "verified", **sent})
            assert refused.status_code == 403 and "Không được phép" in refused.text
        async with app.runner.sessionmaker() as session:
            assert (await session.scalar(select(Registration.status))) == "submitted"
        done = await client.post(url, data={"to": "verified", "note": "Đã gọi", "csrf": csrf})
        assert done.status_code == 303
        page = await client.get(done.headers["location"])
        assert "Xã/phường đã kiểm tra" in page.text and "Ghi chú: Đã gọi" in page.text
    async with app.runner.sessionmaker() as session:
        told = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "status"))
        ).all()
    assert len(told) == 1  # the citizen is told, once


async def test_an_officer_cannot_reach_another_communes_household_by_its_url(
    make_app, database_url
):
    app = make_app(database_url)
    mine = await register_household(app, "c1", ward="chieng sinh", phone="0912000001")
    theirs = await register_household(app, "c2", ward="to hieu", name="Cầm Thị Lan",
                                      phone="0912000002")  # fmt: skip
    officer = await add_staff(app, "off", "officer", ward=CHIENG_SINH)
    async with console_client(app) as client:
        csrf = await sign_in(app, client, officer)
        assert (await client.get(f"/console/registrations/{mine}")).status_code == 200
        for url in (f"/console/registrations/{theirs}", "/console/registrations/HT-NOPE1"):
            page = await client.get(url)
            assert page.status_code == 404 and "Cầm Thị Lan" not in page.text
        changed = await client.post(
            f"/console/registrations/{theirs}/status", data={"to": "verified", "csrf": csrf}
        )
        assert changed.status_code == 404
        listed = await client.get(f"/console/registrations?ward={TO_HIEU}")
        assert theirs not in listed.text and "0 hồ sơ" in listed.text
        export = await client.post(
            "/console/registrations/export", data={"csrf": csrf, "ward": str(TO_HIEU)}
        )
        assert export.status_code == 200
        book = load_workbook(io.BytesIO(export.content), read_only=True)
        assert len(list(book.worksheets[0].iter_rows())) == 1  # the header only
        book.close()
        for admin_page in ("/console/audit", "/console/staff"):
            assert (await client.get(admin_page)).status_code == 403
    assert "registrations.exported" in await audit_actions(app)


async def test_the_list_filters_pages_and_exports_the_filter(make_app, database_url):
    app = make_app(database_url)
    for n in range(3):
        await register_household(app, f"c{n}", name=f"Lò Văn {'ABC'[n]}", phone=f"098765432{n}")
    staff = await add_staff(app, "boss", "admin", province=SON_LA)
    async with console_client(app) as client:
        csrf = await sign_in(app, client, staff)
        found = await client.get("/console/registrations", params={"q": "0987654321"})
        assert "Lò Văn B" in found.text and "Lò Văn C" not in found.text
        assert "1 hồ sơ khớp" in found.text
        from bot.web.console import registrations

        registrations.PAGE_SIZE, kept = 2, registrations.PAGE_SIZE
        try:
            first = await client.get("/console/registrations")
            assert "Trang sau" in first.text and "3 hồ sơ khớp" in first.text
            assert "Lò Văn C" in first.text and "Lò Văn A" not in first.text
            second = await client.get(
                "/console/registrations", params={"before": _before(first.text)}
            )
            assert "Lò Văn A" in second.text and "Lò Văn C" not in second.text
        finally:
            registrations.PAGE_SIZE = kept
        export = await client.post(
            "/console/registrations/export",
            data={"csrf": csrf, "q": "Lò Văn B", "format": "csv"},
        )
        assert export.headers["content-type"].startswith("text/csv")
        lines = export.content.decode("utf-8-sig").splitlines()
        assert len(lines) == 2 and "Lò Văn B" in lines[1]


def _before(html: str) -> str:
    import re

    return re.search(r"before=(\d+)", html).group(1)


async def test_a_viewer_reads_but_changes_nothing(make_app, database_url):
    app = make_app(database_url)
    reference = await register_household(app, "c1")
    viewer = await add_staff(app, "v", "viewer", province=SON_LA)
    async with console_client(app) as client:
        csrf = await sign_in(app, client, viewer)
        page = await client.get(f"/console/registrations/{reference}")
        assert page.status_code == 200 and "Đổi tình trạng" not in page.text
        tried = await client.post(
            f"/console/registrations/{reference}/status", data={"to": "verified", "csrf": csrf}
        )
        assert tried.status_code == 400
        broadcast = await client.post(
            "/console/broadcasts", data={"csrf": csrf, "text_vi": "Thử", "when": "now"}
        )
        assert broadcast.status_code == 400 and "chỉ xem" in broadcast.text


async def test_admins_invite_change_and_remove_staff(make_app, database_url):
    app = make_app(database_url)
    admin = await add_staff(app, "boss", "admin", province=SON_LA)
    officer = await add_staff(app, "off", "officer", ward=CHIENG_SINH)
    async with console_client(app) as client:
        csrf = await sign_in(app, client, admin)
        invited = await client.post(
            "/console/staff/invite",
            data={"csrf": csrf, "role": "viewer", "ward": str(TO_HIEU), "province": "14"},
        )
        assert invited.status_code == 200 and "/staff " in invited.text
        changed = await client.post(
            f"/console/staff/{officer.id}/change",
            data={"csrf": csrf, "role": "officer", "ward": "", "province": "14"},
        )
        assert changed.status_code == 303
        last = await client.post(
            f"/console/staff/{admin.id}/change",
            data={"csrf": csrf, "role": "viewer", "ward": "", "province": "14"},
        )
        assert last.status_code == 400 and "quản trị viên cuối cùng" in last.text
        removed = await client.post(f"/console/staff/{officer.id}/remove", data={"csrf": csrf})
        assert removed.status_code == 303
        audit = await client.get("/console/audit")
        assert "staff.changed" in audit.text and "staff.removed" in audit.text
    actions = await audit_actions(app)
    assert {"staff.invited", "staff.changed", "staff.removed"} <= set(actions)


async def test_a_test_message_goes_to_the_authors_own_chat_account(make_app, database_url):
    app = make_app(database_url)
    admin = await add_staff(app, "boss", "admin", province=SON_LA, channel="telegram")
    async with console_client(app) as client:
        csrf = await sign_in(app, client, admin)
        page = await client.post(
            "/console/broadcasts/preview",
            data={"csrf": csrf, "action": "test", "text_vi": "Thử: họp dân tối nay", "when": "now"},
        )
        assert page.status_code == 200 and "Đã gửi thử cho anh/chị qua Telegram" in page.text
        empty = await client.post(
            "/console/broadcasts/preview", data={"csrf": csrf, "action": "test", "text_vi": " "}
        )
        assert empty.status_code == 400 and "chưa gõ nội dung" in empty.text
    async with app.runner.sessionmaker() as session:
        [sent] = (await session.scalars(select(OutboxMessage))).all()
    assert (sent.channel, sent.address, sent.kind) == ("telegram", "boss", "status")
    assert sent.body["text"].startswith("Thử: họp dân tối nay")


def test_sign_in_attempts_are_limited_per_address():
    limiter = AttemptLimiter(limit=3, window=60)
    assert [limiter.allow("a", now=t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert limiter.allow("b", now=3)  # another address is not held up
    assert limiter.allow("a", now=61)  # the window moved on


async def test_too_many_sign_in_attempts_get_a_kind_429(make_app, database_url):
    app = make_app(database_url)
    async with console_client(app) as client:
        codes = [
            (await client.post("/console/login", data={"token": f"guess-{n}"})).status_code
            for n in range(11)
        ]
    assert codes[:10] == [400] * 10 and codes[10] == 429


async def test_a_scheduled_broadcast_keeps_its_local_time(make_app, database_url):
    from db.models import Broadcast

    app = make_app(database_url)
    admin = await add_staff(app, "boss", "admin", province=SON_LA)
    async with console_client(app) as client:
        csrf = await sign_in(app, client, admin)
        created = await client.post(
            "/console/broadcasts",
            data={"csrf": csrf, "text_vi": "Họp dân", "when": "later", "at": "2030-01-15T08:00"},
        )
        assert created.status_code == 303
        listed = await client.get("/console/broadcasts")
        assert "15/01/2030 08:00" in listed.text
        edit = await client.post(
            "/console/broadcasts/preview",
            data={"csrf": csrf, "action": "edit", "text_vi": "Nội dung cũ", "when": "now"},
        )
        assert edit.status_code == 200 and "Nội dung cũ</textarea>" in edit.text
    async with app.runner.sessionmaker() as session:
        row = await session.scalar(select(Broadcast))
    assert row.send_at.replace(tzinfo=None).isoformat() == "2030-01-15T01:00:00"  # UTC


async def test_odd_input_gets_a_kind_page_never_a_500(make_app, database_url):
    app = make_app(database_url)
    admin = await add_staff(app, "boss", "admin", province=SON_LA)
    async with console_client(app) as client:
        csrf = await sign_in(app, client, admin)
        for url in (
            "/console/registrations?ward=²&before=²",
            "/console/registrations?since=0001-01-01&until=9999-12-31",
            "/console/registrations?before=99999999999999999999",
            "/console/audit?before=x",
        ):
            assert (await client.get(url)).status_code == 200, url
        for url in ("/console/broadcasts/99999999999999999999/cancel", "/console/staff/x/remove"):
            assert (await client.post(url, data={"csrf": csrf})).status_code == 404, url


async def test_a_province_admin_manages_only_their_province(make_app, database_url):
    app = make_app(database_url)
    admin = await add_staff(app, "boss", "admin", province=SON_LA)
    elsewhere = await add_staff(app, "far", "officer", province=1)  # Hà Nội
    async with console_client(app) as client:
        csrf = await sign_in(app, client, admin)
        page = await client.get("/console/staff")
        assert f"role-{elsewhere.id}" not in page.text
        moved = await client.post(
            f"/console/staff/{elsewhere.id}/change",
            data={"csrf": csrf, "role": "viewer", "ward": "", "province": "1"},
        )
        assert moved.status_code == 400 and "Không tìm thấy cán bộ này" in moved.text
        widened = await client.post(
            f"/console/staff/{admin.id}/change",
            data={"csrf": csrf, "role": "admin", "ward": "", "province": ""},
        )
        assert widened.status_code == 303
    async with app.runner.sessionmaker() as session:
        from db.models import StaffMember

        member = await session.get(StaffMember, admin.id)
    assert member.province_code == SON_LA  # never widened to every province

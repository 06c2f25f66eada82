"""The web console in Chromium against `bot run`: an admin signs in with the link the chat
gives, filters, opens, changes a status, exports and opens the file, composes and cancels a
broadcast, signs out; an officer of one commune cannot reach another's household by its URL;
a used link and a form without its CSRF token are refused."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from playwright.async_api import expect

from tests.support.chat import Chat, InboxChat
from tests.support.staff import CHIENG_SINH, SON_LA, add_staff
from tests.web.conftest import screenshots_dir
from tests.web.support import register_household

pytestmark = [pytest.mark.slow]
PHONE = {"width": 390, "height": 844}  # a phone screen
DESK = {"width": 1280, "height": 900}


async def chat_link(chat: Chat) -> str:
    """The sign-in link `/dangnhap` answers with."""
    await chat.send("/dangnhap")
    found = re.search(r"http://\S+/console/login/\S+", chat.text)
    assert found, chat.text
    return found.group(0)


async def snap(page, name: str) -> None:
    """A picture of the page for docs/ when SCREENSHOTS_DIR is set."""
    folder = screenshots_dir()
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


async def fits_the_screen(page) -> bool:
    """Nothing sticks out sideways (tables scroll inside their own box)."""
    return await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


async def test_an_admin_works_through_the_console(make_app, sqlite_url, served, browser, tmp_path):
    app = make_app(sqlite_url, http_port=served.port)
    reference = await register_household(app, "c1", name="Lò Văn Huy", phone="0912345671")
    await register_household(app, "c2", ward="to hieu", name="Cầm Thị Lan", phone="0912345672")
    subscriber = InboxChat(app, user_id="s1")  # a Telegram user: reachable
    await subscriber.send("/nhacnho")
    await subscriber.press("Tỉnh Sơn La")
    await subscriber.press("Tôi đồng ý")
    await add_staff(app, "boss", "admin", province=SON_LA)
    link = await chat_link(Chat(app, user_id="boss"))
    assert link.startswith(served.url)

    context = await browser.new_context(viewport=DESK, accept_downloads=True, locale="vi-VN")
    page = await context.new_page()
    await page.goto(link)
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.get_by_role("heading", name="Tổng quan").wait_for()
    assert "Quản trị · Sơn La" in await page.locator("#who").inner_text()
    await snap(page, "tong-quan")

    # Filter, open, change the status with a note.
    await page.get_by_role("link", name="Hồ sơ", exact=True).click()
    await page.get_by_label("Tên hoặc số điện thoại").fill("lo van huy")
    await page.get_by_role("button", name="Lọc").click()
    assert (await page.locator("#total").inner_text()).startswith("1 hồ sơ")
    await snap(page, "ho-so")
    await page.get_by_role("link", name=reference).click()
    await page.get_by_label("Xã/phường đã kiểm tra").check()
    await page.get_by_label("Ghi chú").fill("Đã gọi điện xác nhận")
    await page.get_by_role("button", name="Lưu").click()
    await page.get_by_role("status").wait_for()
    assert await page.locator("#status").inner_text() == "Xã/phường đã kiểm tra"
    assert "Ghi chú: Đã gọi điện xác nhận" in await page.locator(".history").inner_text()
    await snap(page, "chi-tiet-ho-so")

    # Export the current filter and open the file.
    await page.goto(f"{served.url}/console/registrations?status=verified")
    async with page.expect_download() as waiting:
        await page.get_by_role("button", name="Tải về").click()
    download = await waiting.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    assert saved.suffix == ".xlsx"
    book = load_workbook(saved, read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()  # read-only workbooks keep their file open until closed
    assert len(rows) == 2 and "Lò Văn Huy" in rows[1]

    # Compose a broadcast for later, see its audience, schedule it, cancel it.
    await page.get_by_role("link", name="Thông báo", exact=True).click()
    await page.get_by_label("Nội dung (tiếng Việt").fill("Mời bà con mang máy cũ đến nhà văn hóa.")
    await page.get_by_label("Xã/phường").select_option(label="Phường Chiềng Sinh")
    size = page.locator("#audience-size")
    await expect(size).to_have_text("Sẽ gửi cho 0 người.")  # the subscriber is province-wide
    await page.get_by_label("Xã/phường").select_option(label="Cả phạm vi của tôi")
    await expect(size).to_have_text("Sẽ gửi cho 1 người.")
    later = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(days=2)
    await page.get_by_label("Hẹn giờ").check()
    await page.get_by_label("Ngày giờ gửi").fill(later.strftime("%Y-%m-%dT08:00"))
    await snap(page, "thong-bao")
    await page.get_by_role("button", name="Xem trước").click()
    assert "Mời bà con mang máy cũ" in await page.locator("#preview").inner_text()
    assert "Gửi cho: 1 người" in await page.locator("#audience").inner_text()
    await snap(page, "xem-truoc-thong-bao")
    await page.get_by_role("button", name="Lên lịch gửi").click()
    row = page.locator("#broadcasts tbody tr", has_text="Mời bà con")
    assert await row.locator(".state").inner_text() == "Đã lên lịch"
    await row.get_by_role("button", name=re.compile("Hủy thông báo")).click()
    row = page.locator("#broadcasts tbody tr", has_text="Mời bà con")
    assert await row.locator(".state").inner_text() == "Đã hủy"

    for path, name in (
        ("misses", "cau-hoi-chua-tra-loi"),
        ("audit", "nhat-ky"),
        ("staff", "can-bo"),
    ):
        assert (await page.goto(f"{served.url}/console/{path}")).status == 200
        await snap(page, name)

    # On a phone screen the pages fit.
    await page.set_viewport_size(PHONE)
    for path in ("", "registrations", "broadcasts"):
        await page.goto(f"{served.url}/console/{path}")
        assert await fits_the_screen(page), path
    await page.goto(f"{served.url}/console/registrations")
    await snap(page, "ho-so-tren-dien-thoai")
    await page.set_viewport_size(DESK)

    await page.get_by_role("button", name="Đăng xuất").click()
    await page.get_by_role("heading", name="Anh/chị đã đăng xuất").wait_for()
    response = await page.goto(f"{served.url}/console/registrations")
    assert response.status == 401
    await context.close()


async def test_an_officer_stays_in_their_commune_and_links_and_forms_are_guarded(
    make_app, sqlite_url, served, browser
):
    app = make_app(sqlite_url, http_port=served.port)
    await register_household(app, "c1", name="Lò Văn Huy", phone="0912345671")
    theirs = await register_household(
        app, "c2", ward="to hieu", name="Cầm Thị Lan", phone="0912345672"
    )
    await add_staff(app, "off", "officer", ward=CHIENG_SINH)
    link = await chat_link(Chat(app, user_id="off"))

    context = await browser.new_context(viewport=DESK)
    page = await context.new_page()
    await page.goto(link)
    await page.get_by_role("button", name="Đăng nhập").click()
    assert "Cán bộ · Phường Chiềng Sinh" in await page.locator("#who").inner_text()
    await page.goto(f"{served.url}/console/registrations")
    assert "Lò Văn Huy" in await page.content() and "Cầm Thị Lan" not in await page.content()

    # Another commune's household, by changing the URL: not found, nothing shown.
    response = await page.goto(f"{served.url}/console/registrations/{theirs}")
    assert response.status == 404
    assert "Cầm Thị Lan" not in await page.content()
    assert (await page.goto(f"{served.url}/console/staff")).status == 403

    # A form sent without its CSRF token (as another site would send it): refused.
    refused = await page.request.post(
        f"{served.url}/console/registrations/{theirs}/status", form={"to": "verified"}
    )
    assert refused.status == 403

    # The link again, in another browser: used, so refused.
    other = await browser.new_context()
    second = await other.new_page()
    await second.goto(link)
    await second.get_by_role("button", name="Đăng nhập").click()
    await second.get_by_role("heading", name="Đường dẫn không còn dùng được").wait_for()
    assert (await second.goto(f"{served.url}/console/")).status == 401
    await other.close()
    await context.close()

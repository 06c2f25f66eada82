"""What every page of the web console shares: the signed-in member, templates, forms.

A page gets a `Visit` (the member as they are now, the session token, its CSRF token) from
`Console.visit`; without a live session it is a "please sign in" page (401), never data.
Scope is not checked here: every service filters by the member's area itself, as for the
chat side.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.app import App
from bot.core.access import Role, StaffIdentity
from bot.services import Services
from bot.services.exports import CATEGORIES, CHANNELS, HELP, REGISTRANTS, STATUSES, local_phone
from bot.web.console.security import COOKIE_NAME, CSRF_FIELD, AttemptLimiter, CookieSigner

HERE = Path(__file__).parent
ROLE_NAMES = {Role.ADMIN: "Quản trị", Role.OFFICER: "Cán bộ", Role.VIEWER: "Chỉ xem"}
BROADCAST_STATES = {
    "scheduled": "Đã lên lịch",
    "sending": "Đang gửi",
    "done": "Đã gửi xong",
    "cancelled": "Đã hủy",
}
AUDIT_ACTIONS = {
    "registration.": "Đổi tình trạng hồ sơ",
    "registrations.exported": "Tải danh sách hồ sơ",
    "broadcast.": "Thông báo",
    "staff.": "Cán bộ",
    "web.": "Đăng nhập bảng điều khiển",
    "personal_data.": "Người dân xóa dữ liệu",
}


class NotSignedIn(Exception):
    """The request has no live session."""


class Forbidden(Exception):
    """A form without its CSRF token, or a page the member's role does not open."""


class NotFound(Exception):
    """Nothing there for this member (or outside their area: the two are not told apart)."""


@dataclass(frozen=True, slots=True)
class Visit:
    """One request of a signed-in member."""

    staff: StaffIdentity
    session_token: str
    csrf: str
    area: str

    @property
    def is_admin(self) -> bool:
        return self.staff.role is Role.ADMIN


class Console:
    """The parts of the web console, built once per server from the composition root."""

    def __init__(self, app: App, signer: CookieSigner) -> None:
        self.app = app
        self.signer = signer
        self.zone = ZoneInfo(app.settings.timezone)
        self.secure_cookie = app.settings.console_url.startswith("https:")
        self.sign_ins = AttemptLimiter()
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
        )
        self.templates.filters.update(when=self.when, number=number)
        self.templates.globals.update(
            STATUSES=STATUSES,
            CATEGORIES=CATEGORIES,
            HELP=HELP,
            REGISTRANTS=REGISTRANTS,
            ROLE_NAMES=ROLE_NAMES,
            BROADCAST_STATES=BROADCAST_STATES,
            CHANNEL_NAMES={**CHANNELS, "console": "bảng thử nghiệm (console)"},
            AUDIT_ACTIONS=AUDIT_ACTIONS,
            csrf_field=CSRF_FIELD,
            local_phone=local_phone,
            query=query,
            actor_name=actor_name,
        )

    @asynccontextmanager
    async def services(self) -> AsyncIterator[Services]:
        """The services on one transaction, committed when the block ends without error."""
        async with self.app.runner.sessionmaker() as session, session.begin():
            yield self.app.runner.services_for(session)

    async def visit(self, request: Request, *, admin: bool = False) -> Visit:
        """The signed-in member of this request (`admin`: only an admin may open it)."""
        token = self.signer.session_token(request.cookies.get(COOKIE_NAME))
        if token is None:
            raise NotSignedIn
        async with self.services() as services:
            staff = await services.web_access.staff_of(token)
        if staff is None:
            raise NotSignedIn
        if admin and staff.role is not Role.ADMIN:
            raise Forbidden
        area = self.app.places.area_name(staff.province_code, staff.ward_code) or "cả nước"
        return Visit(staff, token, self.signer.csrf(token), area)

    async def posted(
        self, request: Request, *, admin: bool = False
    ) -> tuple[Visit, Mapping[str, Any]]:
        """The member and the fields of a form they sent, its CSRF token checked."""
        visit = await self.visit(request, admin=admin)
        form = await request.form()
        if not self.signer.csrf_ok(visit.session_token, form.get(CSRF_FIELD)):
            raise Forbidden
        return visit, form

    def communes(self, staff: StaffIdentity) -> list[tuple[int, str]]:
        """The communes a member may choose from: their own, or their province's."""
        places = self.app.places
        if staff.ward_code is not None:
            ward = places.ward(staff.ward_code)
            return [(ward.code, ward.name)] if ward else []
        province = staff.province_code or self.app.settings.default_province_code
        return [(w.code, w.name) for w in places.wards_of(province)]

    def page(
        self, template: str, visit: Visit | None, status_code: int = 200, **values: Any
    ) -> HTMLResponse:
        """A page rendered from its template."""
        html = self.templates.get_template(template).render(visit=visit, **values)
        return HTMLResponse(html, status_code=status_code, headers=NO_STORE)

    def when(self, moment: datetime | None, pattern: str = "dd/MM/yyyy HH:mm") -> str:
        """A stored (UTC) time as people here read it."""
        if moment is None:
            return ""
        return format_datetime(moment, pattern, tzinfo=self.zone, locale="vi")


def read_id(value: Any) -> int | None:
    """A row id typed in a URL or a form: ASCII digits that fit a 64-bit id, else None."""
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    return int(text)


def query(fields: Mapping[str, Any], **more: Any) -> str:
    """A query string of the fields that have a value."""
    values = {**fields, **more}
    return urlencode({k: v for k, v in values.items() if v not in (None, "")})


def actor_name(actor: str) -> str:
    """Who did it, in words ("staff:3" is staff member 3)."""
    if actor.startswith("staff:"):
        return f"Cán bộ số {actor.removeprefix('staff:')}"
    return {"cli": "Quản trị hệ thống (dòng lệnh)", "citizen": "Người dân"}.get(actor, actor)


def number(value: int | float) -> str:
    """A number as Vietnamese write it (100.000)."""
    return format_decimal(value, locale="vi")


# Pages hold personal data: no cache may keep them; no other site may frame them.
NO_STORE = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def redirect(url: str) -> Response:
    """See other: after a form, the browser asks for the page (303)."""
    return Response(status_code=303, headers={"Location": url, **NO_STORE})

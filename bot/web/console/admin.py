"""What citizens asked that the bot could not answer (every member), and for admins the
audit log and staff management (invite, change role and area, remove)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.core.access import Role
from bot.services.staff import StaffError, StaffProblem
from bot.web.console.base import Console, NotFound, Visit, read_id, redirect

STAFF_PROBLEMS = {
    StaffProblem.NO_SCOPE: "Cán bộ và người chỉ xem cần một tỉnh hoặc một xã/phường.",
    StaffProblem.UNKNOWN_PROVINCE: "Không có tỉnh này.",
    StaffProblem.UNKNOWN_WARD: "Không có xã/phường này.",
    StaffProblem.WARD_OUTSIDE_PROVINCE: "Xã/phường này không thuộc tỉnh đã chọn.",
    StaffProblem.ALREADY_STAFF: "Tài khoản này đã là cán bộ.",
    StaffProblem.NOT_FOUND: "Không tìm thấy cán bộ này.",
    StaffProblem.LAST_ADMIN: "Đây là quản trị viên cuối cùng: không thể bỏ quyền quản trị.",
}


def _role(value: object) -> Role | None:
    try:
        return Role(str(value))
    except ValueError:
        return None


def register(router: APIRouter, console: Console) -> None:
    """Add the pages of what was missed, the audit log and staff management."""

    @router.get("/misses")
    async def misses(request: Request) -> Response:
        visit = await console.visit(request)
        async with console.services() as services:
            questions = await services.gaps.questions()
            phones = await services.gaps.phones()
        return console.page("misses.html", visit, questions=questions, phones=phones)

    @router.get("/audit")
    async def audit(request: Request) -> Response:
        visit = await console.visit(request, admin=True)
        action = request.query_params.get("action") or None
        before = read_id(request.query_params.get("before"))
        async with console.services() as services:
            rows, more = await services.audit.page(action=action, before_id=before)
        return console.page(
            "audit.html",
            visit,
            rows=rows,
            action=action or "",
            next_before=rows[-1].id if more and rows else None,
        )

    async def staff_page(
        visit: Visit,
        *,
        problem: str = "",
        code: str = "",
        expires: datetime | None = None,
        status: int = 200,
    ) -> Response:
        async with console.services() as services:
            members = await services.staff.listed(by=visit.staff)
        return console.page(
            "staff.html",
            visit,
            status_code=status,
            members=members,
            problem=problem,
            code=code,
            expires=expires,
            roles=list(Role),
            communes=console.communes(visit.staff),
            area_name=console.app.places.area_name,
            province_code=visit.staff.province_code or console.app.settings.default_province_code,
        )

    @router.get("/staff")
    async def staff(request: Request) -> Response:
        return await staff_page(await console.visit(request, admin=True))

    @router.post("/staff/invite")
    async def invite(request: Request) -> Response:
        visit, form = await console.posted(request, admin=True)
        role = _role(form.get("role"))
        if role is None:
            return await staff_page(visit, problem="Anh/chị chọn một vai trò.", status=400)
        ward = read_id(form.get("ward"))
        province = _province(visit, form, ward)
        try:
            async with console.services() as services:
                made = await services.staff.invite(
                    role=role, province_code=province, ward_code=ward, actor=visit.staff.actor
                )
        except StaffError as error:
            return await staff_page(visit, problem=STAFF_PROBLEMS[error.problem], status=400)
        return await staff_page(visit, code=made.code, expires=made.expires_at)

    @router.post("/staff/{staff_id}/change")
    async def change(request: Request, staff_id: str) -> Response:
        visit, form = await console.posted(request, admin=True)
        member_id = read_id(staff_id)
        if member_id is None:
            raise NotFound
        role = _role(form.get("role"))
        if role is None:
            return await staff_page(visit, problem="Anh/chị chọn một vai trò.", status=400)
        ward = read_id(form.get("ward"))
        try:
            async with console.services() as services:
                await services.staff.change(
                    member_id,
                    by=visit.staff,
                    role=role,
                    province_code=_province(visit, form, ward),
                    ward_code=ward,
                    actor=visit.staff.actor,
                )
        except StaffError as error:
            return await staff_page(visit, problem=STAFF_PROBLEMS[error.problem], status=400)
        return redirect("/console/staff?changed=1")

    @router.post("/staff/{staff_id}/remove")
    async def remove(request: Request, staff_id: str) -> Response:
        visit, _form = await console.posted(request, admin=True)
        member_id = read_id(staff_id)
        if member_id is None:
            raise NotFound
        try:
            async with console.services() as services:
                await services.staff.remove(member_id, actor=visit.staff.actor, by=visit.staff)
        except StaffError as error:
            return await staff_page(visit, problem=STAFF_PROBLEMS[error.problem], status=400)
        return redirect("/console/staff?removed=1")


def _province(visit: Visit, form: object, ward: int | None) -> int | None:
    """The province of an invitation or a change: an admin of a province gives only their
    own (a commune chosen is checked to lie in it); a nationwide admin's form says it."""
    if visit.staff.province_code is not None:
        return visit.staff.province_code
    return None if ward else read_id(form.get("province"))  # type: ignore[attr-defined]

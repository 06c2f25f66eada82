"""Broadcasts in the web console: the list with live progress, compose with the audience's
size shown as it changes, a preview, a test to oneself, schedule or send now, cancel."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from bot.services.broadcasts import (
    TEXT_MAX,
    Audience,
    BroadcastRefused,
    Refused,
    broadcast_reply,
    may_cancel,
)
from bot.web.console.base import Console, NotFound, Visit, read_id, redirect

REFUSED = {
    Refused.OUTSIDE_AREA: "Xã/phường này nằm ngoài phạm vi của anh/chị.",
    Refused.NOT_FOUND: "Không tìm thấy thông báo này.",
    Refused.FINISHED: "Thông báo này đã gửi xong hoặc đã hủy.",
    Refused.EMPTY_TEXT: "Anh/chị chưa gõ nội dung thông báo.",
    Refused.TOO_LONG: f"Nội dung dài quá {TEXT_MAX:,} ký tự.".replace(",", "."),
    Refused.IN_THE_PAST: "Thời gian gửi đã qua; anh/chị chọn lại.",
    Refused.NOT_ALLOWED: "Vai trò chỉ xem không gửi được thông báo.",
    Refused.NO_CHAT_ACCOUNT: (
        "Anh/chị chưa có tài khoản Telegram hoặc Zalo nối với bot để nhận tin thử."
    ),
}
BAD_TIME = "Không đọc được thời gian gửi; anh/chị chọn ngày và giờ."
COMPOSE_FIELDS = ("text_vi", "text_en", "ward", "verdict", "status", "channel", "when", "at")


def _audience(fields: Mapping[str, Any]) -> Audience:
    return Audience(
        ward=read_id(fields.get("ward")),
        verdict="affected" if fields.get("verdict") == "affected" else None,
        status=str(fields.get("status") or "") or None,
        channel=str(fields.get("channel") or "") or None,
    )


def register(router: APIRouter, console: Console) -> None:
    """Add the broadcast pages."""
    zone = console.zone

    def send_at(fields: Mapping[str, Any]) -> datetime | None:
        """Now, or the local date and time of the form (None when unreadable)."""
        if fields.get("when") != "later":
            return console.app.clock.now()
        try:
            local = datetime.fromisoformat(str(fields.get("at") or ""))
        except ValueError:
            return None
        aware = local.replace(tzinfo=zone) if local.tzinfo is None else local
        return aware.astimezone(UTC)  # stored in UTC (SQLite keeps no offset)

    async def listed_page(
        visit: Visit, *, form: Mapping[str, Any] | None = None, problem: str = "", status: int = 200
    ) -> Response:
        async with console.services() as services:
            reports = await services.broadcasts.listed(visit.staff, limit=30)
        return console.page(
            "broadcasts.html",
            visit,
            status_code=status,
            reports=reports,
            form={name: str((form or {}).get(name) or "") for name in COMPOSE_FIELDS},
            problem=problem,
            communes=console.communes(visit.staff),
            may_cancel=may_cancel,
        )

    @router.get("/broadcasts")
    async def listed(request: Request) -> Response:
        return await listed_page(await console.visit(request))

    @router.get("/broadcasts/audience")
    async def audience_size(request: Request) -> Response:
        visit = await console.visit(request)
        try:
            async with console.services() as services:
                recipients, skipped = await services.broadcasts.audience_size(
                    visit.staff, _audience(request.query_params)
                )
        except BroadcastRefused as refused:
            return JSONResponse({"problem": REFUSED[refused.reason]}, status_code=400)
        return JSONResponse({"recipients": recipients, "skipped": skipped})

    @router.get("/broadcasts/progress")
    async def progress(request: Request) -> Response:
        visit = await console.visit(request)
        async with console.services() as services:
            reports = await services.broadcasts.listed(visit.staff, limit=30)
        return JSONResponse(
            {
                str(r.broadcast.id): {
                    "status": r.broadcast.status,
                    "done": r.done,
                    "recipients": r.recipients,
                    "outcomes": r.outcomes,
                }
                for r in reports
            }
        )

    @router.post("/broadcasts/preview")
    async def preview(request: Request) -> Response:
        visit, form = await console.posted(request)
        action = str(form.get("action") or "preview")
        if action == "edit":
            return await listed_page(visit, form=form)
        moment = send_at(form)
        if moment is None:
            return await listed_page(visit, form=form, problem=BAD_TIME, status=400)
        try:
            async with console.services() as services:
                if action == "test":
                    accounts = await services.staff.accounts(visit.staff)
                    channel = await services.broadcasts.send_test(
                        visit.staff,
                        text_vi=str(form.get("text_vi") or ""),
                        text_en=str(form.get("text_en") or ""),
                        chat_accounts=accounts,
                    )
                recipients, skipped = await services.broadcasts.audience_size(
                    visit.staff, _audience(form)
                )
                if not str(form.get("text_vi") or "").strip():
                    raise BroadcastRefused(Refused.EMPTY_TEXT)
        except BroadcastRefused as refused:
            return await listed_page(visit, form=form, problem=REFUSED[refused.reason], status=400)
        return console.page(
            "broadcast_preview.html",
            visit,
            form={name: str(form.get(name) or "") for name in COMPOSE_FIELDS},
            shown=broadcast_reply(str(form.get("text_vi") or "").strip(), "vi"),
            recipients=recipients,
            skipped=skipped,
            send_at=moment if form.get("when") == "later" else None,
            tested=channel if action == "test" else None,
            area=_area_of(console, visit, _audience(form)),
        )

    @router.post("/broadcasts")
    async def create(request: Request) -> Response:
        visit, form = await console.posted(request)
        moment = send_at(form)
        if moment is None:
            return await listed_page(visit, form=form, problem=BAD_TIME, status=400)
        try:
            async with console.services() as services:
                row = await services.broadcasts.create(
                    visit.staff,
                    text_vi=str(form.get("text_vi") or ""),
                    text_en=str(form.get("text_en") or ""),
                    audience=_audience(form),
                    send_at=moment,
                )
        except BroadcastRefused as refused:
            return await listed_page(visit, form=form, problem=REFUSED[refused.reason], status=400)
        return redirect(f"/console/broadcasts?created={row.id}")

    @router.post("/broadcasts/{broadcast_id}/cancel")
    async def cancel(request: Request, broadcast_id: str) -> Response:
        visit, _form = await console.posted(request)
        number = read_id(broadcast_id)
        if number is None:
            raise NotFound
        try:
            async with console.services() as services:
                await services.broadcasts.cancel(visit.staff, number)
        except BroadcastRefused as refused:
            return await listed_page(visit, problem=REFUSED[refused.reason], status=400)
        return redirect(f"/console/broadcasts?cancelled={broadcast_id}")


def _area_of(console: Console, visit: Visit, audience: Audience) -> str:
    places = console.app.places
    ward = audience.ward or visit.staff.ward_code
    return places.area_name(visit.staff.province_code, ward) or "cả nước"

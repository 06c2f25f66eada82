"""Registrations in the web console: the list with its filters (keyset pages), one
registration with its history and status change, and the export of the current filter."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from bot.services.casework import NEEDS_REASON, NOTE_MAX, ChangeOutcome
from bot.services.exports import ExportFormat
from bot.services.scopes import RegistrationFilter
from bot.web.console.base import Console, NotFound, Visit, read_id, redirect

PAGE_SIZE = 50
FILTER_FIELDS = ("ward", "status", "category", "since", "until", "q")
MEDIA_TYPES = {
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.CSV: "text/csv; charset=utf-8",
}


def _day(value: Any) -> date | None:
    """A date of the form (YYYY-MM-DD, years 2000-2100), else None."""
    try:
        day = date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None


def read_filter(fields: Mapping[str, Any]) -> RegistrationFilter:
    """The filter of a query string or a form; what cannot be read is left out."""
    return RegistrationFilter(
        ward_code=read_id(fields.get("ward")),
        status=str(fields.get("status") or "") or None,
        category=str(fields.get("category") or "") or None,
        text=str(fields.get("q") or "").strip()[:100] or None,
        since=_day(fields.get("since")),
        until=_day(fields.get("until")),
    )


def kept(fields: Mapping[str, Any]) -> dict[str, str]:
    """The filter's fields as they were sent, for links and forms."""
    return {name: str(fields.get(name) or "") for name in FILTER_FIELDS if fields.get(name)}


def register(router: APIRouter, console: Console) -> None:
    """Add the registration pages."""
    places = console.app.places

    @router.get("/registrations")
    async def listed(request: Request) -> Response:
        visit = await console.visit(request)
        fields = request.query_params
        chosen = read_filter(fields)
        before = read_id(fields.get("before"))
        async with console.services() as services:
            page = await services.casework.page(
                visit.staff, chosen, before_id=before, size=PAGE_SIZE
            )
        return console.page(
            "registrations.html",
            visit,
            page=page,
            chosen=kept(fields),
            communes=console.communes(visit.staff),
            ward_name=lambda code: places.ward(code).name if places.ward(code) else "",
            next_before=page.cases[-1].id if page.more and page.cases else None,
            deep=before is not None,
        )

    async def case_page(
        visit: Visit, reference: str, *, status_code: int = 200, **shown: Any
    ) -> Response:
        """One registration of the member's area with its history (404 outside it)."""
        async with console.services() as services:
            case = await services.casework.open(visit.staff, reference)
        if case is None:
            raise NotFound
        return console.page(
            "registration.html",
            visit,
            status_code=status_code,
            case=case,
            **_names(console, case),
            **shown,
        )

    @router.get("/registrations/{reference}")
    async def opened(request: Request, reference: str) -> Response:
        visit = await console.visit(request)
        changed = request.query_params.get("changed") == "1"
        return await case_page(visit, reference, request_changed=changed)

    @router.post("/registrations/{reference}/status")
    async def change(request: Request, reference: str) -> Response:
        visit, form = await console.posted(request)
        to_status = str(form.get("to") or "")
        note = str(form.get("note") or "")[:NOTE_MAX]
        async with console.services() as services:
            change = await services.casework.change_status(
                visit.staff, reference, to_status, note=note
            )
        if change.outcome is ChangeOutcome.NOT_FOUND:
            raise NotFound
        if change.outcome is ChangeOutcome.CHANGED and change.case is not None:
            return redirect(f"/console/registrations/{change.case.reference}?changed=1")
        return await case_page(
            visit,
            reference,
            status_code=400,
            problem=change.outcome.value,
            note=note,
            chosen_status=to_status,
        )

    @router.post("/registrations/export")
    async def export(request: Request) -> Response:
        visit, form = await console.posted(request)
        chosen = read_filter(form)
        fmt = ExportFormat.CSV if form.get("format") == "csv" else ExportFormat.XLSX
        folder = console.app.settings.export_dir
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        day = console.when(console.app.clock.now(), "yyyyMMdd-HHmm")
        name = f"dang-ky-ho-tro-{day}.{fmt.value}"
        path = folder / f"{secrets.token_hex(8)}-{name}"
        async with console.services() as services:
            await services.casework.export(
                visit.staff, chosen, fmt=fmt, path=path, places=places, actor=visit.staff.actor
            )
        return FileResponse(
            path,
            media_type=MEDIA_TYPES[fmt],
            filename=name,
            headers={"Cache-Control": "no-store"},
            background=BackgroundTask(path.unlink, missing_ok=True),
        )


def _names(console: Console, case: Any) -> dict[str, Any]:
    places = console.app.places
    ward = places.ward(case.details.ward_code)
    province = places.province(case.details.province_code)
    return {
        "ward_name": ward.name if ward else "",
        "province_name": province.name if province else "",
        "needs_reason": sorted(NEEDS_REASON),
    }

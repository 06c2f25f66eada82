"""Signing in with a one-time link, signing out, and the home page.

Opening a link shows a button; only pressing it uses the link. Chat apps open links to make
previews, and a link used by a preview would be spent before its owner clicks it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.web.console.base import Console, redirect
from bot.web.console.security import COOKIE_NAME


def register(router: APIRouter, console: Console) -> None:
    """Add the sign-in routes and the home page."""
    settings = console.app.settings

    @router.get("/login/{token}")
    async def login_page(request: Request, token: str) -> Response:
        return console.page("login.html", None, token=token)

    @router.post("/login")
    async def login(request: Request) -> Response:
        client = request.client.host if request.client else "?"
        if not console.sign_ins.allow(client):
            return console.page("refused.html", None, status_code=429, reason="too_many")
        form = await request.form()
        token = str(form.get("token") or "")
        async with console.services() as services:
            signed = (
                await services.web_access.sign_in(token, hours=settings.web_session_hours)
                if token
                else None
            )
        if signed is None:
            return console.page("refused.html", None, status_code=400, reason="bad_link")
        response = redirect("/console/")
        response.set_cookie(
            COOKIE_NAME,
            console.signer.cookie(signed.token),
            max_age=int(settings.web_session_hours * 3600),
            httponly=True,
            samesite="lax",
            secure=console.secure_cookie,
            path="/console",
        )
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        visit, _form = await console.posted(request)
        async with console.services() as services:
            await services.web_access.sign_out(visit.session_token)
        response = console.page("signed_out.html", None)
        response.delete_cookie(COOKIE_NAME, path="/console")
        return response

    @router.get("/")
    async def home(request: Request) -> Response:
        visit = await console.visit(request)
        async with console.services() as services:
            counts = await services.casework.counts_by_status(visit.staff)
        return console.page("home.html", visit, counts=counts)

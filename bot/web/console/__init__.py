"""The staff's web console: pages rendered on the server (Jinja2), served by `bot run` under
/console. It does nothing the chat side does not allow: the same roles, areas, services and
audit log. See docs/web-console.md."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from bot.app import App
from bot.web.console import admin, broadcasts, registrations, signin
from bot.web.console.base import HERE, Console, Forbidden, NotFound, NotSignedIn
from bot.web.console.security import CookieSigner


async def mount_console(web: FastAPI, app: App) -> Console:
    """Add the console's routes, static files and error pages to `web`; the cookie key is
    WEB_SECRET, or the one kept in the database."""
    if app.settings.web_secret is not None:
        key = app.settings.web_secret.get_secret_value()
    else:
        async with app.runner.sessionmaker() as session, session.begin():
            key = await app.runner.services_for(session).web_access.cookie_key()
    console = Console(app, CookieSigner(key))
    router = APIRouter(prefix="/console", include_in_schema=False)
    for part in (signin, registrations, broadcasts, admin):
        part.register(router, console)
    web.include_router(router)
    web.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")

    @web.exception_handler(NotSignedIn)
    async def not_signed_in(_request: Request, _error: NotSignedIn) -> Response:
        return console.page("refused.html", None, status_code=401, reason="sign_in")

    @web.exception_handler(Forbidden)
    async def forbidden(_request: Request, _error: Forbidden) -> Response:
        return console.page("refused.html", None, status_code=403, reason="forbidden")

    @web.exception_handler(NotFound)
    async def not_found(_request: Request, _error: NotFound) -> Response:
        return console.page("refused.html", None, status_code=404, reason="not_found")

    return console

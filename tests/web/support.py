"""The web console in tests: a signed-in browser-like client over the console's routes, and
registrations made through the chat as citizens make them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from bot.app import App
from bot.core.access import StaffIdentity
from bot.web.console import mount_console
from tests.support.chat import Chat
from tests.support.registration import fill

BASE = "http://127.0.0.1"


@asynccontextmanager
async def console_client(app: App) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the console served from `app` (in this process)."""
    web = FastAPI()
    await mount_console(web, app)
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


async def login_link(app: App, staff: StaffIdentity, minutes: int = 10) -> str:
    """A one-time sign-in token for `staff`, as /dangnhap makes it."""
    async with app.runner.sessionmaker() as session, session.begin():
        services = app.runner.services_for(session)
        link = await services.web_access.login_link(staff, minutes=minutes, actor="test")
    return link.token


async def sign_in(app: App, client: httpx.AsyncClient, staff: StaffIdentity) -> str:
    """Sign `client` in as `staff`; the CSRF token of its forms."""
    token = await login_link(app, staff)
    response = await client.post("/console/login", data={"token": token})
    assert response.status_code == 303, response.text
    return csrf_of((await client.get("/console/")).text)


def csrf_of(html: str) -> str:
    """The CSRF token of a page's forms."""
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


async def register_household(
    app: App,
    user_id: str,
    *,
    ward: str = "chieng sinh",
    name: str = "Lò Văn Huy",
    phone: str = "0912 345 678",
) -> str:
    """A citizen registers a household through the chat; its reference."""  # fmt: skip
    chat = Chat(app, user_id=user_id)
    await fill(chat, ward=ward, name=name, phone=phone)
    await chat.press("Gửi")
    found = re.search(r"HT-[A-Z0-9]+", chat.text)
    assert found, chat.text
    return found.group(0)

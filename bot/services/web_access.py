"""Signing in to the web console without passwords: a one-time link, then a session.

A link is made for one staff member (by `/dangnhap` in the chat or `bot staff login-link`),
expires within minutes and is used once; only its token's hash is stored. Using it starts a
session whose token (hash stored) goes into a signed cookie. Each request reads the member
afresh, so a removed member or an ended session is out at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.access import StaffIdentity, identity_of
from db.models import WebLoginLink, WebSession, utcnow
from db.repositories.audit import AuditRepository
from db.repositories.web_access import WebAccessRepository

COOKIE_KEY_NAME = "web_cookie_key"


def token_hash(token: str) -> str:
    """What is stored of a link's or a session's token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class LoginLink:
    """A sign-in link made now: its token (shown once) and when it stops working."""

    token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A session started by a link: its token (for the cookie), member and end."""

    token: str
    staff: StaffIdentity
    expires_at: datetime


class WebAccessService:
    """Links, sessions and the cookie key, in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._repository = WebAccessRepository(session)
        self._audit = AuditRepository(session)

    async def login_link(
        self, staff: StaffIdentity, *, minutes: int, actor: str, now: datetime | None = None
    ) -> LoginLink:
        """A one-time link for `staff`, valid `minutes`."""
        moment = now or utcnow()
        token = secrets.token_urlsafe(24)
        expires_at = moment + timedelta(minutes=minutes)
        await self._repository.add_link(
            WebLoginLink(
                token_hash=token_hash(token),
                staff_id=staff.id,
                created_by=actor,
                created_at=moment,
                expires_at=expires_at,
            )
        )
        await self._audit.add(
            actor=actor, action="web.login_link", detail={"staff": staff.id, "minutes": minutes}
        )
        return LoginLink(token, expires_at)

    async def sign_in(
        self, token: str, *, hours: float, now: datetime | None = None
    ) -> SignedIn | None:
        """Use a link: a new session, or None when the link is unknown, used or expired."""
        moment = now or utcnow()
        staff_id = await self._repository.take_link(token_hash(token), moment)
        if staff_id is None:
            return None
        session_token = secrets.token_urlsafe(32)
        expires_at = moment + timedelta(hours=hours)
        await self._repository.add_session(
            WebSession(
                token_hash=token_hash(session_token),
                staff_id=staff_id,
                created_at=moment,
                expires_at=expires_at,
            )
        )
        member = await self._repository.live_member(token_hash(session_token), moment)
        if member is None:
            return None
        await self._audit.add(actor=f"staff:{staff_id}", action="web.signed_in", detail={})
        return SignedIn(session_token, identity_of(member), expires_at)

    async def staff_of(
        self, session_token: str, now: datetime | None = None
    ) -> StaffIdentity | None:
        """The member of a live session, as they are now; None when it ended or expired."""
        member = await self._repository.live_member(token_hash(session_token), now or utcnow())
        return identity_of(member) if member is not None else None

    async def sign_out(self, session_token: str) -> None:
        """End the session."""
        await self._repository.end_session(token_hash(session_token), utcnow())

    async def cookie_key(self) -> str:
        """The key that signs the console's cookies, shared by every process of the
        deployment (made by the first that asks)."""
        return await self._repository.secret(COOKIE_KEY_NAME, secrets.token_urlsafe(48))

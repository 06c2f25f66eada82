"""Sign-in links, browser sessions and the shared cookie key of the web console, within the
caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AppSecret, StaffMember, WebLoginLink, WebSession
from db.repositories.dialect import insert_for


class WebAccessRepository:
    """Reads and writes `web_login_links`, `web_sessions` and `app_secrets`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_link(self, link: WebLoginLink) -> None:
        """Store a sign-in link (its token only as a hash)."""
        self.session.add(link)
        await self.session.flush()

    async def take_link(self, token_hash: str, now: datetime) -> int | None:
        """Use the link with this hash: the staff id when it was unused and unexpired (and its
        member not removed), else None. One UPDATE, so two uses at once cannot both win."""
        used = await self.session.execute(
            update(WebLoginLink)
            .where(
                WebLoginLink.token_hash == token_hash,
                WebLoginLink.used_at.is_(None),
                WebLoginLink.expires_at > now,
            )
            .values(used_at=now)
            .returning(WebLoginLink.staff_id)
        )
        staff_id = used.scalar_one_or_none()
        if staff_id is None:
            return None
        member = await self.session.get(StaffMember, staff_id)
        return staff_id if member is not None and member.removed_at is None else None

    async def add_session(self, row: WebSession) -> None:
        """Store a browser session (its token only as a hash)."""
        self.session.add(row)
        await self.session.flush()

    async def live_member(self, token_hash: str, now: datetime) -> StaffMember | None:
        """The member of a session that has not ended or expired (None once removed)."""
        return await self.session.scalar(
            select(StaffMember)
            .join(WebSession, WebSession.staff_id == StaffMember.id)
            .where(
                WebSession.token_hash == token_hash,
                WebSession.ended_at.is_(None),
                WebSession.expires_at > now,
                StaffMember.removed_at.is_(None),
            )
        )

    async def end_session(self, token_hash: str, now: datetime) -> None:
        """End a session (sign-out)."""
        await self.session.execute(
            update(WebSession)
            .where(WebSession.token_hash == token_hash, WebSession.ended_at.is_(None))
            .values(ended_at=now)
        )

    async def end_sessions_of(self, staff_id: int, now: datetime) -> None:
        """End every session of a member (removed, or their role changed)."""
        await self.session.execute(
            update(WebSession)
            .where(WebSession.staff_id == staff_id, WebSession.ended_at.is_(None))
            .values(ended_at=now)
        )

    async def secret(self, name: str, make: str) -> str:
        """The shared secret `name`, stored as `make` by the first process that asks."""
        insert = await insert_for(self.session, AppSecret)
        await self.session.execute(
            insert.values(name=name, value=make).on_conflict_do_nothing(index_elements=["name"])
        )
        return str(await self.session.scalar(select(AppSecret.value).where(AppSecret.name == name)))

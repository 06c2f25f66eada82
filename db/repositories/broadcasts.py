"""Broadcasts and their recipients, within the caller's transaction.

Recipients are chosen in SQL and written to the outbox by INSERT … SELECT, one row per
broadcast and person (`bc:<broadcast>:<user>`, unique): starting a broadcast twice, or in
two processes, writes each recipient once, and 20,000 of them never pass through Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    ERASED,
    Broadcast,
    DeviceCheck,
    OutboxMessage,
    Registration,
    Subscription,
    User,
    utcnow,
)
from db.repositories.dialect import insert_for
from db.repositories.outbox import PENDING, SENDING

# The users a broadcast can be sent to: on a channel with a sender (the console delivers
# its own rows), not erased.
REACHABLE_CHANNELS = ("telegram", "zalo", "console")
AFFECTED_VERDICTS = ("2g_only", "no_4g", "4g_no_volte")
CANCELLED = "cancelled"  # an outbox row of a cancelled broadcast: never sent


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a broadcast is for: subscribers, narrowed by area (a commune's or a province's
    subscribers), by the verdict of a phone they checked ("affected" for any affected one), by
    the status of a registration they made, and by channel. Empty: every subscriber."""

    province: int | None = None
    ward: int | None = None
    verdict: str | None = None
    status: str | None = None
    channel: str | None = None

    @classmethod
    def of(cls, stored: dict[str, Any]) -> Audience:
        """From the JSON a broadcast keeps."""
        known = {
            name: stored.get(name) for name in ("province", "ward", "verdict", "status", "channel")
        }
        return cls(**known)

    def as_json(self) -> dict[str, Any]:
        """The JSON a broadcast keeps (only what narrows it)."""
        return {
            name: value
            for name, value in (
                ("province", self.province),
                ("ward", self.ward),
                ("verdict", self.verdict),
                ("status", self.status),
                ("channel", self.channel),
            )
            if value is not None
        }


def _conditions(audience: Audience) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        Subscription.ended_at.is_(None),
        User.channel.in_(REACHABLE_CHANNELS),
        ~User.external_id.startswith(f"{ERASED}:"),
    ]
    if audience.ward is not None:
        conditions.append(Subscription.ward_code == audience.ward)
    elif audience.province is not None:
        conditions.append(Subscription.province_code == audience.province)
    if audience.channel is not None:
        conditions.append(User.channel == audience.channel)
    if audience.verdict is not None:
        verdicts = AFFECTED_VERDICTS if audience.verdict == "affected" else (audience.verdict,)
        conditions.append(
            exists().where(DeviceCheck.user_id == User.id, DeviceCheck.verdict.in_(verdicts))
        )
    if audience.status is not None:
        conditions.append(
            exists().where(Registration.user_id == User.id, Registration.status == audience.status)
        )
    return conditions


def _subscribers(audience: Audience, *columns: Any) -> Select[Any]:
    return (
        select(*columns)
        .select_from(Subscription)
        .join(User, User.id == Subscription.user_id)
        .where(*_conditions(audience))
    )


class BroadcastRepository:
    """Reads and writes `broadcasts` and their outbox rows."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, broadcast: Broadcast) -> Broadcast:
        """Store a new broadcast and give it its id."""
        self.session.add(broadcast)
        await self.session.flush()
        return broadcast

    async def get(self, broadcast_id: int, *, lock: bool = False) -> Broadcast | None:
        """The broadcast with this id (locked for the transaction when `lock`)."""
        statement = select(Broadcast).where(Broadcast.id == broadcast_id)
        if lock:
            statement = statement.with_for_update()
        return await self.session.scalar(statement)

    async def listed(
        self, *, limit: int = 20, province: int | None = None, ward: int | None = None
    ) -> list[Broadcast]:
        """The newest broadcasts first; with an area (a staff member's), those for it or for
        a part of it, and reminders (they are for everyone)."""
        statement = select(Broadcast)
        if ward is not None:
            statement = statement.where(
                or_(Broadcast.kind == "reminder", Broadcast.area_ward == ward)
            )
        elif province is not None:
            statement = statement.where(
                or_(Broadcast.kind == "reminder", Broadcast.area_province == province)
            )
        rows = await self.session.scalars(statement.order_by(Broadcast.id.desc()).limit(limit))
        return list(rows)

    async def due(self, now: datetime, *, limit: int = 20) -> list[Broadcast]:
        """Scheduled broadcasts whose time has come, oldest first, locked (another process
        skips them on PostgreSQL)."""
        rows = await self.session.scalars(
            select(Broadcast)
            .where(Broadcast.status == "scheduled", Broadcast.send_at <= now)
            .order_by(Broadcast.send_at, Broadcast.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(rows)

    async def sending(self) -> list[Broadcast]:
        """Broadcasts under way."""
        return list(
            await self.session.scalars(select(Broadcast).where(Broadcast.status == "sending"))
        )

    async def count_audience(self, audience: Audience) -> tuple[int, int]:
        """(recipients, skipped): subscribers the audience holds that can be reached, and
        those who cannot (they blocked the bot, or have no address yet)."""
        unreachable = or_(
            User.unreachable_at.is_not(None),
            and_(User.address.is_(None), User.channel != "console"),
        )
        statement = _subscribers(
            audience,
            func.count(),
            func.coalesce(func.sum(case((unreachable, 1), else_=0)), 0),
        )
        total, skipped = (await self.session.execute(statement)).one()
        return int(total) - int(skipped), int(skipped)

    async def write_recipients(
        self, broadcast: Broadcast, bodies: dict[str, dict[str, Any]], now: datetime
    ) -> int:
        """One outbox row per reachable recipient, with the body of their language (`bodies`
        by locale; "vi" for any other); how many rows the broadcast has now. (Counted after
        the inserts: the rowcount of INSERT ... SELECT is -1 on some drivers.)"""
        audience = Audience.of(broadcast.audience or {})
        reachable = [
            User.unreachable_at.is_(None),
            or_(User.address.is_not(None), User.channel == "console"),
        ]
        for locale, body in bodies.items():
            in_locale = (
                User.locale == locale
                if locale != "vi"
                else User.locale.not_in([other for other in bodies if other != "vi"])
            )
            chosen = _subscribers(
                audience,
                User.channel,
                func.coalesce(User.address, User.external_id),
                User.id,
                literal(f"bc:{broadcast.id}:") + cast(User.id, String),
                literal("broadcast"),
                bindparam(f"body_{locale}", value=body, type_=JSON),
                literal(PENDING),
                literal(0),
                literal(0),
                literal(now),
                literal(now),
                literal(broadcast.id),
            ).where(*reachable, in_locale)
            insert = await insert_for(self.session, OutboxMessage)
            statement = insert.from_select(
                [
                    "channel",
                    "address",
                    "user_id",
                    "dedup_key",
                    "kind",
                    "body",
                    "status",
                    "attempts",
                    "parts_sent",
                    "not_before",
                    "created_at",
                    "broadcast_id",
                ],
                chosen,
            ).on_conflict_do_nothing(index_elements=["dedup_key"])
            await self.session.execute(statement)
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.broadcast_id == broadcast.id)
            )
        )

    async def outcomes(self, broadcast_id: int) -> dict[str, int]:
        """The broadcast's outbox rows by status."""
        rows = await self.session.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.broadcast_id == broadcast_id)
            .group_by(OutboxMessage.status)
        )
        return {status: int(count) for status, count in rows}

    async def unfinished(self, broadcast_id: int) -> int:
        """How many of its messages are still to be sent (or being sent)."""
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.broadcast_id == broadcast_id,
                    OutboxMessage.status.in_((PENDING, SENDING)),
                )
            )
            or 0
        )

    async def cancel_pending(self, broadcast_id: int) -> int:
        """Its messages not sent yet are cancelled (never to be sent); how many."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.status == PENDING)
            .values(status=CANCELLED, finished_at=utcnow(), last_error="broadcast cancelled")
        )
        return result.rowcount or 0

    async def reminder(self, milestone_id: str, offset_days: int) -> Broadcast | None:
        """The reminder of this milestone and offset, if planned."""
        return await self.session.scalar(
            select(Broadcast).where(
                Broadcast.milestone_id == milestone_id, Broadcast.offset_days == offset_days
            )
        )

    async def reminders(self) -> list[Broadcast]:
        """Every reminder planned."""
        return list(
            await self.session.scalars(select(Broadcast).where(Broadcast.kind == "reminder"))
        )

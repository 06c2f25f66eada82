"""Domain services, built per turn (or job) around one database session."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import Clock


@dataclass(slots=True)
class Services:
    """What handlers may use. One instance per turn; it shares the turn's session."""

    session: AsyncSession
    clock: Clock


def make_services(session: AsyncSession, clock: Clock) -> Services:
    """Build the services for one turn."""
    return Services(session=session, clock=clock)

"""Database models. Times are stored in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint, false, func
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigId


def utcnow() -> datetime:
    """The current time in UTC (timezone-aware)."""
    return datetime.now(UTC)


class User(Base):
    """A person on one channel, identified by (channel, external id)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str | None] = mapped_column(String(128))
    locale: Mapped[str] = mapped_column(String(8))
    is_staff: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())


class Conversation(Base):
    """Dialogue state of one user: the current state name, its form data and offered choices."""

    __tablename__ = "conversations"

    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    choices: Mapped[list[Any]] = mapped_column(default=list)
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.now()
    )


class FaqMiss(Base):
    """A question the bot could not place: for staff to improve the content. No personal data
    beyond the text itself, the time and the channel."""

    __tablename__ = "faq_misses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(String(1000))
    normalized: Mapped[str] = mapped_column(String(1000), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    best_topic: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[float]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())


class TacModel(Base):
    """Type Allocation Code (first 8 IMEI digits) → brand and model, imported from a file."""

    __tablename__ = "tac_models"

    tac: Mapped[str] = mapped_column(String(8), primary_key=True)
    brand: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(16))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())


class DeviceCheck(Base):
    """One phone check by a user: kept so broadcasts can reach owners of affected phones and
    a registration can carry it. An IMEI is stored as its TAC only (the model code)."""

    __tablename__ = "device_checks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    query: Mapped[str] = mapped_column(String(200))
    tac: Mapped[str | None] = mapped_column(String(8))
    brand: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(128))
    verdict: Mapped[str] = mapped_column(String(16), index=True)
    confidence: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())


class DeviceMiss(Base):
    """A phone the catalogue could not judge: a model name it lacks, or an IMEI whose model has
    no verdict. For staff to grow the catalogue (`bot devices misses`); no personal data
    beyond the masked text, the channel and the time."""

    __tablename__ = "device_misses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # "model" or "imei"
    brand: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(128))
    tac: Mapped[str | None] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())


class ProcessedUpdate(Base):
    """An incoming platform update already handled: a redelivery is not processed twice,
    whichever worker receives it."""

    __tablename__ = "processed_updates"
    __table_args__ = (UniqueConstraint("channel", "update_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    update_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(
        default=utcnow, server_default=func.now(), index=True
    )

"""Database models. Times are stored in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigId

# What erased personal data is replaced with; an erased user's platform id begins with it.
ERASED = "erased"


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
    # The staff member this chat account belongs to (one person may have several accounts).
    staff_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("staff_members.id", ondelete="SET NULL"), index=True
    )
    # Where the platform takes messages to this person (Telegram chat id, Zalo chat id).
    address: Mapped[str | None] = mapped_column(String(128))
    # Set when a send was refused because the person blocked the bot; cleared when they write.
    unreachable_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())


class StaffMember(Base):
    """A person who works on the campaign: a role and the area it covers. Reached through
    one or more chat accounts (`users.staff_id`). Removed members keep their row (history
    and the audit log name them) with `removed_at` set and no accounts."""

    __tablename__ = "staff_members"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str | None] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))  # admin | officer | viewer
    province_code: Mapped[int | None]
    ward_code: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    removed_at: Mapped[datetime | None]


class StaffInvite(Base):
    """A one-time code that makes whoever sends it (`/staff CODE`) a staff member with this
    role and scope. Only the code's hash is stored; it expires and is used once."""

    __tablename__ = "staff_invites"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Set when the code links another chat account to an existing member ("/lienket").
    member_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("staff_members.id", ondelete="CASCADE")
    )
    role: Mapped[str] = mapped_column(String(16))
    province_code: Mapped[int | None]
    ward_code: Mapped[int | None]
    created_by: Mapped[str] = mapped_column(String(64))  # "cli" or "staff:<id>"
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("staff_members.id", ondelete="SET NULL")
    )


class WebLoginLink(Base):
    """A one-time sign-in link to the web console for one staff member: only its token's
    hash is kept; it expires within minutes and is used once."""

    __tablename__ = "web_login_links"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("staff_members.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[str] = mapped_column(String(64))  # "cli" or "staff:<id>"
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in browser: the cookie holds the token (signed), the table its hash. Ends at
    `expires_at`, at sign-out, or when the member is removed."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("staff_members.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class AppSecret(Base):
    """Secrets the processes of one deployment share, made on first use (the key that signs
    the web console's cookies when WEB_SECRET is not set)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))


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


class InboxUpdate(Base):
    """A platform update, stored before the platform is told it arrived; handled once.

    `update_id` is the platform's full id (unique per channel). Workers take pending rows in
    arrival order (`id`) per conversation; the turn that handles a row marks it done in the
    same transaction. `body` holds what the channel read from the update (never the raw
    update, which may carry more personal data than the bot needs)."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "update_id"),
        Index("ix_inbox_status_id", "status", "id"),
        Index("ix_inbox_conversation", "channel", "conversation", "status", "id"),
        Index("ix_inbox_handled_at", "handled_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    update_id: Mapped[str] = mapped_column(String(512))
    conversation: Mapped[str] = mapped_column(String(128))
    address: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # text | button | unsupported | rejected
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(
        String(16), default="pending"
    )  # pending|done|failed|rejected
    received_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    handled_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """One message to one recipient, written in the transaction that decided to send it and
    sent after that commits: the one outbound path (replies now; status messages, broadcasts
    and relays later). `dedup_key` makes "once" a database fact: one row per message and
    recipient. A row is `sending` while a request may be on its way; if its lease runs out
    before an outcome is recorded (the process died), it becomes `unknown` and is never resent
    blindly."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("dedup_key"),
        Index("ix_outbox_address", "channel", "address", "status", "id"),
        Index("ix_outbox_status_not_before", "status", "not_before"),
        Index("ix_outbox_finished_at", "finished_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    dedup_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # reply | status | broadcast (later: relay)
    # The broadcast (announcement or reminder) this message is one recipient's copy of.
    broadcast_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("broadcasts.id", ondelete="SET NULL"), index=True
    )
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # pending | sending | sent | blocked | failed | unknown | cancelled
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    parts_sent: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    finished_at: Mapped[datetime | None]


# Registrations that hold their household's place: one per contact phone and commune.
LIVE_REGISTRATION = "status NOT IN ('withdrawn', 'rejected')"


class Consent(Base):
    """A person's consent to a purpose: when, to which text version, on which channel, and on
    whose behalf (themselves, a relative, or a household an official is helping)."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(32))
    text_version: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    on_behalf: Mapped[str] = mapped_column(String(16))  # self | relative | official
    given_at: Mapped[datetime] = mapped_column(default=utcnow)


class Registration(Base):
    """A household's request for support. The contact phone is stored as E.164 (+84…);
    communes and provinces by their official codes (vietnam-provinces)."""

    __tablename__ = "registrations"
    __table_args__ = (
        Index(
            "uq_registrations_live_phone_ward",
            "contact_phone",
            "ward_code",
            unique=True,
            sqlite_where=text(LIVE_REGISTRATION),
            postgresql_where=text(LIVE_REGISTRATION),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    consent_id: Mapped[int] = mapped_column(BigId, ForeignKey("consents.id"))
    channel: Mapped[str] = mapped_column(String(16))
    registrant: Mapped[str] = mapped_column(String(16))  # self | relative | official
    relation: Mapped[str | None] = mapped_column(String(16))
    head_name: Mapped[str] = mapped_column(String(120))
    # The name folded (lower case, no tone marks), for staff searches typed without marks.
    head_name_key: Mapped[str] = mapped_column(String(120), default="", server_default="")
    contact_phone: Mapped[str] = mapped_column(String(20))
    old_phone: Mapped[str | None] = mapped_column(String(20))
    province_code: Mapped[int]
    ward_code: Mapped[int] = mapped_column(index=True)
    village: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(32))
    device_name: Mapped[str | None] = mapped_column(String(128))
    device_verdict: Mapped[str | None] = mapped_column(String(16))
    help_wanted: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.now()
    )


class RegistrationEvent(Base):
    """One step in a registration's history: who (a citizen or staff user), when, from which
    status to which, and a note."""

    __tablename__ = "registration_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    registration_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )
    actor_user_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    actor_kind: Mapped[str] = mapped_column(String(16))  # citizen | staff
    actor_staff_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Something done to personal data (an erasure, an export, a status change): what, when,
    by whom, with counts and filters, never the personal data itself."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(64))  # "cli", "staff:<id>", "citizen"
    action: Mapped[str] = mapped_column(String(64), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())


# A subscription that still holds: one per user.
LIVE_SUBSCRIPTION = "ended_at IS NULL"


class Subscription(Base):
    """A person's wish to get reminders and announcements, for their whole country, one
    province or one commune, given with a one-line consent (its text version and time). Ended
    by the person ("dừng"), by the platform (they blocked the bot) or by an erasure."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        Index(
            "uq_subscriptions_live_user",
            "user_id",
            unique=True,
            sqlite_where=text(LIVE_SUBSCRIPTION),
            postgresql_where=text(LIVE_SUBSCRIPTION),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    province_code: Mapped[int | None] = mapped_column(index=True)
    ward_code: Mapped[int | None] = mapped_column(index=True)
    consent_text_version: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(16))  # citizen | blocked | erased


class Broadcast(Base):
    """A message to many: a staff announcement or a milestone reminder. What is due lives
    here (the scheduler only looks); its recipients become outbox rows (one each, unique)
    when it starts, and its report is counted from them (kept here once it is done).

    A reminder is unique per milestone and offset: planning it again changes nothing, and a
    milestone whose date moves moves its reminders that have not started."""

    __tablename__ = "broadcasts"
    __table_args__ = (UniqueConstraint("milestone_id", "offset_days"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # announcement | reminder
    # scheduled | sending | done | cancelled
    status: Mapped[str] = mapped_column(String(16), default="scheduled", index=True)
    text_vi: Mapped[str | None] = mapped_column(Text)  # announcements (reminders: content)
    text_en: Mapped[str | None] = mapped_column(Text)
    # Who is to get it: {"province", "ward", "verdict", "status", "channel"} (all optional).
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The area it is for (a commune's province filled in), for listing it to staff by scope.
    area_province: Mapped[int | None] = mapped_column(index=True)
    area_ward: Mapped[int | None]
    author_user_id: Mapped[int | None] = mapped_column(  # the account told of its report
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_by: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    milestone_id: Mapped[str | None] = mapped_column(String(64))
    offset_days: Mapped[int | None]
    send_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    recipients: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)  # matched, but with no way to reach them
    report: Mapped[dict[str, Any] | None]  # outcomes counted when it finished


class RateBucket(Base):
    """The send rate of one bot token, shared by every process: `next_at` is when the next
    send may start (a virtual clock). A process reserves slots by moving it forward, in one
    guarded UPDATE, so the rate holds however many processes send."""

    __tablename__ = "rate_buckets"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    next_at: Mapped[datetime]

"""Settings, read from the environment and `.env` (pydantic-settings)."""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from db.session import ASYNC_DRIVERS, DEFAULT_POSTGRES_TURNS, POSTGRES_POOL

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SUPPORTED_LOCALES = ("vi", "en")
TIME_OF_DAY = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")
QUIET_HOURS = re.compile(rf"{TIME_OF_DAY.pattern}-{TIME_OF_DAY.pattern}")
NO_QUIET_HOURS = ("", "off", "none", "no")
DATABASE_URL_FORMS = "use sqlite:///path.db or postgresql://user@host/db"
# Webhook secrets: Telegram allows 1-256 characters of A-Z a-z 0-9 _ - (Bot API, setWebhook);
# Zalo requires 8-256 and documents no character set, so the same one is used.
SECRET_CHARACTERS = "A-Z, a-z, 0-9, _ and -"
TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
ZALO_SECRET = re.compile(r"[A-Za-z0-9_-]{8,256}")
_PASSWORD_IN_URL = re.compile(r"(://[^:/@\s]*:)[^@/\s]*@")


class Settings(BaseSettings):
    """Every setting of the bot; see README.md, "Configuration"."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_ignore_empty=True,
        extra="ignore",
        populate_by_name=True,
        hide_input_in_errors=True,  # a traceback never shows a token or a secret
    )

    database_url: str = Field(
        default="sqlite:///var/bot.db",
        description="SQLite or PostgreSQL URL; the async driver is chosen automatically.",
    )
    default_locale: str = Field(default="vi", description="Locale of new users.")
    bot_today: date | None = Field(
        default=None, description="Show the bot as on this date (YYYY-MM-DD); for testing."
    )
    timezone: str = Field(default="Asia/Ho_Chi_Minh", description="Local time zone of users.")
    locales_dir: Path = Field(
        default=PROJECT_ROOT / "locales", description="Folder with compiled gettext catalogs."
    )
    content_dir: Path = Field(
        default=PROJECT_ROOT / "bot" / "content", description="Folder of the content files."
    )
    cache_dir: Path | None = Field(
        default=Path("var/cache"),
        description="Where the trained question matcher is cached; empty string to disable.",
    )
    content_stale_days: int = Field(
        default=90,
        ge=1,
        description="Factual answers say they may be out of date this many days after the "
        "content's as_of date.",
    )
    max_input_chars: int = Field(
        default=1000, ge=50, description="Longer incoming messages are cut to this length."
    )
    max_concurrent_turns: int | None = Field(
        default=None,
        ge=1,
        le=POSTGRES_POOL,
        description=(
            "Turns one process runs at once; empty for the default: 1 on SQLite, "
            f"{DEFAULT_POSTGRES_TURNS} on PostgreSQL."
        ),
    )
    log_level: str = Field(default="WARNING", description="Python logging level.")
    telegram_bot_token: SecretStr | None = Field(default=None, description="Telegram token.")
    telegram_base_url: str = Field(
        default="https://api.telegram.org/bot", description="Telegram Bot API base URL."
    )
    telegram_webhook_url: str | None = Field(
        default=None,
        description="Public HTTPS URL of /telegram/webhook; when set, webhook mode, else polling.",
    )
    telegram_webhook_secret: SecretStr | None = Field(
        default=None,
        description="Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token (1-256 chars of "
        "A-Z a-z 0-9 _ -).",
    )
    zalo_bot_token: SecretStr | None = Field(default=None, description="Zalo Bot token.")
    zalo_base_url: str = Field(
        default="https://bot-api.zaloplatforms.com", description="Zalo Bot API base URL."
    )
    zalo_webhook_url: str | None = Field(
        default=None,
        description="Public HTTPS URL of /zalo/webhook; when set, webhook mode, else polling.",
    )
    zalo_webhook_secret: SecretStr | None = Field(
        default=None,
        description="Secret Zalo sends in X-Bot-Api-Secret-Token (8-256 chars of A-Z a-z 0-9 _ -).",
    )
    http_host: str = Field(default="127.0.0.1", description="Address of the HTTP server.")
    http_port: int = Field(
        default=8080, ge=0, le=65535, description="Port of the HTTP server (0: any free one)."
    )
    http_docs: bool = Field(
        default=False, description="Serve the interactive API docs at /docs (off in production)."
    )
    http_max_body_bytes: int = Field(
        default=256 * 1024, ge=1024, description="Webhook bodies above this size get 413."
    )
    http_body_timeout: float = Field(
        default=10.0, gt=0, description="Seconds a webhook body may take to arrive (then 408)."
    )
    inbox_max_pending: int = Field(
        default=10_000,
        ge=1,
        description="Stored updates not handled yet above which polling pauses and webhooks "
        "answer 503 (the platform retries later).",
    )
    outbox_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A message claimed for sending whose outcome is not recorded within this "
        "time is marked unknown (never resent).",
    )
    outbox_max_attempts: int = Field(
        default=5, ge=1, description="Tries of a message that keeps getting 429/5xx."
    )
    outbox_poll_seconds: float = Field(
        default=1.0, gt=0, description="How often the sender looks for due messages."
    )
    telegram_sends_per_second: float = Field(
        default=25.0, gt=0, description="Messages sent to Telegram per second, at most."
    )
    zalo_sends_per_second: float = Field(
        default=20.0, gt=0, description="Messages sent to Zalo per second, at most."
    )
    shutdown_grace_seconds: float = Field(
        default=8.0,
        ge=0,
        description="On SIGTERM, how long turns and sends in progress may take to finish "
        "(below Docker's 10 s); what is left stays stored for the next start.",
    )
    retention_days: int = Field(
        default=7, ge=1, description="Handled updates and sent messages are deleted after this."
    )
    quiet_hours: str = Field(
        default="21:00-07:00",
        description="Local hours when no broadcast or reminder is sent (HH:MM-HH:MM; a send "
        "due inside waits for the end; off: none).",
    )
    reminder_offsets_days: str = Field(
        default="30,7,1",
        description="Days before each future milestone on which subscribers are reminded.",
    )
    reminder_time: str = Field(
        default="08:00", description="Local time of day at which reminders are sent (HH:MM)."
    )
    telegram_chat_interval_seconds: float = Field(
        default=1.0,
        ge=0,
        description="Broadcast messages to one Telegram chat are at least this far apart.",
    )
    zalo_daily_cap: int = Field(
        default=0,
        ge=0,
        description="Broadcast messages sent on Zalo per day, at most (0: no cap); the rest "
        "wait for the next day.",
    )
    zalo_monthly_cap: int = Field(
        default=0,
        ge=0,
        description="Broadcast messages sent on Zalo per calendar month, at most (0: no cap).",
    )
    outbox_body_days: int = Field(
        default=30,
        ge=1,
        description="Broadcast and status messages keep their text this many days after they "
        "finished; then only their outcome is kept (for the counts).",
    )
    scheduler_seconds: float = Field(
        default=15.0,
        gt=0,
        description="How often the scheduler looks for broadcasts and reminders that are due.",
    )
    web_base_url: str | None = Field(
        default=None,
        description="The address people open the web console at, used in sign-in links "
        "(default: http://HTTP_HOST:HTTP_PORT).",
    )
    web_secret: SecretStr | None = Field(
        default=None,
        description="Key that signs the web console's cookies (default: one made on first use "
        "and kept in the database, shared by every process).",
    )
    web_session_hours: float = Field(
        default=8, gt=0, le=24 * 7, description="A web console session ends after this long."
    )
    web_login_link_minutes: int = Field(
        default=10, ge=1, le=60, description="A sign-in link works this many minutes, once."
    )
    export_dir: Path = Field(
        default=Path("var/exports"),
        description="Where exports made from the chat are written before they are sent (they "
        "hold personal data: readable by the bot's user only, deleted after a day).",
    )
    default_province_code: int = Field(
        default=14,
        description="Province offered first in the registration form (official code; 14 is "
        "Sơn La, the first deployment).",
    )

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f'"{value}" is not a language of the bot; use vi or en')
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        try:
            backend = make_url(value.replace("postgres://", "postgresql://", 1)).get_backend_name()
        except (ArgumentError, ValueError):
            raise ValueError(
                f'"{redact_url(value)}" is not a database URL; {DATABASE_URL_FORMS}'
            ) from None
        if backend not in ASYNC_DRIVERS:
            raise ValueError(f'"{redact_url(value)}" is not supported; {DATABASE_URL_FORMS}')
        return value

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        if value.upper() not in logging.getLevelNamesMapping():
            raise ValueError(
                f'"{value}" is not a log level; use DEBUG, INFO, WARNING, ERROR or CRITICAL'
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(f'"{value}" is not a time zone; use e.g. Asia/Ho_Chi_Minh') from None
        return value

    @property
    def console_url(self) -> str:
        """Where the web console is, as people open it (no trailing slash)."""
        base = self.web_base_url or f"http://{self.http_host}:{self.http_port}"
        return base.rstrip("/")

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        if value.strip().lower() in NO_QUIET_HOURS:
            return "off"
        if not QUIET_HOURS.fullmatch(value.strip()):
            raise ValueError(
                f'"{value}" is not a span of hours; use HH:MM-HH:MM (e.g. 21:00-07:00) or off'
            )
        return value.strip()

    @field_validator("reminder_time")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        if not TIME_OF_DAY.fullmatch(value.strip()):
            raise ValueError(f'"{value}" is not a time of day; use HH:MM, e.g. 08:00')
        return value.strip()

    @field_validator("reminder_offsets_days")
    @classmethod
    def _offsets(cls, value: str) -> str:
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if not all(part.isdigit() and 0 < int(part) <= 366 for part in parts):
            raise ValueError(f'"{value}" is not a list of days; use e.g. 30,7,1')
        return ",".join(parts)

    @property
    def reminder_offsets(self) -> tuple[int, ...]:
        """REMINDER_OFFSETS_DAYS as numbers, largest first."""
        return tuple(
            sorted({int(p) for p in self.reminder_offsets_days.split(",") if p}, reverse=True)
        )

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not TELEGRAM_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError(
                f"must be 1 to 256 characters of {SECRET_CHARACTERS} (Telegram's rule); "
                "the value is not shown"
            )
        return value

    @field_validator("zalo_webhook_secret")
    @classmethod
    def _zalo_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not ZALO_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError(
                f"must be 8 to 256 characters of {SECRET_CHARACTERS} (Zalo's rule); "
                "the value is not shown"
            )
        return value

    @property
    def has_channel_token(self) -> bool:
        """True when at least one real messaging channel is configured."""
        return bool(self.telegram_bot_token or self.zalo_bot_token)

    def secret_values(self) -> list[str]:
        """The tokens and secrets set, to be masked wherever text is shown or logged."""
        secrets = (
            self.telegram_bot_token,
            self.telegram_webhook_secret,
            self.zalo_bot_token,
            self.zalo_webhook_secret,
        )
        return [secret.get_secret_value() for secret in secrets if secret is not None]


def redact_url(url: str) -> str:
    """A database URL with its password hidden (also when the URL cannot be parsed)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return _PASSWORD_IN_URL.sub(r"\1***@", url)


def setting_errors(error: ValidationError) -> list[str]:
    """One line per setting that failed validation, named by its environment variable; the
    values of tokens and secrets are never shown."""
    lines: dict[str, str] = {}
    for problem in error.errors(include_url=False):
        field = str(problem["loc"][0]) if problem["loc"] else ""
        name = field.upper() or "settings"
        if name not in lines:
            lines[name] = f"{name}: {_explain(problem, secret=_is_secret(field))}"
    return list(lines.values())


_EXPECTED = {
    "date": "is not a date; use YYYY-MM-DD",
    "int": "is not a whole number",
    "float": "is not a number",
    "bool": "is not true or false",
}


def _explain(problem: Any, *, secret: bool) -> str:
    kind, message = str(problem["type"]), str(problem["msg"])
    if kind == "value_error":  # our validators: the message is written for the operator
        return message.removeprefix("Value error, ")
    shown = "the value" if secret else f'"{problem["input"]}"'
    for prefix, expected in _EXPECTED.items():
        if kind.startswith(prefix):
            return f"{shown} {expected}"
    return f"{shown} is not valid: {message[:1].lower()}{message[1:]}"


def _is_secret(field: str) -> bool:
    info = Settings.model_fields.get(field)
    return info is None or "SecretStr" in str(info.annotation)

"""Settings, read from the environment and `.env` (pydantic-settings)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from db.session import DEFAULT_POSTGRES_TURNS, POSTGRES_POOL

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SUPPORTED_LOCALES = ("vi", "en")


class Settings(BaseSettings):
    """Every setting of the bot; see README.md, "Configuration"."""

    model_config = SettingsConfigDict(
        env_file=".env", env_ignore_empty=True, extra="ignore", populate_by_name=True
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
        default=None, description="Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token."
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
        default=None, description="Secret Zalo sends in X-Bot-Api-Secret-Token (8-256 chars)."
    )
    http_host: str = Field(default="127.0.0.1", description="Address of the HTTP server.")
    http_port: int = Field(default=8080, description="Port of the HTTP server.")
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
    default_province_code: int = Field(
        default=14,
        description="Province offered first in the registration form (official code; 14 is "
        "Sơn La, the first deployment).",
    )

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"default_locale must be one of {SUPPORTED_LOCALES}")
        return value

    @property
    def has_channel_token(self) -> bool:
        """True when at least one real messaging channel is configured."""
        return bool(self.telegram_bot_token or self.zalo_bot_token)

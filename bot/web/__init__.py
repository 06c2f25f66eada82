"""The HTTP side of `bot run`: webhooks, /healthz and /metrics (`webhooks`), and the staff's
web console (`console`)."""

from bot.web.webhooks import create_web_app

__all__ = ["create_web_app"]

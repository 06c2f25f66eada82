"""Logging to stderr with phone numbers masked in every record."""

from __future__ import annotations

import logging

from bot.core.text import mask_phone_numbers


class PhoneMaskingFilter(logging.Filter):
    """Masks Vietnamese phone numbers in the final message of a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_phone_numbers(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_phone_numbers(self._formatter.formatException(record.exc_info))
        return True

    _formatter = logging.Formatter()


def configure_logging(level: str) -> None:
    """Send logs to stderr at `level`, masking phone numbers; keep httpx quiet (tokens in URLs)."""
    handler = logging.StreamHandler()
    handler.addFilter(PhoneMaskingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("httpx").setLevel(logging.WARNING)

"""Logging to stderr with phone numbers, tokens and secrets masked in every record."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from bot.core.text import mask_phone_numbers

# A bot token in a Bot API URL (`…/bot{id}:{secret}/method`, Telegram and Zalo alike).
_TOKEN_IN_URL = re.compile(r"(?<=/bot)\d+:[A-Za-z0-9_-]+")
# Shorter secrets are not masked: hiding every "ab" would garble the text and protect nothing.
MIN_MASKED_LENGTH = 6
MASK = "***"


def mask_secrets(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with each of `secrets` and any token in a Bot API URL replaced by ***."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        if len(secret) >= MIN_MASKED_LENGTH:
            text = text.replace(secret, MASK)
    return _TOKEN_IN_URL.sub(MASK, text)


class MaskingFilter(logging.Filter):
    """Masks Vietnamese phone numbers, tokens and secrets in the final message of a record
    and in its traceback."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(secrets)

    def _mask(self, text: str) -> str:
        # Secrets first: a bot id that looks like a phone number must not break a token up.
        return mask_phone_numbers(mask_secrets(text, self.secrets))

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self._mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._mask(self._formatter.formatException(record.exc_info))
        return True

    _formatter = logging.Formatter()


# The name it had when it masked phone numbers only.
PhoneMaskingFilter = MaskingFilter


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Send logs to stderr at `level`, masking phone numbers and `secrets` (the tokens);
    keep httpx quiet (tokens in URLs)."""
    handler = logging.StreamHandler()
    handler.addFilter(MaskingFilter(secrets))
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("httpx").setLevel(logging.WARNING)

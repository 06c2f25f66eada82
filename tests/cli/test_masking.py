"""Tokens and secrets never reach the logs, also inside an exception's text."""

from __future__ import annotations

import logging
import sys

from bot.logging_setup import MaskingFilter, mask_secrets

TOKEN = "8491234567:AAE-the_secret-part"  # its bot id looks like a Vietnamese phone number
OTHER = "123456:Another-token-in-a-url"


def test_known_secrets_and_tokens_in_bot_api_urls_are_masked():
    text = f"token {TOKEN}; GET https://api.telegram.org/bot{OTHER}/getMe; secret s3cr3t-value"
    masked = mask_secrets(text, [TOKEN, "s3cr3t-value", "ab"])
    assert masked == "token ***; GET https://api.telegram.org/bot***/getMe; secret ***"


def test_a_log_record_and_its_traceback_are_masked():
    record = logging.LogRecord(
        "bot.server", logging.ERROR, __file__, 1, "getMe with %s failed", (TOKEN,), None
    )
    try:
        raise RuntimeError(f"POST http://127.0.0.1:9/bot{TOKEN}/getUpdates: refused")
    except RuntimeError:
        record.exc_info = sys.exc_info()
    assert MaskingFilter([TOKEN]).filter(record)
    text = record.getMessage() + (record.exc_text or "")
    assert record.getMessage() == "getMe with *** failed"
    assert "/bot***/getUpdates" in text
    assert "AAE-the_secret-part" not in text and "8491234567" not in text

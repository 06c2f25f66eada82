import logging

from bot.logging_setup import PhoneMaskingFilter


def test_phone_numbers_are_masked_in_messages_and_tracebacks():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "user %s", ("0912345678",), None)
    try:
        raise ValueError("number 0987654321")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert PhoneMaskingFilter().filter(record)
    assert record.getMessage() == "user *******678"
    assert "0987654321" not in record.exc_text
    assert "*******321" in record.exc_text

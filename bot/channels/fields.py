"""Reading fields of platform updates strictly: the right type and a length that fits the
database, or `Malformed` (the update is set aside, never a crash)."""

from __future__ import annotations

from typing import Any

MAX_UPDATE_ID = 512  # inbox.update_id
MAX_ADDRESS = 128  # inbox.conversation, inbox.address, users.external_id
MAX_TEXT = 100_000  # longer texts are cut later anyway; this only bounds a silly update


class Malformed(ValueError):
    """A field is missing, of the wrong type, or too long."""


def required_mapping(container: Any, key: str) -> dict[str, Any]:
    """`container[key]`, which must be a JSON object."""
    value = container.get(key) if isinstance(container, dict) else None
    if not isinstance(value, dict):
        raise Malformed(f"{key} is not an object")
    return value


def optional_str(container: dict[str, Any], key: str, *, limit: int = MAX_TEXT) -> str | None:
    """`container[key]` when it is a string (cut to `limit`); None when absent or null."""
    value = container.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Malformed(f"{key} is not a string")
    return value[:limit]


def required_id(container: dict[str, Any], key: str, *, limit: int = MAX_ADDRESS) -> str:
    """An id (an integer or a non-empty string) as text, at most `limit` characters."""
    value = container.get(key)
    if type(value) is int:
        return str(value)
    if isinstance(value, str) and value.strip():
        if len(value) > limit:
            raise Malformed(f"{key} is longer than {limit} characters")
        return value.strip()
    raise Malformed(f"{key} is missing or not an id")

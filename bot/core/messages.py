"""Channel-neutral message types: what a channel hands in, and what the core hands back."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Button:
    """A quick-reply choice: the label the user sees and the payload the core receives."""

    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a reply (an export, for example)."""

    path: Path
    filename: str
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Reply:
    """One outgoing message: text, optional buttons, phone-number request and file."""

    text: str
    buttons: tuple[Button, ...] = ()
    request_phone: bool = False
    attachment: Attachment | None = None


@dataclass(frozen=True, slots=True)
class Incoming:
    """One incoming user message, already translated from the platform's event.

    `payload` is set when the user pressed a button; `text` holds what they typed (or the
    button's label). `locale_hint` is the platform's language code, if it gives one.
    """

    channel: str
    user_id: str
    text: str = ""
    payload: str | None = None
    display_name: str | None = None
    locale_hint: str | None = None
    message_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

"""Channel-neutral message types: what a channel hands in, and what the core hands back."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal


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
    request_phone: str | None = None  # the label of a "share my number" button (Telegram)
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
    address: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


UpdateKind = Literal["text", "button", "unsupported"]


@dataclass(frozen=True, slots=True)
class InboundUpdate:
    """A platform update as a channel read it, ready to be stored in the inbox.

    `conversation` is the sender's id on the platform (whose turns must run in order),
    `address` where replies go (a chat id). `kind` "unsupported" is a photo, sticker, edit…:
    it gets a "text only" answer. `ack` is what the channel must confirm to the platform
    after storing (a Telegram callback query id); it is not stored.
    """

    channel: str
    update_id: str
    conversation: str
    address: str
    kind: UpdateKind
    text: str = ""
    payload: str | None = None
    display_name: str | None = None
    ack: str | None = None

    def body(self) -> dict[str, Any]:
        """What the inbox keeps of the update (only what a turn needs)."""
        return {"text": self.text, "payload": self.payload, "display_name": self.display_name}


def reply_to_body(reply: Reply) -> dict[str, Any]:
    """A reply as the JSON an outbox row keeps."""
    body: dict[str, Any] = {"text": reply.text}
    if reply.buttons:
        body["buttons"] = [[button.label, button.payload] for button in reply.buttons]
    if reply.request_phone:
        body["request_phone"] = reply.request_phone
    if reply.attachment is not None:
        body["attachment"] = {
            "path": str(reply.attachment.path),
            "filename": reply.attachment.filename,
            "mime_type": reply.attachment.mime_type,
        }
    return body


def _phone_label(stored: object) -> str | None:
    """The share-my-number label an outbox row keeps (rows written before labels: True)."""
    if isinstance(stored, str) and stored:
        return stored
    return "📞" if stored else None


def reply_from_body(body: dict[str, Any]) -> Reply:
    """The reply an outbox row holds."""
    attachment = body.get("attachment")
    return Reply(
        text=str(body.get("text") or ""),
        buttons=tuple(
            Button(str(label), str(payload)) for label, payload in body.get("buttons", [])
        ),
        request_phone=_phone_label(body.get("request_phone")),
        attachment=Attachment(
            Path(attachment["path"]), attachment["filename"], attachment["mime_type"]
        )
        if attachment
        else None,
    )

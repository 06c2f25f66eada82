"""What every channel shares: the send contract with its typed outcomes, and rendering
buttons as numbered text where a platform has none."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Literal, Protocol

from bot.core.messages import InboundUpdate, Reply

OutcomeKind = Literal["delivered", "blocked", "retry", "failed", "unknown"]


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What became of one send.

    - `delivered`: the platform accepted every part;
    - `blocked`: the person blocked the bot (403): do not write to them again;
    - `retry`: nothing more was accepted, and the request may be repeated safely (429 after
      `retry_after` seconds, 5xx, a connection that was never made);
    - `failed`: the platform refused it for good (400: too long, bad chat id…);
    - `unknown`: a request may have reached the platform but its answer was lost (a read
      time-out): sending again could deliver it twice, so it is never resent blindly.

    `parts_delivered` counts the parts of a long reply accepted so far, so a retry resumes
    after them.
    """

    kind: OutcomeKind
    parts_delivered: int = 0
    retry_after: float | None = None
    detail: str = ""


class ReplySender(Protocol):
    """The one way to send to a platform: every channel offers it."""

    name: str

    async def send(self, address: str, reply: Reply, *, skip_parts: int = 0) -> SendOutcome:
        """Send `reply` to `address`, leaving out its first `skip_parts` parts (sent before)."""
        ...


@dataclass(frozen=True, slots=True)
class Rejected:
    """An update a channel could not read: logged and set aside, never handled."""

    channel: str
    update_id: str
    reason: str


Parsed = InboundUpdate | Rejected | None  # None: nothing for the bot (a bot's own message…)


def numbered_options(reply: Reply) -> list[str]:
    """Buttons as "1. Label" lines; the user may answer with the number or the label."""
    return [f"{number}. {button.label}" for number, button in enumerate(reply.buttons, 1)]


def render_plain(reply: Reply) -> str:
    """A reply as plain text with its buttons as numbered options."""
    lines = [reply.text]
    lines.extend(f"  {option}" for option in numbered_options(reply))
    if reply.attachment is not None:
        lines.append(f"  [file: {reply.attachment.filename}]")
    return "\n".join(lines)


def _units(text: str) -> int:
    """Length in UTF-16 code units (how platforms count characters)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int) -> list[str]:
    """Cut a text into parts of at most `limit` characters, at line breaks where possible,
    then at spaces, and only as a last resort inside a word."""
    return _pack(text, limit, ("\n", " "))


def _pack(text: str, limit: int, separators: tuple[str, ...]) -> list[str]:
    """Greedily join the pieces between the first separator; pieces still too long are cut
    at the next separator, and without one, at the limit."""
    if _units(text) <= limit:
        return [text]
    if not separators:
        parts = []
        while _units(text) > limit:
            cut = limit
            while _units(text[:cut]) > limit:
                cut -= 1
            parts.append(text[:cut])
            text = text[cut:]
        return [*parts, text]
    separator, finer = separators[0], separators[1:]
    parts: list[str] = []
    current = ""
    for piece in text.split(separator):
        candidate = f"{current}{separator}{piece}" if current else piece
        if _units(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        *full, current = _pack(piece, limit, finer)
        parts.extend(full)
    if current:
        parts.append(current)
    return parts


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep up to `seconds`, or less when `stop` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)

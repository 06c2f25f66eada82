"""What every channel shares: rendering buttons as numbered text where a platform has none."""

from __future__ import annotations

from bot.core.messages import Reply


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

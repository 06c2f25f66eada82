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

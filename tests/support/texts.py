"""Measures of a text as a reader meets it."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+(?:[./-]\w+)*")


def word_count(text: str) -> int:
    """Words a reader reads: bullets and punctuation are not words, "16/10/2024" is one."""
    return len(_WORD.findall(text))

"""Phone brand and model names reduced to comparable tokens ("iPhone6" → "iphone 6")."""

from __future__ import annotations

import re

from bot.core.text import fold

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])")
_NETWORK = re.compile(r"\b([2-5])\s*g\b")
NETWORK_TOKENS = frozenset({"2g", "3g", "4g", "5g"})


def name_tokens(text: str) -> list[str]:
    """Folded, lower-case tokens with letters and digits split apart."""
    folded = text.lower() if text.isascii() else fold(text)  # ASCII needs no folding
    cleaned = _NON_ALNUM.sub(" ", folded)
    split = _LETTER_DIGIT.sub(" ", cleaned)
    return _NETWORK.sub(r"\1g", split).split()  # "4 g" stays one token: "4g"


def catalogue_key(brand: str, model: str) -> str:
    """The key that links an imported TAC model to a catalogue entry."""
    brand_tokens = name_tokens(brand)
    model_tokens = name_tokens(model)
    if model_tokens[: len(brand_tokens)] == brand_tokens:
        model_tokens = model_tokens[len(brand_tokens) :]
    return " ".join(brand_tokens + model_tokens)

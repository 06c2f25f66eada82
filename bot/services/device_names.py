"""Phone names as people type them, reduced to whole tokens, and the brands they name.

A model number is only ever compared as a whole token ("k800i" is not "800", "t610" is not
"j7", "2 máy" is not "j2"); a brand or product-line word glued to a model number is split off
("nokia1280" → "nokia 1280", "ip6s" → "ip 6s").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.content.devices import Brand
from bot.core.text import fold

_TOKEN = re.compile(r"[a-z0-9]+")
_PARENTHESES = re.compile(r"\([^)]*\)")
NETWORK_TOKENS = frozenset({"2g", "3g", "4g", "5g", "lte", "volte"})
YEAR = re.compile(r"^(19[89]\d|20[0-4]\d)$")
# Words after a bare number that make it a quantity, an age, a time or money, not a model:
# "2 máy", "75 tuổi", "15 giờ", "500 nghìn".
# Only words that are never anything else after a number: "con" is also "còn" (still), "ba"
# also "bà" (grandmother), so "nokia 1600 còn dùng được không" keeps its model number.
QUANTITY_WORDS = frozenset(
    {
        "may", "cai", "chiec", "nguoi", "nam", "tuoi", "thang", "ngay", "gio", "h", "phut",
        "lan", "trieu", "tr", "nghin", "ngan", "k", "dong", "d", "sim", "tieng", "km", "ho",
    }
)  # fmt: skip


def tokens(text: str) -> list[str]:
    """Lower-case, mark-free alphanumeric tokens (full-width characters folded first)."""
    text = text.lower() if text.isascii() else fold(unicodedata.normalize("NFKC", text))
    return _TOKEN.findall(text)


def compact(text: str) -> str:
    """A name without spaces or punctuation: "SM-G610F" → "smg610f"."""
    return "".join(tokens(text))


def is_model_code(token: str) -> bool:
    """A token that names a model number ("1280", "k800i", "gt", not "4g" or a year)."""
    has_digit = any(c.isdigit() for c in token)
    return has_digit and token not in NETWORK_TOKENS and not YEAR.match(token)


@dataclass(frozen=True, slots=True)
class BrandMention:
    """A brand (or product line) named in a text, at token positions [start, end)."""

    brand: Brand
    start: int
    end: int


@dataclass(slots=True)
class BrandRegistry:
    """Every phone brand people name, with its typed forms and product lines."""

    brands: Sequence[Brand]
    _forms: dict[tuple[str, ...], Brand] = field(default_factory=dict)
    _glued: list[tuple[str, Brand]] = field(default_factory=list)
    _by_name: dict[str, Brand] = field(default_factory=dict)
    _glued_pattern: re.Pattern[str] | None = None
    _longest_form: int = 1

    def __post_init__(self) -> None:
        for brand in self.brands:
            self._by_name[brand.name.lower()] = brand
            for form in (brand.name, *brand.aliases, *brand.lines):
                key = tuple(tokens(form))
                if key:
                    self._forms.setdefault(key, brand)
            for form in (*brand.aliases, *brand.lines, brand.name):
                word = compact(form)
                if len(word) >= 2 and word.isalpha():
                    self._glued.append((word, brand))
        self._glued.sort(key=lambda item: -len(item[0]))  # "iphone" before "ip"
        # One pattern for all of them, tried longest first like the list: a brand or line
        # word, then the rest of the word with a digit in it.
        alternatives = "|".join(re.escape(word) for word, _brand in self._glued)
        if alternatives:
            self._glued_pattern = re.compile(rf"({alternatives})(?=\D*\d)(.+)", re.DOTALL)
        self._longest_form = max((len(key) for key in self._forms), default=1)

    @property
    def longest_form(self) -> int:
        """The most tokens a brand form has ("sony ericsson": 2)."""
        return self._longest_form

    def get(self, name: str) -> Brand | None:
        """The brand with this canonical name."""
        return self._by_name.get(name.lower())

    def family(self, name: str) -> frozenset[str]:
        """The brand and the brands whose phones people name with it (Sony ↔ Sony Ericsson)."""
        brand = self.get(name)
        if brand is None:
            return frozenset({name})
        names = {brand.name, *brand.family}
        for other in self.brands:
            if brand.name in other.family:
                names.add(other.name)
        return frozenset(names)

    def split_glued(self, words: Iterable[str]) -> list[str]:
        """Split a brand or line word off a model number typed against it ("nokia1280")."""
        result: list[str] = []
        for word in words:
            glued = self._glued_pattern.fullmatch(word) if self._glued_pattern else None
            if glued is None:
                result.append(word)
            else:
                result.extend(glued.groups())
        return result

    def mentions(self, words: Sequence[str]) -> list[BrandMention]:
        """The brands the tokens name, longest form first, without overlaps.

        A weak form (also an everyday word: "sẽ" folds to "se") names its brand only before a
        model number or after a word for a phone ("se k800i", "máy viettel"); an ambiguous
        form ("se" in "iphone se 2") counts only when no other brand is named.
        """
        found: list[tuple[BrandMention, str]] = []
        i = 0
        while i < len(words):
            for size in range(min(self.longest_form, len(words) - i), 0, -1):
                typed = " ".join(words[i : i + size])
                brand = self._forms.get(tuple(words[i : i + size]))
                if brand is not None:
                    mention = BrandMention(brand, i, i + size)
                    if typed not in brand.weak or _looks_like_a_phone(mention, words):
                        found.append((mention, typed))
                    i += size
                    break
            else:
                i += 1
        clear = [m for m, typed in found if typed not in m.brand.ambiguous]
        return clear or [m for m, _typed in found]


PHONE_WORDS = frozenset(
    {"may", "dien", "thoai", "dt", "dtdd", "hang", "model", "phone", "imei", "gach"}
)  # "cục gạch": the old brick phone


def _looks_like_a_phone(mention: BrandMention, words: Sequence[str]) -> bool:
    before = words[mention.start - 1] if mention.start else ""
    after = words[mention.end] if mention.end < len(words) else ""
    return before in PHONE_WORDS or is_model_code(after)


def model_key(brand: str, model: str, *, keep_parentheses: bool = False) -> str:
    """A brand and a compact model name: the key that links a TAC table's model to a
    catalogue entry. What stands in parentheses is left out ("iPhone 4S (A1387)" →
    "apple|iphone4s"), unless `keep_parentheses` ("3210 (2024)" is not the "3210")."""
    name = compact(model if keep_parentheses else _PARENTHESES.sub(" ", model))
    brand_word = compact(brand)
    if name.startswith(brand_word) and len(name) > len(brand_word):
        name = name[len(brand_word) :]
    return f"{brand_word}|{name}"

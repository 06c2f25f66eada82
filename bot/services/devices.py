"""Is a phone affected? From a model name (the catalogue) or an IMEI (a TAC table).

The verdict comes only from what the catalogue states; unknown capabilities stay unknown. A
brand named in the text limits the match to that brand's models, and model numbers match only
as whole tokens: the owner of an old phone is never told about someone else's phone.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise
from typing import Any

from rapidfuzz import fuzz, process

from bot.content.devices import DeviceModel, Support
from bot.content.loader import FOUR_G_SOME_VERSIONS, Confidence
from bot.services.device_names import (
    NETWORK_TOKENS,
    PHONE_WORDS,
    QUANTITY_WORDS,
    YEAR,
    BrandMention,
    BrandRegistry,
    is_model_code,
    model_key,
    tokens,
)

_FUZZY_CUTOFF = 82
# How many tokens after a brand may hold its model number ("nokia đời cũ 1280").
_MODEL_WINDOW = 5
_MAX_CHOICES = 6
# Words a longer name may add and still be the same phone under another label: the network,
# the year, the SIM count ("Nokia 105 4G", "3310 (2017)", "Dual SIM").
_VARIANT_WORDS = NETWORK_TOKENS | {"cdma", "dual", "sim", "ds", "duos"}


class Verdict(StrEnum):
    """What a phone can still do."""

    TWO_G_ONLY = "2g_only"
    NO_4G = "no_4g"
    FOUR_G_NO_VOLTE = "4g_no_volte"
    FOUR_G_VOLTE = "4g_volte"
    FOUR_G = "4g"  # 4G, VoLTE unknown
    UNKNOWN = "unknown"


AFFECTED = frozenset({Verdict.TWO_G_ONLY, Verdict.NO_4G, Verdict.FOUR_G_NO_VOLTE})


def verdict_for(model: DeviceModel) -> Verdict:
    """The verdict that a catalogue entry supports, and no more: 4G that only some of the
    row's model codes have says nothing of VoLTE either."""
    if model.lte is Support.YES and model.lte_in_some_versions:
        return Verdict.FOUR_G
    if model.lte is Support.YES:
        return {
            Support.YES: Verdict.FOUR_G_VOLTE,
            Support.NO: Verdict.FOUR_G_NO_VOLTE,
            Support.UNKNOWN: Verdict.FOUR_G,
        }[model.volte]
    if model.lte is Support.NO:
        if model.umts is Support.YES:
            return Verdict.NO_4G
        if model.umts is Support.NO and model.gsm is Support.YES:
            return Verdict.TWO_G_ONLY
    return Verdict.UNKNOWN


def verdict_confidence(verdict: Verdict, stated: str) -> str:
    """How sure the verdict is: never more than the catalogue row, and never "high" for a
    verdict that leaves the question open (VoLTE unknown, or nothing known)."""
    if verdict is Verdict.UNKNOWN:
        return Confidence.LOW.value
    if verdict is Verdict.FOUR_G:
        return Confidence.MEDIUM.value if stated == Confidence.HIGH.value else Confidence.LOW.value
    return stated


def affected(verdict: Verdict) -> bool | None:
    """True when the phone loses service, False when it keeps working, None when unsure."""
    if verdict in AFFECTED:
        return True
    return False if verdict is Verdict.FOUR_G_VOLTE else None


class MatchKind(StrEnum):
    """What a text says about a phone."""

    FOUND = "found"  # one model, or several with the same verdict
    AMBIGUOUS = "ambiguous"  # variants with different verdicts: ask which
    UNKNOWN_MODEL = "unknown_model"  # a brand and a model number the catalogue lacks
    BRAND = "brand"  # a brand and no model
    NONE = "none"


@dataclass(frozen=True, slots=True)
class ModelMatch:
    """Models a text may name, or the brand and model number it names that we do not know."""

    kind: MatchKind
    models: tuple[DeviceModel, ...] = ()
    brand: str | None = None
    typed_model: str | None = None
    others_named_alike: bool = False  # longer names left out: the verdict is not sure

    @property
    def best(self) -> DeviceModel | None:
        """The model to report when the match is not ambiguous."""
        return self.models[0] if self.models else None


@dataclass(frozen=True, slots=True)
class _Alias:
    model: DeviceModel
    words: frozenset[str]
    compact: str  # "j7prime", "smg610f": the alias typed without spaces
    optional: frozenset[str]  # product-line words people leave out ("galaxy" s21 ultra)


@dataclass(frozen=True, slots=True)
class _Query:
    """A text read for model names."""

    words: tuple[str, ...]
    typed: frozenset[str]  # the words, typos corrected
    joined: frozenset[str]  # neighbouring words typed apart ("j 7" → "j7")
    spans: dict[str, frozenset[int]]  # each word and join → the positions it covers
    mentions: tuple[BrandMention, ...]
    brands: frozenset[str]  # brands named, with their families
    numbers: frozenset[str]  # model numbers that a matching name must contain
    number_at: frozenset[int]  # and where they stand
    number_keys: tuple[frozenset[str], ...]  # per model number: the words and joins holding it

    def covered(self, words: Iterable[str]) -> frozenset[int]:
        """The positions that these words (or joins) of the text stand at."""
        return frozenset(i for w in words for i in self.spans.get(w, ()))


@dataclass(slots=True)
class ModelMatcher:
    """Finds catalogue models in free text, tolerant of typos and spacing, never across brands."""

    models: Iterable[DeviceModel]
    registry: BrandRegistry
    _aliases: list[_Alias] = field(default_factory=list)
    _vocabulary: set[str] = field(default_factory=set)
    _fuzzy_words: list[str] = field(default_factory=list)
    _by_word: dict[str, list[int]] = field(default_factory=dict)
    _by_line_word: dict[str, list[int]] = field(default_factory=dict)
    _by_stem: dict[str, list[str]] = field(default_factory=dict)  # "e1080" → ["e1080t"]
    _model_words: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for model in self.models:
            brand = self.registry.get(model.brand)
            forms = (model.brand, *brand.aliases) if brand else (model.brand,)
            # The brand's own words say nothing about which model ("v1 viettel").
            brand_words = {w for form in forms for w in tokens(form)}
            line_words = {w for line in (brand.lines if brand else ()) for w in tokens(line)}
            for alias in dict.fromkeys((model.model, *model.aliases)):
                typed = self.registry.split_glued(tokens(alias))
                words = frozenset(w for w in typed if w not in brand_words)
                if words:
                    compact_form = "".join(w for w in typed if w not in brand_words)
                    optional = words & line_words if words - line_words else frozenset()
                    self._aliases.append(_Alias(model, words, compact_form, optional))
                    self._vocabulary.update(words)
        for brand in self.registry.brands:
            for form in (brand.name, *brand.aliases, *brand.lines):
                self._vocabulary.update(tokens(form))
        self._fuzzy_words = sorted(w for w in self._vocabulary if len(w) >= 4 and w.isalpha())
        for word in self._vocabulary:
            if len(word) >= 5 and word[-1].isalpha() and word[-2].isdigit():
                self._by_stem.setdefault(word[:-1], []).append(word)
        for index, alias in enumerate(self._aliases):
            # Found by the words that tell models apart; by a line word ("galaxy": thousands
            # of names) only when the text has no other ("motorola razr").
            for key in {*(alias.words - alias.optional), alias.compact}:
                self._by_word.setdefault(key, []).append(index)
            for key in alias.optional:
                self._by_line_word.setdefault(key, []).append(index)
            words = self._model_words.setdefault((alias.model.brand, alias.model.model), set())
            words.update({*alias.words, alias.compact})

    def _corrected(self, word: str) -> str:
        if word in self._vocabulary or len(word) < 4 or not word.isalpha():
            return word
        best = process.extractOne(
            word, self._fuzzy_words, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF
        )
        return best[0] if best is not None else word

    def _read(self, text: str) -> _Query:
        words = tuple(self._corrected(w) for w in self.registry.split_glued(tokens(text)))
        mentions = tuple(self.registry.mentions(words))
        brands = frozenset(
            name for mention in mentions for name in self.registry.family(mention.brand.name)
        )
        spans: dict[str, set[int]] = {}
        joined: set[str] = set()
        for size in (1, 2, 3):
            for start in range(len(words) - size + 1):
                parts = words[start : start + size]
                if any(a.isdigit() and b.isdigit() for a, b in pairwise(parts)):
                    continue  # "3 (5.5)" are numbers, not the "355"
                key = "".join(parts)
                spans.setdefault(key, set()).update(range(start, start + size))
                if size > 1:
                    joined.add(key)
        number_at = frozenset(_model_number_positions(words, mentions))
        return _Query(
            words=words,
            typed=frozenset(words),
            joined=frozenset(joined),
            spans={key: frozenset(at) for key, at in spans.items()},
            mentions=mentions,
            brands=brands,
            numbers=frozenset(words[i] for i in number_at),
            number_at=number_at,
            number_keys=tuple(
                frozenset(k for k, at in spans.items() if i in at) for i in sorted(number_at)
            ),
        )

    def find(self, text: str) -> ModelMatch:
        """The models `text` may name."""
        query = self._read(text)
        scored: dict[tuple[str, str], tuple[Any, ...]] = {}  # explained, -missing, partial,
        # model, words missing, words said
        covered: dict[tuple[str, str], frozenset[int]] = {}  # by any alias of the model
        keys = query.spans  # every word, and neighbouring words joined
        candidates = {i for key in keys for i in self._by_word.get(key, ())}
        candidates = candidates or {i for k in keys for i in self._by_line_word.get(k, ())}
        can_hold: dict[tuple[str, str], bool] = {}  # the model's names hold every number
        for alias in (self._aliases[i] for i in sorted(candidates)):
            if query.brands and alias.model.brand not in query.brands:
                continue
            key = (alias.model.brand, alias.model.model)
            if key not in can_hold:
                words = self._model_words[key]
                can_hold[key] = all(not words.isdisjoint(k) for k in query.number_keys)
            if not can_hold[key]:
                continue
            score = _score(alias, query)
            if score is None:
                continue
            covered[key] = covered.get(key, frozenset()) | score[3]
            previous = scored.get(key)
            rank = (score[0], score[1], not score[2])
            if previous is None or rank > (previous[0], previous[1], not previous[2]):
                said = score[4]
                scored[key] = (*score[:3], alias.model, alias.words - alias.optional - said, said)
        # Every model number typed must stand in the model's names: "K800i" is not the "800".
        scored = {k: v for k, v in scored.items() if query.number_at <= covered[k]}
        brand = query.mentions[0].brand.name if query.mentions else None
        whole = {k: v for k, v in scored.items() if not v[2]}
        partial = [v for v in scored.values() if v[2]]
        if not whole:
            return self._named_in_part(text, query, brand, partial)
        top = max(value[0] for value in whole.values())
        best = sorted(
            (value for value in whole.values() if value[0] == top),
            key=lambda value: (-value[1], value[3].year or 0, value[3].model),
        )
        # "moto g" is the Moto G, or the Moto G 4G: longer names with every word said count.
        longer = [v for v in partial if v[0] >= top]
        return _decide(best, longer, brand=brand, several_brands=not query.brands)

    def _named_in_part(
        self, text: str, query: _Query, brand: str | None, partial: list
    ) -> ModelMatch:
        """Only longer names fit ("motorola razr"): a few are offered to choose from; many
        mean the brand was named, and not the model."""
        # Alone, a name in part must be named by a real word ("là" folds to "la").
        partial = [v for v in partial if any(len(w) >= 4 and w.isalpha() for w in v[5])]
        if partial:
            top = max(v[0] for v in partial)
            fitting = sorted((v for v in partial if v[0] == top), key=lambda v: (-v[1], v[3].model))
            if len(fitting) <= _MAX_CHOICES:
                return ModelMatch(MatchKind.AMBIGUOUS, tuple(v[3] for v in fitting), brand=brand)
        return self._not_in_catalogue(text, query, brand)

    def _not_in_catalogue(self, text: str, query: _Query, brand: str | None) -> ModelMatch:
        if brand is None:
            return ModelMatch(MatchKind.NONE)
        typed = _typed_model(text, query, self._vocabulary)
        if typed:
            sibling = self._letter_variant(query)
            if sibling is not None:
                return sibling
            return ModelMatch(MatchKind.UNKNOWN_MODEL, brand=brand, typed_model=typed)
        return ModelMatch(MatchKind.BRAND, brand=brand)

    def _letter_variant(self, query: _Query) -> ModelMatch | None:
        """A feature phone typed with one letter more or less than the catalogue's code
        ("E1200Y" for the E1200, "E1080" for the E1080T): regional versions of one basic
        phone. Said only when every such phone is 2G-only, and hedged ("có thể"): it tells
        an owner that the phone is affected, never that it is safe."""
        found: dict[tuple[str, str], DeviceModel] = {}
        for code in query.numbers:
            stems = {code[:-1]} if len(code) >= 4 and code[-1].isalpha() else set()
            for key in stems | set(self._by_stem.get(code, ())):
                for alias in (self._aliases[i] for i in self._by_word.get(key, ())):
                    if alias.model.brand in query.brands and key in alias.words:
                        found[(alias.model.brand, alias.model.model)] = alias.model
        models = tuple(found.values())
        if models and all(verdict_for(m) is Verdict.TWO_G_ONLY for m in models):
            return ModelMatch(MatchKind.FOUND, models, models[0].brand, others_named_alike=True)
        return None


_SEVERITY = {Verdict.TWO_G_ONLY: 3, Verdict.NO_4G: 2, Verdict.FOUR_G_NO_VOLTE: 1}
_NO_4G = frozenset({Verdict.TWO_G_ONLY, Verdict.NO_4G})


def _severity(verdict: Verdict) -> int:
    """How badly the phone is off: an unknown phone may be the worst off."""
    return 3 if verdict is Verdict.UNKNOWN else _SEVERITY.get(verdict, 0)


def _decide(best: list, longer: list, *, brand: str | None, several_brands: bool) -> ModelMatch:
    """One answer, or the variants to choose from, for the names that fit best.

    Each entry is (explained, -missing, partial, model, words missing, words said)."""
    fits = [*best, *longer]
    if several_brands and len({v[3].brand for v in best}) > 1:
        return _choose(fits, brand)
    # "Nokia 8210" must not be taken for the "8210 4G": when no candidate is named in full
    # and what is left out says 3G/4G, older versions of the name may exist. A name that
    # only leaves out "5G" ("S21 Ultra" for the "S21 Ultra 5G") is a 4G phone either way.
    network_unsaid = all(v[4] & NETWORK_TOKENS for v in best)
    only_5g_unsaid = all(v[4] <= {"5g"} and verdict_for(v[3]) is Verdict.FOUR_G for v in fits)
    if network_unsaid and not only_5g_unsaid:
        return _choose(fits, brand)
    # A name said in full ("Nokia 6600") is that phone, not the longer names that add a
    # word ("6600 fold"), when those are old phones too and no worse off. Otherwise the
    # bot asks: the owner of an "S4 mini" who typed "S4" is never told that the phone
    # keeps working, nor the owner of a "2660 Flip" (4G) who typed "2660" that it is 2G.
    named = [v for v in best if not v[4]]
    hedged = False
    if named:
        worst = min(_severity(verdict_for(v[3])) for v in named)
        other = [v for v in fits if v[4] and not _same_phone_words(v[4])]
        if all(
            verdict_for(v[3]) in _NO_4G and _severity(verdict_for(v[3])) <= worst for v in other
        ):
            fits = [v for v in fits if v not in other]
            hedged = any(verdict_for(v[3]) is not verdict_for(named[0][3]) for v in other)
    models = tuple(dict.fromkeys(v[3] for v in fits))
    verdicts = {verdict_for(m) for m in models}
    if len(verdicts) == 1:
        return ModelMatch(MatchKind.FOUND, models, models[0].brand, others_named_alike=hedged)
    if verdicts == {Verdict.FOUR_G, Verdict.FOUR_G_VOLTE}:
        # Variants that all have 4G and differ only in what we know of VoLTE: tell the less
        # sure one ("4G, VoLTE not known") rather than ask.
        cautious = tuple(m for m in models if verdict_for(m) is Verdict.FOUR_G)
        return ModelMatch(MatchKind.FOUND, cautious, brand=cautious[0].brand)
    return _choose(fits, brand)


def _choose(fits: list, brand: str | None) -> ModelMatch:
    """The variants to choose from, best first; when there are too many to show, at least
    one of each verdict, so the phone that made the bot ask is among them."""
    models = list(dict.fromkeys(v[3] for v in fits))
    first_of_each = {verdict_for(m): m for m in reversed(models)}.values()
    keep = set(list(first_of_each)[:_MAX_CHOICES])
    for model in models:
        if len(keep) >= _MAX_CHOICES:
            break
        keep.add(model)
    shown = tuple(m for m in models if m in keep)
    return ModelMatch(MatchKind.AMBIGUOUS, shown, brand=brand)


def _same_phone_words(words: Iterable[str]) -> bool:
    """Only words that relabel the same phone (network, year, SIM count)."""
    return all(w in _VARIANT_WORDS or YEAR.match(w) for w in words)


def _model_number_positions(
    words: tuple[str, ...], mentions: tuple[BrandMention, ...]
) -> list[int]:
    """Where the model numbers a matching name must contain stand: after the brand when one
    is named (within a few words), else anywhere; quantities, ages, times and years are not
    model numbers."""
    if mentions:
        spans = [range(m.end, min(len(words), m.end + _MODEL_WINDOW)) for m in mentions]
        positions = sorted({i for span in spans for i in span})
        found = [i for i in positions if _is_model_number(words, i)]
        if found:
            return found
    return [i for i in range(len(words)) if _is_model_number(words, i)]


def _is_model_number(words: tuple[str, ...], i: int) -> bool:
    word = words[i]
    if not is_model_code(word):
        return False
    following = words[i + 1] if i + 1 < len(words) else ""
    return not (word.isdigit() and following in QUANTITY_WORDS)


def _score(
    alias: _Alias, query: _Query
) -> tuple[int, int, bool, frozenset[int], frozenset[str]] | None:
    """(words of the text explained, -words of the name missing, partial, positions covered,
    words of the name said) when the alias fits the query, else None. Whether the model
    numbers typed are all covered is decided for the model, over all its aliases ("sm-n900
    note 3" names the Galaxy Note 3 twice).

    Partial: no model number was typed and the name has more words than were said ("moto g"
    for the "Moto G 4G"): such a name is offered as a choice, never given as the answer."""
    # Each word of the name said as typed, or typed apart ("flip5" as "flip 5").
    said = frozenset(w for w in alias.words if w in query.spans)
    if alias.compact in query.joined or (len(alias.words) > 1 and alias.compact in query.typed):
        # Typed with other spacing ("j 7 prime", "j7prime"): every word is said.
        at = query.covered((alias.compact,))
        return len(at), 0, False, at, said
    if not said:
        return None
    needed = alias.words - alias.optional
    partial = not query.number_at and len(said) < len(needed)
    if partial and not query.brands:
        return None  # a name in part needs its brand
    if not query.brands and not _names_a_model(said, query):
        return None  # "hôm nay 15 giờ", "số nhà 1280", "a5" name no phone without a brand
    if all(w.isdigit() and len(w) <= 2 for w in said) and len(said) < len(alias.words):
        return None  # a lone "2" does not make "Galaxy Note 2" the "Guru Music 2"
    at = query.covered(said)
    return len(at), -len(needed - said), partial, at, said


def _names_a_model(words: frozenset[str], query: _Query) -> bool:
    """Enough to name a model without its brand: a letter-and-digit code of 3+ characters
    ("e71", "k800i"), a word of 4+ letters ("xpressmusic"), or a number of 3+ digits said of
    a phone ("máy 1280", or the number alone): "nhà ở số 1280" names no phone."""
    about_a_phone = bool(PHONE_WORDS & query.typed) or len(query.words) <= 2
    return any(
        (w.isdigit() and len(w) >= 3 and about_a_phone and not YEAR.match(w))
        or (is_model_code(w) and not w.isdigit() and len(w) >= 3)
        or (w.isalpha() and len(w) >= 4 and w not in NETWORK_TOKENS)
        for w in words
    )


def _typed_model(text: str, query: _Query, vocabulary: set[str]) -> str | None:
    """The model typed after the brand, as typed ("1208", "K800i", "Fami 60"), if any: its
    numbers, with the model words said just before them ("fami", "active", "lumia")."""
    for mention in query.mentions:
        start = mention.end
        window = query.words[start : start + _MODEL_WINDOW]
        at = [i for i, w in enumerate(window) if w in query.numbers]
        if at:
            lead = at[0]
            while lead > 0 and _model_word(window[lead - 1], vocabulary):
                lead -= 1  # "masstel fami 60", "galaxy z flip 9", not "nokia đời cũ 1280"
            words = [*window[lead : at[0]], *(window[i] for i in at)]
            said = query.words[mention.start : mention.end]
            line = [] if mention.brand.name.lower() == " ".join(said) else list(said)
            if line and tuple(said) in {tuple(tokens(f)) for f in mention.brand.lines}:
                words = [*line, *words]  # "Lumia 640", not "Nokia 640"
            return _as_typed(text, words)
    return None


def _model_word(word: str, vocabulary: set[str]) -> bool:
    """A word of model names ("fami", "flip", the "z" of "z flip"), not a short everyday
    word that some model code also has ("cu", "la")."""
    return word.isalpha() and word in vocabulary and (len(word) >= 4 or len(word) == 1)


def _as_typed(text: str, words: list[str]) -> str:
    """The words as the user wrote them (case and marks kept when they can be found)."""
    shown = []
    for word in words:
        match = re.search(rf"(?<![0-9A-Za-z]){re.escape(word)}(?![0-9A-Za-z])", text, re.I)
        shown.append(match.group(0) if match else word)
    return " ".join(shown)


@dataclass(frozen=True, slots=True)
class DeviceResult:
    """The answer to one check, ready for the chat, the CLI and storage."""

    query: str
    kind: str  # "imei" | "model" | "phone_number" | "id_number" | "unknown"
    valid: bool
    verdict: Verdict
    tac: str | None = None
    brand: str | None = None
    model: str | None = None
    volte: str | None = None
    confidence: str = Confidence.LOW.value
    source: str | None = None
    url: str | None = None
    in_catalogue: bool = False
    candidates: tuple[DeviceModel, ...] = ()
    imei_problem: str | None = None
    lte_in_some_versions: bool = False  # 4G in some of the phone's model codes, maybe not this

    @property
    def text_id(self) -> str:
        """Which verdict text tells this result (verdicts.yaml)."""
        return FOUR_G_SOME_VERSIONS if self.lte_in_some_versions else self.verdict.value

    @property
    def name(self) -> str | None:
        """ "Nokia 1280", or None when no model is named."""
        if self.model is None:
            return None
        return f"{self.brand} {self.model}" if self.brand else self.model

    def as_json(self) -> dict[str, object]:
        """The fields `bot device --json` prints."""
        return {
            "query": self.query,
            "kind": self.kind,
            "valid": self.valid,
            "tac": self.tac,
            "brand": self.brand,
            "model": self.model,
            "in_catalogue": self.in_catalogue,
            "verdict": self.verdict.value,
            "affected": affected(self.verdict),
            "volte": self.volte,
            "confidence": self.confidence,
            "lte_in_some_versions": self.lte_in_some_versions,
            "source": self.source,
            "url": self.url,
            "choices": [m.name for m in self.candidates],
        }


def result_for_model(
    query: str, kind: str, model: DeviceModel, tac: str | None = None, *, hedged: bool = False
) -> DeviceResult:
    """A result stating what the catalogue says about `model`; `hedged` when other phones
    go by a longer form of the name typed ("6600 fold" for "6600"): then never "high"."""
    verdict = verdict_for(model)
    stated = model.confidence.value
    if model.lte_in_some_versions:
        stated = Confidence.LOW.value
    elif hedged and stated == Confidence.HIGH.value:
        stated = Confidence.MEDIUM.value
    return DeviceResult(
        query=query,
        kind=kind,
        valid=True,
        verdict=verdict,
        tac=tac,
        brand=model.brand,
        model=model.model,
        volte=model.volte.value,
        confidence=verdict_confidence(verdict, stated),
        source=model.source or None,
        url=model.url,
        in_catalogue=True,
        lte_in_some_versions=model.lte_in_some_versions,
    )


def entry_ref(model: DeviceModel) -> str:
    """A short, stable name for one catalogue entry (fits a Telegram button's 64 bytes)."""
    return hashlib.sha1(f"{model.brand}|{model.model}".encode()).hexdigest()[:12]


class DeviceCatalogue:
    """The model catalogue with its matcher and TAC-link keys (one per process)."""

    def __init__(self, models: Iterable[DeviceModel], registry: BrandRegistry) -> None:
        self.models = tuple(models)
        self.registry = registry
        self.matcher = ModelMatcher(self.models, registry)
        self._by_name = {(m.brand, m.model): m for m in self.models}
        self._by_ref = {entry_ref(m): m for m in self.models}
        self._by_key: dict[str, DeviceModel | None] = {}
        for entry in self.models:
            for alias in (entry.model, *entry.aliases):
                key = model_key(entry.brand, alias)
                known = self._by_key.get(key, entry)
                # A name shared by models with different verdicts links to none of them:
                # "3210" without its year is the 1999 phone or the 2024 one.
                same = known is not None and verdict_for(known) is verdict_for(entry)
                self._by_key[key] = entry if key not in self._by_key or same else None
        for entry in self.models:  # the full canonical name always wins
            self._by_key[model_key(entry.brand, entry.model, keep_parentheses=True)] = entry

    def get(self, brand: str, model: str) -> DeviceModel | None:
        """The entry with this exact brand and model name."""
        return self._by_name.get((brand, model))

    def by_ref(self, ref: str) -> DeviceModel | None:
        """The entry an `entry_ref` names (None after a catalogue change removed it)."""
        return self._by_ref.get(ref)

    def for_tac_model(self, brand: str, model: str) -> DeviceModel | None:
        """The entry a TAC table's (brand, model) names: same brand family, the same name in
        full, or without what stands in parentheses when that names one verdict."""
        for keep in (True, False):
            for name in sorted(self.registry.family(brand)):
                entry = self._by_key.get(model_key(name, model, keep_parentheses=keep))
                if entry is not None:
                    return entry
        return None

    def check_model(self, query: str) -> DeviceResult | None:
        """A result for a model name, or None when the text names no model and no brand."""
        match = self.matcher.find(query)
        if match.kind is MatchKind.FOUND and match.best is not None:
            return result_for_model(query, "model", match.best, hedged=match.others_named_alike)
        if match.kind is MatchKind.NONE:
            return None
        return DeviceResult(
            query=query,
            kind="model",
            valid=True,
            verdict=Verdict.UNKNOWN,
            brand=match.brand,
            model=match.typed_model,
            candidates=match.models,
        )

"""Is a phone affected? From an IMEI (via the imported TAC table) or from a model name.

The verdict comes only from what the catalogue states; unknown capabilities stay unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from rapidfuzz import fuzz, process
from stdnum import imei as stdnum_imei
from stdnum.exceptions import ValidationError

from bot.content.devices import DeviceModel, Support
from bot.core.text import fold
from bot.services.device_names import NETWORK_TOKENS, catalogue_key, name_tokens

_IMEI_CANDIDATE = re.compile(r"(?<![\d])(\d(?:[\s.\-/]{0,2}\d){11,16})(?![\d])")
_FUZZY_CUTOFF = 82
_WORDS = re.compile(r"[^a-z0-9]+")
_YEAR = re.compile(r"^(19[89]\d|20[0-3]\d)$")
# Product-line words people use in place of the brand.
BRAND_WORDS = {"iphone": "Apple", "ip": "Apple", "galaxy": "Samsung", "redmi": "Xiaomi"}


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
    """The verdict that a catalogue entry supports, and no more."""
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


@dataclass(frozen=True, slots=True)
class ImeiReading:
    """An IMEI (or IMEISV) read from what the user typed."""

    digits: str
    valid: bool
    problem: str | None = None  # "length" or "checksum"

    @property
    def tac(self) -> str | None:
        """The first 8 digits: the model code."""
        return self.digits[:8] if self.valid else None

    @property
    def masked(self) -> str:
        """TAC kept, serial hidden: what is stored and logged."""
        return self.digits[:8] + "*" * (len(self.digits) - 8)


def find_imei(text: str) -> str | None:
    """Digits of an IMEI-like number in the text (12–17 digits, spaces or dashes allowed).

    Phone numbers (10–11 digits) are not taken; 12 or more digits can only be an IMEI typed
    with a digit too many or too few, which deserves an explanation.
    """
    match = _IMEI_CANDIDATE.search(text)
    return re.sub(r"\D", "", match.group(1)) if match else None


def read_imei(digits: str) -> ImeiReading:
    """Check a 15-digit IMEI's check digit; a 16-digit IMEISV has none to check."""
    if len(digits) not in (15, 16):
        return ImeiReading(digits, valid=False, problem="length")
    try:
        stdnum_imei.validate(digits)
    except ValidationError:
        return ImeiReading(digits, valid=False, problem="checksum")
    return ImeiReading(digits, valid=True)


@dataclass(frozen=True, slots=True)
class ModelMatch:
    """Models a text may name: one verdict ("found"), several ("ambiguous"), a brand only."""

    kind: str  # "found" | "ambiguous" | "brand" | "none"
    models: tuple[DeviceModel, ...] = ()
    brand: str | None = None

    @property
    def best(self) -> DeviceModel | None:
        """The model to report when the match is not ambiguous."""
        return self.models[0] if self.models else None


@dataclass(frozen=True, slots=True)
class _Alias:
    model: DeviceModel
    brand_tokens: frozenset[str]
    model_tokens: frozenset[str]
    compact: str  # "a3s", "j7prime": how the alias looks typed without spaces


@dataclass(slots=True)
class ModelMatcher:
    """Finds catalogue models in free text, tolerant of typos (rapidfuzz) and spacing."""

    models: Iterable[DeviceModel]
    _aliases: list[_Alias] = field(default_factory=list)
    _brands: dict[str, str] = field(default_factory=dict)
    _vocabulary: set[str] = field(default_factory=set)
    _fuzzy_words: list[str] = field(default_factory=list)
    _by_token: dict[str, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for model in self.models:
            brand = name_tokens(model.brand)
            self._brands[" ".join(brand)] = model.brand
            for alias in (model.name, model.model, *model.aliases):
                tokens = name_tokens(alias)
                if tokens[: len(brand)] == brand:
                    tokens = tokens[len(brand) :]
                if tokens:
                    self._aliases.append(
                        _Alias(model, frozenset(brand), frozenset(tokens), "".join(tokens))
                    )
                    self._vocabulary.update(tokens)
            self._vocabulary.update(brand)
        self._fuzzy_words = sorted(w for w in self._vocabulary if len(w) >= 4 and w.isalpha())
        for index, alias in enumerate(self._aliases):  # only aliases sharing a token are scored
            for token in alias.model_tokens:
                self._by_token.setdefault(token, []).append(index)

    def _query_tokens(self, text: str) -> set[str]:
        found = set()
        for token in name_tokens(text):
            if token in self._vocabulary:
                found.add(token)
            elif len(token) >= 4 and token.isalpha():
                best = process.extractOne(
                    token, self._fuzzy_words, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF
                )
                if best is not None:
                    found.add(best[0])
        return found

    def find(self, text: str) -> ModelMatch:
        """The models `text` may name."""
        query = self._query_tokens(text)
        typed_words = set(_WORDS.sub(" ", fold(text)).split())
        brands = {name for key, name in self._brands.items() if set(key.split()) <= query and key}
        if not brands:
            brands = {BRAND_WORDS[t] for t in query if t in BRAND_WORDS}
        # Model numbers must all fit the model; a year ("mua năm 2010") may or may not.
        numbers = {
            t
            for t in query
            if any(c.isdigit() for c in t) and t not in NETWORK_TOKENS and not _YEAR.match(t)
        }
        scored: dict[tuple[str, str], tuple[int, int, DeviceModel, frozenset[str]]] = {}
        candidates = sorted({i for token in query for i in self._by_token.get(token, ())})
        for alias in (self._aliases[i] for i in candidates):
            if brands and alias.model.brand not in brands:
                continue
            if not numbers <= alias.model_tokens:
                continue
            explained_tokens = alias.model_tokens & query
            explained = len(explained_tokens)
            if explained == 0 or (not numbers and explained < len(alias.model_tokens)):
                continue
            if not brands and not (_distinctive(explained_tokens) or alias.compact in typed_words):
                continue  # "hôm nay 15 giờ" names no phone
            missing = alias.model_tokens - query
            key = (alias.model.brand, alias.model.model)
            previous = scored.get(key)
            if previous is None or (explained, -len(missing)) > previous[:2]:
                scored[key] = (explained, -len(missing), alias.model, missing)
        brand = next(iter(brands)) if len(brands) == 1 else None
        if not scored:
            return ModelMatch("brand" if brand else "none", brand=brand)
        top = max(value[0] for value in scored.values())
        best = sorted(
            (value for value in scored.values() if value[0] == top),
            key=lambda value: (-value[1], value[2].year or 0, value[2].model),
        )
        models = tuple(value[2] for value in best)
        # "Nokia 8210" must not be taken for the "8210 4G": when no candidate is named in
        # full and what is left out says 3G/4G, older versions of the name may exist.
        unsaid_network = all(value[3] & NETWORK_TOKENS for value in best)
        if len({verdict_for(m) for m in models}) == 1 and not unsaid_network:
            return ModelMatch("found", models, brand=models[0].brand)
        return ModelMatch("ambiguous", models[:6], brand=brand)


def _distinctive(tokens: frozenset[str]) -> bool:
    """Enough to name a model without its brand: a word, or a number of 3+ digits."""
    return any(
        (t.isalpha() and len(t) >= 2 and t not in NETWORK_TOKENS) or (t.isdigit() and len(t) >= 3)
        for t in tokens
    )


@dataclass(frozen=True, slots=True)
class DeviceResult:
    """The answer to one check, ready for the chat, the CLI and storage."""

    query: str
    kind: str  # "imei" | "model" | "unknown"
    valid: bool
    verdict: Verdict
    tac: str | None = None
    brand: str | None = None
    model: str | None = None
    volte: str | None = None
    confidence: str = "low"
    source: str | None = None
    candidates: tuple[DeviceModel, ...] = ()
    imei_problem: str | None = None

    def as_json(self) -> dict[str, object]:
        """The fields `bot device --json` prints."""
        return {
            "query": self.query,
            "kind": self.kind,
            "valid": self.valid,
            "tac": self.tac,
            "brand": self.brand,
            "model": self.model,
            "verdict": self.verdict.value,
            "volte": self.volte,
            "confidence": self.confidence,
            "source": self.source,
        }


def result_for_model(
    query: str, kind: str, model: DeviceModel, tac: str | None = None
) -> DeviceResult:
    """A result stating what the catalogue says about `model`."""
    return DeviceResult(
        query=query,
        kind=kind,
        valid=True,
        verdict=verdict_for(model),
        tac=tac,
        brand=model.brand,
        model=model.model,
        volte=model.volte.value,
        confidence=model.confidence.value,
        source=model.source,
    )


class DeviceCatalogue:
    """The model catalogue with its matcher and TAC-link keys (one per process)."""

    def __init__(self, models: Iterable[DeviceModel]) -> None:
        self.models = tuple(models)
        self.matcher = ModelMatcher(self.models)
        self._by_key: dict[str, DeviceModel | None] = {}
        for entry in self.models:
            for alias in (entry.model, *entry.aliases):
                key = catalogue_key(entry.brand, alias)
                known = self._by_key.get(key, entry)
                # A name shared by models with different verdicts links to none of them.
                same = known is not None and verdict_for(known) is verdict_for(entry)
                self._by_key[key] = entry if key not in self._by_key or same else None
        for entry in self.models:  # the canonical name always wins over an alias
            self._by_key[catalogue_key(entry.brand, entry.model)] = entry

    def by_tac_name(self, key: str) -> DeviceModel | None:
        """The catalogue entry for an imported TAC model: same brand, same name, no guessing."""
        return self._by_key.get(key)

    def check_model(self, query: str) -> DeviceResult | None:
        """A result for a model name, or None when the text names no known model or brand."""
        match = self.matcher.find(query)
        if match.kind == "found" and match.best is not None:
            return result_for_model(query, "model", match.best)
        if match.kind == "ambiguous":
            return DeviceResult(
                query=query,
                kind="model",
                valid=True,
                verdict=Verdict.UNKNOWN,
                brand=match.brand,
                candidates=match.models,
            )
        if match.kind == "brand":
            return DeviceResult(
                query=query, kind="model", valid=True, verdict=Verdict.UNKNOWN, brand=match.brand
            )
        return None

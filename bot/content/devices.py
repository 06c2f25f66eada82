"""The phone catalogue (devices.csv) and the brands people name (brands.yaml).

A catalogue row states what a model supports and where that is written; a capability no
source gives stays `unknown`. The `note` column is for staff and is never shown.
"""

from __future__ import annotations

import csv
import re
from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.content.loader import CONTENT_DIR, URL, Confidence, ContentError

COLUMNS = (
    "brand",
    "model",
    "aliases",
    "gsm",
    "umts",
    "lte",
    "volte",
    "year",
    "source",
    "url",
    "confidence",
    "note",
)
# Words of notes meant for staff, which must never reach a citizen through `source`.
_STAFF_WORDS = re.compile(r"§|fact sheet|not confirmed|re-post|todo", re.IGNORECASE)
# A maker's model code as the catalogue writes it: letters, a dash, then letters and digits.
MODEL_CODE = re.compile(r"[a-z]{2,4}-[a-z]*\d[a-z0-9]*")


class Support(StrEnum):
    """Whether a phone has a capability."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class Brand(BaseModel):
    """A phone brand, the ways people write it and its product-line words."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()
    family: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()
    ambiguous: tuple[str, ...] = ()
    # Until this year the brand sold one name in 3G-only and 4G versions under different
    # model codes (GT-N7100 and GT-N7105), and a spec page covering several codes lists 4G
    # when only some of them have it.
    codes_mix_networks_until: int | None = None


class DeviceModel(BaseModel):
    """One model of the catalogue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    brand: str = Field(min_length=1)
    model: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    gsm: Support
    umts: Support
    lte: Support
    volte: Support
    year: int | None = None
    source: str = ""  # who states the capabilities (shown); empty when nothing is known
    url: str | None = None
    confidence: Confidence
    note: str = ""
    # Set at load, from the brand: the row's 4G may be true of only some of its model codes.
    lte_in_some_versions: bool = False

    @field_validator("aliases", mode="before")
    @classmethod
    def _split_aliases(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(a.strip() for a in value.split("|") if a.strip())
        return value

    @field_validator("year", "url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value

    @field_validator("source")
    @classmethod
    def _for_citizens(cls, value: str) -> str:
        if _STAFF_WORDS.search(value):
            raise ValueError("the source is shown to citizens: put staff notes in `note`")
        return value

    @field_validator("url")
    @classmethod
    def _well_formed(cls, value: str | None) -> str | None:
        if value is not None and not URL.match(value):
            raise ValueError(f"not a well-formed http(s) link: {value!r}")
        return value

    @property
    def name(self) -> str:
        """ "Nokia 1280"."""
        return f"{self.brand} {self.model}"

    @property
    def model_codes(self) -> frozenset[str]:
        """The maker's model codes among the aliases ("gt-n7100", "sm-g530h")."""
        return frozenset(a for a in self.aliases if MODEL_CODE.fullmatch(a))


def mark_mixed_versions(model: DeviceModel, brands: dict[str, Brand]) -> DeviceModel:
    """`model`, marked when its 4G may belong to only some of its model codes: the brand sold
    3G-only and 4G versions of one name until `codes_mix_networks_until`, and the row covers
    several codes of that time (or of an unknown year)."""
    brand = brands.get(model.brand)
    until = brand.codes_mix_networks_until if brand is not None else None
    if (
        until is None
        or model.lte is not Support.YES
        or (model.year is not None and model.year > until)
        or len(model.model_codes) < 2
    ):
        return model
    return model.model_copy(update={"lte_in_some_versions": True})


def find_device_problems(
    path: Path, brands: tuple[Brand, ...] | None = None
) -> tuple[list[DeviceModel], list[str]]:
    """The models of a catalogue file and every problem in it (brands: the known brands)."""
    problems: list[str] = []
    models: list[DeviceModel] = []
    try:
        handle = path.open(encoding="utf-8", newline="")
    except FileNotFoundError:
        return [], [f"{path.name}: file is missing"]
    known_brands = {b.name: b for b in brands} if brands is not None else None
    with handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            return [], [f"{path.name}: the header must be {','.join(COLUMNS)}"]
        seen: set[tuple[str, str]] = set()
        for line, row in enumerate(reader, 2):
            try:
                model = DeviceModel.model_validate(row)
            except ValidationError as error:
                for item in error.errors():
                    where = ".".join(str(p) for p in item["loc"])
                    problems.append(f"{path.name} line {line} {where}: {item['msg']}")
                continue
            key = (model.brand.lower(), model.model.lower())
            if key in seen:
                problems.append(f"{path.name} line {line}: {model.name} appears twice")
            seen.add(key)
            if model.lte is Support.NO and model.volte is not Support.NO:
                problems.append(f"{path.name} line {line}: {model.name} has no 4G, so VoLTE is no")
            known = [s for s in (model.umts, model.lte, model.volte) if s is not Support.UNKNOWN]
            if known and not model.source:
                problems.append(
                    f"{path.name} line {line}: {model.name} states capabilities without a source"
                )
            if known_brands is not None and model.brand not in known_brands:
                problems.append(f"{path.name} line {line}: brand {model.brand!r} is not in brands")
            models.append(mark_mixed_versions(model, known_brands or {}))
    return models, problems


def find_brand_problems(path: Path) -> tuple[tuple[Brand, ...], list[str]]:
    """The brands of brands.yaml and every problem in it."""
    try:
        with path.open(encoding="utf-8") as handle:
            raw = yaml.safe_load(handle)
    except FileNotFoundError:
        return (), [f"{path.name}: file is missing"]
    except yaml.YAMLError as error:
        return (), [f"{path.name}: not valid YAML: {error}"]
    if not isinstance(raw, dict) or not isinstance(raw.get("brands"), list):
        return (), [f"{path.name}: expected a list under 'brands'"]
    brands: list[Brand] = []
    problems: list[str] = []
    for index, item in enumerate(raw["brands"]):
        try:
            brands.append(Brand.model_validate(item))
        except ValidationError as error:
            problems += [f"{path.name} brands[{index}]: {e['msg']}" for e in error.errors()]
    names = {b.name for b in brands}
    for brand in brands:
        for other in brand.family:
            if other not in names:
                problems.append(f"{path.name} {brand.name}: family names unknown brand {other!r}")
        forms = {*brand.aliases, *brand.lines}
        for form in (*brand.weak, *brand.ambiguous):
            if form not in forms:
                problems.append(f"{path.name} {brand.name}: {form!r} is not one of its forms")
    return tuple(brands), problems


def load_brands(path: Path = CONTENT_DIR / "brands.yaml") -> tuple[Brand, ...]:
    """The brands, or `ContentError` listing every problem."""
    brands, problems = find_brand_problems(path)
    if problems:
        raise ContentError(problems)
    return brands


def load_devices(
    path: Path = CONTENT_DIR / "devices.csv", brands: tuple[Brand, ...] | None = None
) -> tuple[DeviceModel, ...]:
    """The catalogue, or `ContentError` listing every problem (brands: those of brands.yaml
    beside the catalogue, unless given)."""
    if brands is None and (path.parent / "brands.yaml").exists():
        brands = load_brands(path.parent / "brands.yaml")
    models, problems = find_device_problems(path, brands)
    if problems:
        raise ContentError(problems)
    return tuple(models)

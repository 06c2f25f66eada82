"""The phone model catalogue (devices.csv): what each model supports, and how sure we are."""

from __future__ import annotations

import csv
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.content.loader import CONTENT_DIR, Confidence, ContentError

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
    "confidence",
)


class Support(StrEnum):
    """Whether a phone has a capability."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


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
    source: str = Field(min_length=2)
    confidence: Confidence

    @field_validator("aliases", mode="before")
    @classmethod
    def _split_aliases(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(a.strip() for a in value.split("|") if a.strip())
        return value

    @field_validator("year", mode="before")
    @classmethod
    def _empty_year(cls, value: object) -> object:
        return None if value in ("", None) else value

    @property
    def name(self) -> str:
        """ "Nokia 1280"."""
        return f"{self.brand} {self.model}"


def find_device_problems(path: Path) -> tuple[list[DeviceModel], list[str]]:
    """The models of a catalogue file and every problem in it."""
    problems: list[str] = []
    models: list[DeviceModel] = []
    try:
        handle = path.open(encoding="utf-8", newline="")
    except FileNotFoundError:
        return [], [f"{path.name}: file is missing"]
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
            models.append(model)
    return models, problems


def load_devices(path: Path = CONTENT_DIR / "devices.csv") -> tuple[DeviceModel, ...]:
    """The catalogue, or `ContentError` listing every problem."""
    models, problems = find_device_problems(path)
    if problems:
        raise ContentError(problems)
    return tuple(models)

"""Load and validate the content files (YAML) into typed, immutable objects.

`load_content` raises `ContentError` listing every problem; `find_problems` returns them,
for `bot content check`.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

CONTENT_DIR = Path(__file__).resolve().parent
FILES = ("timeline", "faq", "programmes", "contacts", "scams")
REQUIRED_TOPICS = (
    "greeting",
    "timeline",
    "what_is_2g_only",
    "check_device",
    "support_eligibility",
    "support_register",
    "keep_number",
    "phone_cost",
    "which_phone",
    "network_3g",
    "volte",
    "scam",
    "elderly_help",
    "data_privacy",
    "human_agent",
    "subscribe",
    "fallback",
)
UNSOURCED_TOPICS = ("greeting", "fallback")
REQUIRED_MILESTONES = (
    "import_ban_non4g",
    "block_uncertified_2g",
    "cut_2g_only_planned",
    "cut_2g_only",
    "network_2g_off",
    "network_3g_off",
)
MIN_EXAMPLES = 8
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
URL = re.compile(r"^https?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?(/[^\s]*)?$")
LIST_PLACEHOLDERS = {"contacts", "scams", "programmes"}


class ContentError(ValueError):
    """The content files have problems; `problems` lists them readably."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Localized(_Model):
    """A text in Vietnamese and English."""

    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, locale: str) -> str:
        """The text in `locale` (English for anything but Vietnamese)."""
        return self.vi if locale == "vi" else self.en


class Source(_Model):
    """Where a fact comes from."""

    label: str = Field(min_length=2)
    url: str

    @field_validator("url")
    @classmethod
    def _well_formed(cls, value: str) -> str:
        if not URL.match(value):
            raise ValueError(f"not a well-formed http(s) link: {value!r}")
        return value


class Status(StrEnum):
    """What is known about a milestone."""

    PLANNED = "planned"
    DONE = "done"
    POSTPONED = "postponed"
    UNCONFIRMED = "unconfirmed"


class Precision(StrEnum):
    """How precisely a milestone's date is known."""

    DAY = "day"
    MONTH = "month"


class Confidence(StrEnum):
    """How sure the sources are."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Milestone(_Model):
    """A dated step of the shutdown."""

    id: str
    date: date
    precision: Precision = Precision.DAY
    status: Status
    postponed_to: str | None = None
    postponed_on: date | None = None  # the day the postponement was decided
    confidence: Confidence
    title: Localized
    before: Localized
    after: Localized
    affected: Localized
    action: Localized
    source: Source


class Variant(_Model):
    """A shorter answer of a topic for messages containing one of `when` (normalised words),
    such as "cảm ơn" or "tạm biệt" for the greeting topic."""

    when: tuple[str, ...] = Field(min_length=1)
    answer: Localized


class Topic(_Model):
    """A question people ask, with its answer and example phrasings."""

    id: str
    title: Localized
    answer: Localized
    examples: tuple[str, ...]
    follow_ups: tuple[str, ...] = ()
    source: Source | None = None
    variants: tuple[Variant, ...] = ()


class Programme(_Model):
    """A support programme or offer (current or past)."""

    id: str
    name: Localized
    status: str = Field(pattern="^(active|ended|unconfirmed)$")
    text: Localized
    source: Source
    confidence: Confidence


class Contact(_Model):
    """An office or line citizens can turn to (only confirmed numbers)."""

    id: str
    name: Localized
    phone: str | None = None
    how: Localized
    source: Source
    confidence: Confidence


class Scam(_Model):
    """A scam warning."""

    id: str
    text: Localized
    source: Source


class Content(_Model):
    """All content, validated."""

    as_of: date
    province: Localized
    milestones: tuple[Milestone, ...]
    topics: tuple[Topic, ...]
    programmes: tuple[Programme, ...]
    contacts: tuple[Contact, ...]
    scams: tuple[Scam, ...]

    def milestone(self, milestone_id: str) -> Milestone:
        """The milestone with this id."""
        return next(m for m in self.milestones if m.id == milestone_id)

    def milestone_on(self, milestone_id: str, today: date) -> Milestone:
        """The milestone as known on `today`: before a postponement was decided, the new date
        was not known yet, so the original plan is the one to tell."""
        milestone = self.milestone(milestone_id)
        for earlier in self.milestones:
            if (
                earlier.postponed_to == milestone_id
                and earlier.postponed_on is not None
                and today < earlier.postponed_on
            ):
                return earlier
        return milestone

    def topic(self, topic_id: str) -> Topic:
        """The topic with this id."""
        return next(t for t in self.topics if t.id == topic_id)


def _read_yaml(path: Path, problems: list[str]) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError:
        problems.append(f"{path.name}: file is missing")
        return {}
    except yaml.YAMLError as error:
        problems.append(f"{path.name}: not valid YAML: {error}")
        return {}
    if not isinstance(data, dict):
        problems.append(f"{path.name}: expected a mapping at the top")
        return {}
    return data


def _validation_problems(error: ValidationError, raw: dict[str, Any]) -> list[str]:
    problems = []
    for item in error.errors():
        location = list(item["loc"])
        where = _describe_location(location, raw)
        problems.append(f"{where}: {item['msg']}")
    return problems


def _describe_location(location: list[Any], raw: dict[str, Any]) -> str:
    """'faq.yaml topics[3] (id=volte).answer.en' from a pydantic error location."""
    file_of = {
        "as_of": "timeline",
        "milestones": "timeline",
        "topics": "faq",
        "programmes": "programmes",
        "contacts": "contacts",
        "province": "contacts",
        "scams": "scams",
    }
    if not location:
        return "content"
    head = str(location[0])
    text = f"{file_of.get(head, head)}.yaml {head}"
    if len(location) > 1 and isinstance(location[1], int):
        index = location[1]
        items = raw.get(head) or []
        item_id = (
            items[index].get("id")
            if index < len(items) and isinstance(items[index], dict)
            else None
        )
        text += f"[{index}]" + (f" (id={item_id})" if item_id else "")
        rest = location[2:]
    else:
        rest = location[1:]
    return text + "".join(f".{part}" for part in rest)


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def _semantic_problems(content: Content) -> list[str]:
    """Checks across items: ids, languages, placeholders, dates, sources."""
    problems: list[str] = []
    milestone_ids = [m.id for m in content.milestones]
    topic_ids = [t.id for t in content.topics]
    for kind, ids in (("milestone", milestone_ids), ("topic", topic_ids)):
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            problems.append(f"duplicate {kind} ids: {', '.join(duplicates)}")
    for missing in sorted(set(REQUIRED_TOPICS) - set(topic_ids)):
        problems.append(f"faq.yaml: required topic {missing!r} is missing")
    for missing in sorted(set(REQUIRED_MILESTONES) - set(milestone_ids)):
        problems.append(f"timeline.yaml: required milestone {missing!r} is missing")

    dates = [m.date for m in content.milestones]
    if dates != sorted(dates):
        problems.append("timeline.yaml: milestones are not in date order")
    for m in content.milestones:
        where = f"timeline.yaml milestone {m.id}"
        for field_name in ("before", "after"):
            for locale in ("vi", "en"):
                text = getattr(m, field_name).get(locale)
                if _placeholders(text) != {"date"}:
                    problems.append(f"{where}.{field_name}.{locale}: must contain {{date}} only")
        if m.status is Status.POSTPONED:
            target = next((x for x in content.milestones if x.id == m.postponed_to), None)
            if target is None:
                problems.append(f"{where}: postponed_to must name another milestone")
            elif target.date <= m.date:
                problems.append(f"{where}: postponed to an earlier date ({target.date})")
            if m.postponed_on is not None and m.postponed_on > m.date:
                problems.append(f"{where}: postponed_on is after the milestone's own date")
        elif m.postponed_to is not None or m.postponed_on is not None:
            problems.append(f"{where}: postponed_to/on is set but status is {m.status}")
        if m.status is Status.DONE and m.date > content.as_of:
            problems.append(f"{where}: status done but its date is after as_of {content.as_of}")
        if m.status is Status.PLANNED and m.date <= content.as_of:
            problems.append(
                f"{where}: status planned but its date has passed (as_of {content.as_of}); "
                "mark it done or unconfirmed"
            )

    for topic in content.topics:
        where = f"faq.yaml topic {topic.id}"
        if topic.source is None and topic.id not in UNSOURCED_TOPICS:
            problems.append(f"{where}: a factual answer needs a source")
        if len(topic.examples) < MIN_EXAMPLES:
            problems.append(f"{where}: needs at least {MIN_EXAMPLES} examples")
        for follow_up in topic.follow_ups:
            if follow_up not in topic_ids or follow_up == topic.id:
                problems.append(f"{where}: unknown follow-up {follow_up!r}")
        vi, en = _placeholders(topic.answer.vi), _placeholders(topic.answer.en)
        if vi != en:
            problems.append(
                f"{where}: placeholders differ between vi {sorted(vi)} and en {sorted(en)}"
            )
        for name in vi | en:
            kind, _, arg = name.partition(":")
            if (kind == "milestone" and arg in milestone_ids) or (
                not arg and kind in LIST_PLACEHOLDERS
            ):
                continue
            problems.append(f"{where}: unknown placeholder {{{name}}}")
    seen: dict[str, str] = {}
    for topic in content.topics:
        for example in topic.examples:
            key = " ".join(example.lower().split())
            if key in seen and seen[key] != topic.id:
                problems.append(f"faq.yaml: example {example!r} is in {seen[key]} and {topic.id}")
            seen[key] = topic.id
    return problems


def _load(content_dir: Path) -> tuple[Content | None, list[str]]:
    problems: list[str] = []
    raw: dict[str, Any] = {}
    for name in FILES:
        raw.update(_read_yaml(content_dir / f"{name}.yaml", problems))
    if problems:
        return None, problems
    try:
        content = Content.model_validate(raw)
    except ValidationError as error:
        return None, _validation_problems(error, raw)
    return content, _semantic_problems(content)


def find_problems(content_dir: Path = CONTENT_DIR) -> list[str]:
    """Every problem in the content files (empty when all is well)."""
    return _load(content_dir)[1]


def load_content(content_dir: Path = CONTENT_DIR) -> Content:
    """Load the content, or raise `ContentError` with every problem found."""
    content, problems = _load(content_dir)
    if problems or content is None:
        raise ContentError(problems)
    return content

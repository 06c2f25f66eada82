"""Load and validate the content files (YAML) into typed, immutable objects.

Everything the bot states that can change carries its validity window: `known_from` (the day
from which it may be said) and `until` (its last day, or null while it still holds). Facts,
programmes, scam warnings, contacts and reports are windowed items; milestones know from when
their date was announced. Topic and verdict texts hold no dates of their own: they name
windowed items by placeholder, and a line whose item does not hold today is left out.

`load_content` raises `ContentError` listing every problem; `find_problems` returns them,
for `bot content check`.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

CONTENT_DIR = Path(__file__).resolve().parent
FILES = ("timeline", "facts", "faq", "verdicts", "programmes", "contacts", "scams")
REQUIRED_TOPICS = (
    "greeting",
    "about_bot",
    "timeline",
    "what_is_2g_only",
    "check_device",
    "cannot_call",
    "still_works",
    "islands",
    "support_eligibility",
    "support_register",
    "other_support",
    "official_guide",
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
# Answers that state nothing a source stands behind (the bot's own greeting, what it is, what
# it keeps): what they say of dated facts comes with the facts' own sources.
UNSOURCED_TOPICS = ("greeting", "about_bot", "data_privacy", "fallback")
REQUIRED_MILESTONES = (
    "import_ban_non4g",
    "block_uncertified_2g",
    "cut_2g_only_planned",
    "cut_2g_only",
    "network_2g_off",
    "network_3g_off",
)
REMINDER_PLACEHOLDERS = {"milestone", "action", "source"}
VERDICTS = ("2g_only", "no_4g", "4g_no_volte", "4g_volte", "4g", "unknown")
# The text of a 4G verdict whose 4G only some of the phone's model codes have.
FOUR_G_SOME_VERSIONS = "4g_some_versions"
# Every verdict text: the verdicts, and 4G that only some versions of a phone have.
VERDICT_TEXTS = (*VERDICTS, FOUR_G_SOME_VERSIONS)
MIN_EXAMPLES = 8
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
URL = re.compile(r"^https?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?(/[^\s]*)?$")
LIST_PLACEHOLDERS = {
    "contacts", "contacts_how", "scams", "programmes", "next_milestone", "province"
}  # fmt: skip
VERDICT_PLACEHOLDERS = {"phone", "phone_in"}
# Sites that are not sources a citizen can trust: re-posts on shopping, gaming, betting or
# mirror sites. Their facts need a better source, or are left out.
WEAK_SOURCE_DOMAINS = frozenset(
    {
        "kenhtingame.com", "525242.xyz", "myphamtocsaigon.com", "artikel.siakadpt.com",
        "88tysobongda.com", "webthietke.vn", "simthanglong.vn", "vietfones.vn",
        "tinmoi-247.com", "defence.pk", "newsbite.mooo.com", "medium.rip",
    }
)  # fmt: skip
# A date, a year or an amount written into a text that is not a windowed item: it belongs
# in a fact (facts.yaml) with its window.
DATED_CLAIM = re.compile(
    r"\b(19|20)\d\d\b|\b\d{1,2}/\d{1,2}\b|\b\d{1,3}([.,]\d{3})+\b|\b\d+ ?(đồng|triệu|nghìn|%)"
)


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
    """Where a fact comes from: a label, and a link to the page when there is one."""

    label: str = Field(min_length=2)
    url: str | None = None

    @field_validator("url")
    @classmethod
    def _well_formed(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not URL.match(value):
            raise ValueError(f"not a well-formed http(s) link: {value!r}")
        parts = urlsplit(value)
        host = (parts.hostname or "").removeprefix("www.").removeprefix("m.")
        if host in WEAK_SOURCE_DOMAINS:
            raise ValueError(f"{host} is not a source citizens can trust: find a better one")
        if parts.path in ("", "/") and not parts.query:
            raise ValueError(f"a bare home page is not a source: link the article ({value})")
        return value


class Window(_Model):
    """When an item may be stated: from `known_from` to `until` (null: it still holds).

    Both keys are required, so a dated item without its window is refused."""

    known_from: date
    until: date | None

    def holds_on(self, day: date) -> bool:
        """True when the item may be stated on `day`."""
        return self.known_from <= day and (self.until is None or day <= self.until)


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


class Report(Window):
    """What was reported after a milestone's date (a press headline, say), attributed and
    hedged in its own text; it replaces the "not confirmed" sentence from `known_from`."""

    text: Localized
    source: Source
    confidence: Confidence


class Milestone(_Model):
    """A dated step of the shutdown."""

    id: str
    date: date
    known_from: date  # the day its date was announced: before it, the milestone is not told
    precision: Precision = Precision.DAY
    status: Status
    postponed_to: str | None = None
    postponed_on: date | None = None  # the day the postponement was decided
    confidence: Confidence
    reminders: bool = False  # citizens are reminded of it; "the next milestone" is one of these
    title: Localized
    before: Localized
    after: Localized
    unconfirmed: Localized | None = None  # after the date, while nothing confirms it happened
    affected: Localized
    action: Localized
    source: Source
    reports: tuple[Report, ...] = ()

    def report_on(self, day: date) -> Report | None:
        """The newest report that may be stated on `day`, if any."""
        known = [r for r in self.reports if r.holds_on(day)]
        return max(known, key=lambda r: r.known_from) if known else None


class FactVersion(Window):
    """What a fact says during its window."""

    text: Localized
    source: Source | None = None  # when this version has a source of its own


class _Versioned(_Model):
    """An item told as the version that holds on the day."""

    id: str
    source: Source
    confidence: Confidence
    versions: tuple[FactVersion, ...] = Field(min_length=1)

    def on(self, day: date) -> FactVersion | None:
        """The version that holds on `day`, if any."""
        return next((v for v in self.versions if v.holds_on(day)), None)


class Fact(_Versioned):
    """Something that can change, told as its version for the day."""


class Variant(_Model):
    """A shorter answer of a topic for messages containing one of `when` (normalised words),
    such as "cảm ơn" or "tạm biệt" for the greeting topic."""

    when: tuple[str, ...] = Field(min_length=1)
    answer: Localized


class Topic(_Model):
    """A question people ask: a short answer, details behind a button, example phrasings."""

    id: str
    title: Localized
    answer: Localized
    more: Localized | None = None
    examples: tuple[str, ...]
    follow_ups: tuple[str, ...] = ()
    source: Source | None = None
    variants: tuple[Variant, ...] = ()


class VerdictText(_Model):
    """What a phone verdict means: the headline (a surer and an unsure wording), a short
    answer and details; `{phone}` is the phone's name."""

    id: str
    headline: Localized
    headline_unsure: Localized
    answer: Localized
    more: Localized | None = None


class Programme(_Versioned):
    """A support programme or offer, told as its version for the day."""

    name: Localized


class Contact(Window):
    """An office or line citizens can turn to (only confirmed numbers)."""

    id: str
    name: Localized
    phone: str | None = None
    how: Localized
    source: Source
    confidence: Confidence


class Scam(Window):
    """A scam warning, from the day it was reported."""

    id: str
    text: Localized
    source: Source


class Content(_Model):
    """All content, validated."""

    as_of: date
    province: Localized
    milestones: tuple[Milestone, ...]
    # The reminder sent before a milestone: {milestone} is its sentence for the day of the
    # send (tense, countdown, hedges), {action} its advice, {source} where it is written.
    reminder: Localized
    facts: tuple[Fact, ...]
    topics: tuple[Topic, ...]
    verdicts: tuple[VerdictText, ...]
    programmes: tuple[Programme, ...]
    contacts: tuple[Contact, ...]
    scams: tuple[Scam, ...]

    def milestone(self, milestone_id: str) -> Milestone:
        """The milestone with this id."""
        return next(m for m in self.milestones if m.id == milestone_id)

    def milestone_on(self, milestone_id: str, today: date) -> Milestone | None:
        """The milestone as known on `today`: before a postponement was decided, the new date
        was not known yet, so the original plan is the one to tell; before its date was
        announced, there is nothing to tell (None)."""
        milestone = self.milestone(milestone_id)
        for earlier in self.milestones:
            if (
                earlier.postponed_to == milestone_id
                and earlier.postponed_on is not None
                and today < earlier.postponed_on
            ):
                milestone = earlier
        return milestone if today >= milestone.known_from else None

    def programme(self, programme_id: str) -> Programme:
        """The programme with this id."""
        return next(p for p in self.programmes if p.id == programme_id)

    def fact(self, fact_id: str) -> Fact:
        """The fact with this id."""
        return next(f for f in self.facts if f.id == fact_id)

    def topic(self, topic_id: str) -> Topic:
        """The topic with this id."""
        return next(t for t in self.topics if t.id == topic_id)

    def verdict(self, verdict_id: str) -> VerdictText:
        """The texts of a phone verdict."""
        return next(v for v in self.verdicts if v.id == verdict_id)


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


_FILE_OF = {
    "as_of": "timeline",
    "reminder": "timeline",
    "milestones": "timeline",
    "facts": "facts",
    "topics": "faq",
    "verdicts": "verdicts",
    "programmes": "programmes",
    "contacts": "contacts",
    "province": "contacts",
    "scams": "scams",
}


def _describe_location(location: list[Any], raw: dict[str, Any]) -> str:
    """'faq.yaml topics[3] (id=volte).answer.en' from a pydantic error location."""
    if not location:
        return "content"
    head = str(location[0])
    text = f"{_FILE_OF.get(head, head)}.yaml {head}"
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


def placeholders(text: str) -> set[str]:
    """The `{…}` placeholders of a text."""
    return set(PLACEHOLDER.findall(text))


def _semantic_problems(content: Content) -> list[str]:
    """Checks across items: ids, languages, placeholders, dates, windows."""
    problems: list[str] = []
    problems += _id_problems(content)
    problems += _milestone_problems(content)
    problems += _window_problems(content)
    problems += _text_problems(content)
    seen: dict[str, str] = {}
    for topic in content.topics:
        for example in topic.examples:
            key = " ".join(example.lower().split())
            if key in seen and seen[key] != topic.id:
                problems.append(f"faq.yaml: example {example!r} is in {seen[key]} and {topic.id}")
            seen[key] = topic.id
    return problems


def _id_problems(content: Content) -> list[str]:
    problems = []
    groups = {
        "milestone": [m.id for m in content.milestones],
        "topic": [t.id for t in content.topics],
        "fact": [f.id for f in content.facts],
        "verdict": [v.id for v in content.verdicts],
    }
    for kind, ids in groups.items():
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            problems.append(f"duplicate {kind} ids: {', '.join(duplicates)}")
    for missing in sorted(set(REQUIRED_TOPICS) - set(groups["topic"])):
        problems.append(f"faq.yaml: required topic {missing!r} is missing")
    for missing in sorted(set(REQUIRED_MILESTONES) - set(groups["milestone"])):
        problems.append(f"timeline.yaml: required milestone {missing!r} is missing")
    for missing in sorted(set(VERDICT_TEXTS) - set(groups["verdict"])):
        problems.append(f"verdicts.yaml: the verdict {missing!r} has no texts")
    for topic in content.topics:
        if topic.source is None and topic.id not in UNSOURCED_TOPICS:
            problems.append(f"faq.yaml topic {topic.id}: a factual answer needs a source")
        if len(topic.examples) < MIN_EXAMPLES:
            problems.append(f"faq.yaml topic {topic.id}: needs at least {MIN_EXAMPLES} examples")
        for follow_up in topic.follow_ups:
            if follow_up not in groups["topic"] or follow_up == topic.id:
                problems.append(f"faq.yaml topic {topic.id}: unknown follow-up {follow_up!r}")
    return problems


def _milestone_problems(content: Content) -> list[str]:
    problems: list[str] = []
    dates = [m.date for m in content.milestones]
    if dates != sorted(dates):
        problems.append("timeline.yaml: milestones are not in date order")
    for m in content.milestones:
        where = f"timeline.yaml milestone {m.id}"
        for field_name in ("before", "after"):
            for locale in ("vi", "en"):
                text = getattr(m, field_name).get(locale)
                if placeholders(text) != {"date"}:
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
        if m.status in (Status.PLANNED, Status.UNCONFIRMED) and m.unconfirmed is None:
            problems.append(f"{where}: a plan needs `unconfirmed`, said if its date passes")
        if m.status is Status.DONE and m.date > content.as_of:
            problems.append(f"{where}: status done but its date is after as_of {content.as_of}")
        if m.status is Status.PLANNED and m.date <= content.as_of:
            problems.append(
                f"{where}: status planned but its date has passed (as_of {content.as_of}); "
                "mark it done or unconfirmed"
            )
        for report in m.reports:
            if report.known_from < m.date:
                problems.append(f"{where}: a report is known before the milestone's date")
    return problems


def _window_problems(content: Content) -> list[str]:
    problems: list[str] = []
    windowed: list[tuple[str, Window]] = []
    for fact in content.facts:
        windowed += [(f"facts.yaml fact {fact.id}", v) for v in fact.versions]
        problems += _overlaps(f"facts.yaml fact {fact.id}", fact.versions)
    for programme in content.programmes:
        windowed += [(f"programmes.yaml {programme.id}", v) for v in programme.versions]
        problems += _overlaps(f"programmes.yaml {programme.id}", programme.versions)
    windowed += [(f"contacts.yaml {c.id}", c) for c in content.contacts]
    windowed += [(f"scams.yaml {s.id}", s) for s in content.scams]
    for milestone in content.milestones:
        windowed += [(f"timeline.yaml {milestone.id} report", r) for r in milestone.reports]
    for where, window in windowed:
        if window.until is not None and window.until < window.known_from:
            problems.append(f"{where}: until {window.until} is before known_from")
        # A fact may have a version for after a planned date (worded as a plan); what was
        # reported or seen cannot be known after the content was checked.
        if window.known_from > content.as_of and isinstance(window, (Report, Scam, Contact)):
            problems.append(f"{where}: known_from is after as_of {content.as_of}")
    return problems


def _overlaps(where: str, versions: tuple[FactVersion, ...]) -> list[str]:
    ordered = sorted(versions, key=lambda v: v.known_from)
    return [
        f"{where}: versions overlap ({a.known_from} and {b.known_from})"
        for a, b in pairwise(ordered)
        if a.until is None or a.until >= b.known_from
    ]


def _texts(content: Content) -> list[tuple[str, Localized, set[str]]]:
    """Every topic, variant and verdict text with where it is and the placeholders it may use."""
    items: list[tuple[str, Localized, set[str]]] = []
    for topic in content.topics:
        where = f"faq.yaml topic {topic.id}"
        items.append((f"{where}.answer", topic.answer, set()))
        if topic.more is not None:
            items.append((f"{where}.more", topic.more, set()))
        items += [(f"{where} variant", v.answer, set()) for v in topic.variants]
    items.append(("timeline.yaml reminder", content.reminder, REMINDER_PLACEHOLDERS))
    for verdict in content.verdicts:
        where = f"verdicts.yaml {verdict.id}"
        for name in ("headline", "headline_unsure", "answer", "more"):
            text = getattr(verdict, name)
            if text is not None:
                items.append((f"{where}.{name}", text, VERDICT_PLACEHOLDERS))
    return items


def _text_problems(content: Content) -> list[str]:
    problems: list[str] = []
    milestone_ids = {m.id for m in content.milestones}
    fact_ids = {f.id for f in content.facts}
    programme_ids = {p.id for p in content.programmes}
    for where, text, allowed in _texts(content):
        vi, en = placeholders(text.vi), placeholders(text.en)
        if vi != en:
            problems.append(
                f"{where}: placeholders differ between vi {sorted(vi)} and en {sorted(en)}"
            )
        for name in vi | en:
            kind, _, arg = name.partition(":")
            known = (
                (kind == "milestone" and arg in milestone_ids)
                or (kind == "fact" and arg in fact_ids)
                or (kind == "programme" and arg in programme_ids)
                or (not arg and (kind in LIST_PLACEHOLDERS or kind in allowed))
            )
            if not known:
                problems.append(f"{where}: unknown placeholder {{{name}}}")
        for locale in ("vi", "en"):
            bare = PLACEHOLDER.sub(" ", text.get(locale))
            claim = DATED_CLAIM.search(bare)
            if claim:
                problems.append(
                    f"{where}.{locale}: {claim.group(0)!r} is a dated claim; state it as a "
                    "fact with its window (facts.yaml) and use {fact:…}"
                )
    return problems


def _load(content_dir: Path) -> tuple[Content | None, list[str]]:
    problems: list[str] = []
    raw: dict[str, Any] = {}
    for name in FILES:
        raw.update(_read_yaml(content_dir / f"{name}.yaml", problems))
    examples = _read_yaml(content_dir / "examples.yaml", problems).get("examples")
    if problems:
        return None, problems
    problems += _attach_examples(raw, examples)
    try:
        content = Content.model_validate(raw)
    except ValidationError as error:
        return None, problems + _validation_problems(error, raw)
    return content, problems + _semantic_problems(content)


def _attach_examples(raw: dict[str, Any], examples: Any) -> list[str]:
    """Give each topic its example phrasings from examples.yaml (kept apart from the answers,
    which content editors review; the examples are the matcher's training data)."""
    if not isinstance(examples, dict):
        return ["examples.yaml: expected a mapping of topic ids under 'examples'"]
    topics = [t for t in raw.get("topics") or [] if isinstance(t, dict)]
    ids = {t.get("id") for t in topics}
    problems = [f"examples.yaml: {key!r} is not a topic" for key in examples if key not in ids]
    for topic in topics:
        topic["examples"] = examples.get(topic.get("id")) or []
    return problems


def find_problems(content_dir: Path = CONTENT_DIR) -> list[str]:
    """Every problem in the content files (empty when all is well)."""
    return _load(content_dir)[1]


def load_content(content_dir: Path = CONTENT_DIR) -> Content:
    """Load the content, or raise `ContentError` with every problem found."""
    content, problems = _load(content_dir)
    if problems or content is None:
        raise ContentError(problems)
    return content

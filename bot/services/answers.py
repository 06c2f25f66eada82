"""Content texts filled in for a day: dated items picked by their windows, milestones in the
right tense, sources collected, and the answer split into a short first message and details.

A placeholder stands for a windowed item ({fact:ID}, {milestone:ID}, {programmes},
{programme:ID}, {scams}, {contacts}, {next_milestone}); a line whose item does not hold on
the day is left out, so an answer never states what was not yet known, or no longer true, on
the day it is read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from bot.content.loader import Contact, Content, Localized, Source, Topic
from bot.core.i18n import _, current_locale
from bot.services.timeline import format_day, next_milestone, tell

_PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::([a-z0-9_]+))?\}")
DEFAULT_STALE_DAYS = 90


@dataclass(frozen=True, slots=True)
class Rendered:
    """A text for the day: what it says and the sources of what it states."""

    text: str
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer as the bot sends it: a short first message, and what sits behind the
    "more" button (details, then the sources and the date the information is from)."""

    first: str
    details: str | None
    footer: str
    sourced: bool = True  # False when the answer states nothing a source stands behind

    @property
    def more(self) -> str | None:
        """The text behind the button; None when there is nothing to put there."""
        if self.details:
            return f"{self.details}\n\n{self.footer}"
        return self.footer if self.sourced else None


class AnswerRenderer:
    """Turns content into the text a citizen reads on a given day, in the current language."""

    def __init__(self, content: Content, *, stale_after_days: int = DEFAULT_STALE_DAYS) -> None:
        self.content = content
        self.stale_after_days = stale_after_days

    def answer(
        self,
        texts: tuple[Localized, Localized | None],
        today: date,
        *,
        sources: tuple[Source, ...] = (),
        values: Mapping[str, str] | None = None,
        stale_notice: bool = True,
    ) -> Answer:
        """A short answer and its details for `today`; `sources` come first in the footer."""
        first_text, more_text = texts
        first = self.render(first_text, today, values)
        details = self.render(more_text, today, values) if more_text is not None else None
        stated = _unique([*sources, *first.sources, *(details.sources if details else ())])
        shown = _without_lines_of(details.text, first.text) if details else ""
        return Answer(
            first=self._with_stale_notice(first.text, today) if stale_notice else first.text,
            details=shown or None,
            footer=self.footer(stated, today),
            sourced=bool(stated),
        )

    def topic(self, topic: Topic, today: date) -> Answer:
        """A topic's answer for `today`."""
        if topic.source is None:  # not a factual answer: no sources, no "may be out of date"
            return self.answer((topic.answer, topic.more), today, stale_notice=False)
        return self.answer((topic.answer, topic.more), today, sources=(topic.source,))

    def render(
        self, text: Localized, today: date, values: Mapping[str, str] | None = None
    ) -> Rendered:
        """The text for `today`: each line with its placeholders filled, and left out when
        one of its items does not hold on that day."""
        lines: list[str] = []
        sources: list[Source] = []
        for line in text.get(current_locale()).split("\n"):
            parts: list[Rendered] = []

            def fill(match: re.Match[str], parts: list[Rendered] = parts) -> str:
                part = self._fill(match.group(1), match.group(2), today, values or {})
                parts.append(part)
                return part.text

            filled = _PLACEHOLDER.sub(fill, line)
            if any(not part.text for part in parts):
                continue
            lines.append(filled)
            for part in parts:
                sources += part.sources
        return Rendered("\n".join(lines).strip(), tuple(sources))

    def footer(self, sources: list[Source], today: date) -> str:
        """ "Nguồn: …", one line per source when several, then the date the information is
        from: the day the content was checked, never a day after today."""
        stamp = _("Information as of {date}.").format(date=format_day(self.as_of_shown(today)))
        if not sources:
            return stamp
        if len(sources) == 1:
            label = _("Source:")
            return f"{label} {_source_text(sources[0])}.\n{stamp}"
        lines = [_("Sources:")] + [f"• {_source_text(s, sep=': ')}" for s in sources]
        return "\n".join([*lines, stamp])

    def as_of_shown(self, today: date) -> date:
        """The date the information is from, as shown on `today`."""
        return min(self.content.as_of, today)

    def is_stale(self, today: date) -> bool:
        """True when the content was checked too long before `today`."""
        return (today - self.content.as_of).days > self.stale_after_days

    def _with_stale_notice(self, text: str, today: date) -> str:
        if not self.is_stale(today):
            return text
        notice = _(
            "Note: checked on {date}, this may be out of date; please ask your commune or ward "
            "People's Committee, or your operator."
        ).format(date=format_day(self.content.as_of))
        return f"{text}\n\n{notice}"

    def _fill(self, kind: str, arg: str | None, today: date, values: Mapping[str, str]) -> Rendered:
        content, locale = self.content, current_locale()
        if kind == "milestone" and arg:
            milestone = content.milestone_on(arg, today)
            if milestone is None:
                return Rendered("", ())
            told = tell(milestone, today)
            return Rendered(told.text, told.sources)
        if kind == "next_milestone":
            upcoming = next_milestone(content, today)
            if upcoming is None:
                return Rendered("", ())
            told = tell(upcoming, today)
            return Rendered(told.text, told.sources)
        if kind == "fact" and arg:
            fact = content.fact(arg)
            version = fact.on(today)
            if version is None:
                return Rendered("", ())
            return Rendered(version.text.get(locale), (version.source or fact.source,))
        if kind in ("programmes", "programme"):
            chosen = [content.programme(arg)] if arg else content.programmes
            held = [(p, p.on(today)) for p in chosen]
            lines = [f"• {p.name.get(locale)}: {v.text.get(locale)}" for p, v in held if v]
            return Rendered("\n".join(lines), tuple(v.source or p.source for p, v in held if v))
        if kind == "scams":
            scams = [s for s in content.scams if s.holds_on(today)]
            return Rendered(
                "\n".join(f"• {s.text.get(locale)}" for s in scams), tuple(s.source for s in scams)
            )
        if kind in ("contacts", "contacts_how"):
            contacts = [c for c in content.contacts if c.holds_on(today)]
            lines = [_contact_line(c, locale, how=kind == "contacts_how") for c in contacts]
            return Rendered("\n".join(lines), ())
        if kind == "province":
            return Rendered(content.province.get(locale), ())
        if kind in values:
            return Rendered(values[kind], ())
        return Rendered("{" + kind + (f":{arg}" if arg else "") + "}", ())


def _contact_line(contact: Contact, locale: str, *, how: bool) -> str:
    name = contact.name.get(locale)
    if contact.phone:
        name = f"{name} ({contact.phone})"
    return f"• {name}: {contact.how.get(locale)}" if how else f"• {name}"


def _source_text(source: Source, sep: str = " (") -> str:
    if source.url is None:
        return source.label
    return f"{source.label}{sep}{source.url}" + (")" if sep == " (" else "")


def _without_lines_of(details: str, first: str) -> str:
    """The details without the lines the first message already said (a milestone that is
    both the next one and one of the details is said once)."""
    said = {line.strip() for line in first.splitlines() if line.strip()}
    kept = [line for line in details.splitlines() if line.strip() not in said]
    return "\n".join(kept).strip()


def _unique(sources: list[Source]) -> list[Source]:
    seen: dict[str, Source] = {}
    for source in sources:
        seen.setdefault(source.url or source.label, source)
    return list(seen.values())

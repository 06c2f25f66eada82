"""Topic answers filled in for today: dated milestone sentences, lists, source and check date."""

from __future__ import annotations

import re
from datetime import date

from bot.content.loader import Content, Source, Topic
from bot.core.i18n import _, current_locale
from bot.services.timeline import describe, format_day

_PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::([a-z0-9_]+))?\}")


class AnswerRenderer:
    """Turns content into the text a citizen reads, in the current language."""

    def __init__(self, content: Content) -> None:
        self.content = content

    def render(self, topic: Topic, today: date, *, with_source: bool = True) -> str:
        """The topic's answer for `today`, with its sources and the date it was last reviewed."""
        locale = current_locale()
        answer = topic.answer.get(locale)
        text = _PLACEHOLDER.sub(lambda m: self._fill(m, today, locale), answer)
        if with_source and topic.source is not None:
            text += "\n\n" + self.footer(self._sources(topic.source, answer, today))
        return text

    def footer(self, sources: list[Source]) -> str:
        """ "Nguồn: … Nội dung rà soát lần cuối ngày …"; one line per source when several."""
        reviewed = _("Content last reviewed on {date}.").format(date=format_day(self.content.as_of))
        if len(sources) == 1:
            line = _("Source: {label} ({url}).").format(label=sources[0].label, url=sources[0].url)
            return f"{line} {reviewed}"
        lines = [_("Sources:")] + [f"• {s.label}: {s.url}" for s in sources]
        return "\n".join([*lines, reviewed])

    def _sources(self, main: Source, answer: str, today: date) -> list[Source]:
        """The topic's source, then those of the milestones, programmes and scam warnings its
        answer states, each once (contacts name themselves)."""
        sources = [main]
        for match in _PLACEHOLDER.finditer(answer):
            kind, arg = match.group(1), match.group(2)
            if kind == "milestone" and arg:
                sources.append(self.content.milestone_on(arg, today).source)
            elif kind == "programmes":
                sources += [p.source for p in self.content.programmes]
            elif kind == "scams":
                sources += [s.source for s in self.content.scams]
        unique: dict[str, Source] = {}
        for source in sources:
            unique.setdefault(source.url, source)
        return list(unique.values())

    def _fill(self, match: re.Match[str], today: date, locale: str) -> str:
        kind, arg = match.group(1), match.group(2)
        if kind == "milestone" and arg:
            return describe(self.content.milestone_on(arg, today), today)
        if kind == "contacts":
            return "\n".join(self._contact_line(c, locale) for c in self.content.contacts)
        if kind == "scams":
            return "\n".join(f"• {s.text.get(locale)}" for s in self.content.scams)
        if kind == "programmes":
            return "\n".join(
                f"• {p.name.get(locale)}: {p.text.get(locale)}" for p in self.content.programmes
            )
        return match.group(0)

    @staticmethod
    def _contact_line(contact, locale: str) -> str:  # type: ignore[no-untyped-def]
        name = contact.name.get(locale)
        if contact.phone:
            name = f"{name} ({contact.phone})"
        return f"• {name}: {contact.how.get(locale)}"

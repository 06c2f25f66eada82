"""Answers to free questions: match a topic, render its answer for the day, suggest what next.

A message with several questions ("Khi nào tắt 2G? Nhà tôi nghèo có được hỗ trợ không?") gets
the answer to the first and the others' topics as suggestions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.content.loader import Content, Topic, Variant
from bot.core.i18n import _, current_locale
from bot.core.normalize import normalize
from bot.services.answers import DEFAULT_STALE_DAYS, Answer, AnswerRenderer
from bot.services.faq_index import FALLBACK, FaqIndex, Match

CLOSEST_TOPICS = 3
# Topics that are not answers to a question of their own in a message with several.
_NOT_A_QUESTION = frozenset({FALLBACK, "greeting"})
_QUESTION = re.compile(r"[^?？\n]+[?？]")
_MIN_QUESTION_WORDS = 3


@dataclass(frozen=True, slots=True)
class FaqAnswer:
    """What the bot answers to a question: the first message, and what the button shows."""

    question: str
    topic: str
    score: float
    confident: bool
    text: str
    suggestions: tuple[str, ...]
    more: str | None = None  # details, sources and the date of the information
    has_details: bool = False  # the button is "Xem thêm" (details) rather than "Nguồn"
    others: tuple[str, ...] = ()  # topics of the message's other questions
    out_of_scope: bool = False
    readable: bool = True  # False for only emoji, punctuation or nothing


class FaqService:
    """Built once per process: the content, the index and the renderer."""

    def __init__(
        self,
        content: Content,
        *,
        cache_dir: Path | None = None,
        stale_after_days: int = DEFAULT_STALE_DAYS,
    ) -> None:
        self.content = content
        examples = [(t.id, e) for t in content.topics for e in t.examples]
        examples += [
            (t.id, t.title.get(locale))
            for t in content.topics
            if t.id != FALLBACK
            for locale in ("vi", "en")
        ]
        self.index = FaqIndex(examples, cache_dir=cache_dir)
        self.renderer = AnswerRenderer(content, stale_after_days=stale_after_days)
        self._topics = {t.id: t for t in content.topics}
        # Per topic, each variant with its words normalised and padded for whole-word search.
        self._variants = {
            t.id: [(v, tuple(f" {normalize(w)} " for w in v.when)) for v in t.variants]
            for t in content.topics
        }

    def topic(self, topic_id: str) -> Topic | None:
        """The topic with this id, if it exists."""
        return self._topics.get(topic_id)

    def title(self, topic_id: str) -> str:
        """A topic's button label in the current language."""
        return self._topics[topic_id].title.get(current_locale())

    def match(self, question: str) -> Match:
        """The best topic for a question (see `FaqIndex.match`)."""
        return self.index.match(question)

    def answer(self, question: str, today: date) -> FaqAnswer:
        """The full answer to a question as of `today`."""
        match = self.match(question)
        asked = self._several_questions(question)
        if asked:
            match = asked[0]
        normalized = normalize(question)
        if match.confident:
            topic = self._topics[match.topic]
            variant = self._variant_for(topic, normalized)
            if variant is not None:
                text = variant.answer.get(current_locale())
                return FaqAnswer(question, topic.id, match.score, True, text, topic.follow_ups)
            rendered = self.renderer.topic(topic, today)
            return FaqAnswer(
                question=question,
                topic=topic.id,
                score=match.score,
                confident=True,
                text=rendered.first,
                suggestions=topic.follow_ups,
                more=rendered.more,
                has_details=rendered.details is not None,
                others=tuple(dict.fromkeys(m.topic for m in asked[1:] if m.topic != topic.id)),
            )
        suggestions = tuple(t for t in match.alternatives if t not in ("human_agent", "greeting"))[
            :CLOSEST_TOPICS
        ]
        # Only emoji, punctuation or nothing: not "off topic", just unclear; offer topics.
        readable = bool(normalized)
        out_of_scope = (
            readable and match.ranking[0][0] == FALLBACK and match.score >= self.index.threshold
        )
        if out_of_scope:
            text = self.renderer.topic(self._topics[FALLBACK], today).first
        else:
            text = _(
                "I am not sure I understood. Did you mean one of these? "
                "You can also ask an official."
            )
        return FaqAnswer(
            question=question,
            topic=FALLBACK,
            score=match.score,
            confident=False,
            text=text,
            suggestions=suggestions,
            out_of_scope=out_of_scope,
            readable=readable,
        )

    def render(self, topic_id: str, today: date) -> Answer:
        """The answer of a topic chosen by button."""
        return self.renderer.topic(self._topics[topic_id], today)

    def _several_questions(self, question: str) -> list[Match]:
        """The confident matches of the message's questions in their order, when it asks two
        or more on different topics (each ending in "?"); empty for a message with one."""
        parts = [p.strip() for p in _QUESTION.findall(question)]
        parts = [p for p in parts if len(p.split()) >= _MIN_QUESTION_WORDS]
        if len(parts) < 2:
            return []
        matches = [m for m in map(self.match, parts) if m.confident]
        matches = [m for m in matches if m.topic not in _NOT_A_QUESTION]
        if len({m.topic for m in matches}) < 2:
            return []
        return matches

    def _variant_for(self, topic: Topic, normalized: str) -> Variant | None:
        """The first variant of the topic whose words occur in the question, if any."""
        padded = f" {normalized} "
        for variant, words in self._variants[topic.id]:
            if any(word in padded for word in words):
                return variant
        return None

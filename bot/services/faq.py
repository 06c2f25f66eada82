"""Answers to free questions: match a topic, render its answer, suggest what to ask next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.content.loader import Content, Topic, Variant
from bot.core.i18n import _, current_locale
from bot.core.normalize import normalize
from bot.services.answers import AnswerRenderer
from bot.services.faq_index import FALLBACK, FaqIndex, Match

CLOSEST_TOPICS = 3


@dataclass(frozen=True, slots=True)
class FaqAnswer:
    """What the bot answers to a question."""

    question: str
    topic: str
    score: float
    confident: bool
    text: str
    suggestions: tuple[str, ...]
    out_of_scope: bool = False
    readable: bool = True  # False for only emoji, punctuation or nothing


class FaqService:
    """Built once per process: the content, the index and the renderer."""

    def __init__(self, content: Content, *, cache_dir: Path | None = None) -> None:
        self.content = content
        examples = [(t.id, e) for t in content.topics for e in t.examples]
        examples += [
            (t.id, t.title.get(locale))
            for t in content.topics
            if t.id != FALLBACK
            for locale in ("vi", "en")
        ]
        self.index = FaqIndex(examples, cache_dir=cache_dir)
        self.renderer = AnswerRenderer(content)
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
        normalized = normalize(question)
        if match.confident:
            topic = self._topics[match.topic]
            variant = self._variant_for(topic, normalized)
            return FaqAnswer(
                question=question,
                topic=topic.id,
                score=match.score,
                confident=True,
                text=(
                    variant.answer.get(current_locale())
                    if variant
                    else self.renderer.render(topic, today)
                ),
                suggestions=topic.follow_ups,
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
            text = self.renderer.render(self._topics[FALLBACK], today)
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

    def render(self, topic_id: str, today: date) -> str:
        """The answer of a topic chosen by button."""
        return self.renderer.render(self._topics[topic_id], today)

    def _variant_for(self, topic: Topic, normalized: str) -> Variant | None:
        """The first variant of the topic whose words occur in the question, if any."""
        padded = f" {normalized} "
        for variant, words in self._variants[topic.id]:
            if any(word in padded for word in words):
                return variant
        return None

"""Accuracy floors on our own data set (tests/data/faq_questions.tsv), which the matcher never
sees while it is built. The figures themselves are printed by bench/faq.py."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bot.content.loader import load_content
from bot.core.normalize import normalize
from bot.services.faq import FaqService
from bot.services.faq_index import FALLBACK

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "tests" / "data" / "faq_questions.tsv"
# The development sets in bench/data choose the matcher's settings; they are never examples.
MEASURING_SETS = [DATA, *sorted((ROOT / "bench" / "data").glob("faq_dev*.tsv"))]
ACCURACY_FLOOR = 0.90
REJECTION_FLOOR = 0.90


def load_questions(path: Path = DATA) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8") as handle:
        rows = [r for r in csv.reader(handle, delimiter="\t") if r and not r[0].startswith("#")]
    return [(topic, text) for topic, text in rows[1:]]


@pytest.fixture(scope="module")
def faq() -> FaqService:
    return FaqService(load_content())


def test_data_set_is_large_and_varied():
    rows = load_questions()
    assert len(rows) >= 400
    assert sum(1 for topic, _ in rows if topic == FALLBACK) >= 60
    plain = sum(1 for _, text in rows if text.isascii())
    assert plain >= len(rows) * 0.4
    topics = {t.id for t in load_content().topics}
    assert {topic for topic, _ in rows} == topics


def test_accuracy_and_rejection_floors(faq):
    rows = load_questions()
    in_scope = [(t, q) for t, q in rows if t != FALLBACK]
    out_scope = [q for t, q in rows if t == FALLBACK]
    right = sum(1 for t, q in in_scope if faq.match(q).topic == t)
    rejected = sum(1 for q in out_scope if faq.match(q).topic == FALLBACK)
    accuracy, rejection = right / len(in_scope), rejected / len(out_scope)
    assert accuracy >= ACCURACY_FLOOR, f"accuracy {accuracy:.3f}"
    assert rejection >= REJECTION_FLOOR, f"rejection {rejection:.3f}"


@pytest.mark.parametrize("path", MEASURING_SETS, ids=lambda p: p.name)
def test_examples_are_not_copied_from_a_measuring_set(path):
    """These sets measure the matcher, so none of their questions may be a training example;
    and each names only real topics."""
    topics = load_content().topics
    examples = {normalize(e) for t in topics for e in t.examples}
    rows = load_questions(path)
    copied = [q for _, q in rows if normalize(q) in examples]
    assert not copied, copied
    assert {topic for topic, _ in rows} <= {t.id for t in topics}

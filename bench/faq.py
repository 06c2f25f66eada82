"""Benchmark of the question matcher on tests/data/faq_questions.tsv; prints one JSON object.

Usage: .venv/bin/python bench/faq.py [--data FILE] [--also FILE ...] [--repeat N]
Baseline: nearest example phrasing by rapidfuzz token_set_ratio (cut-off 70), same run.

`--data` (tests/data/faq_questions.tsv) is timed and scored; each `--also` set (by default
bench/data/faq_dev*.tsv, written apart from the examples and the test set and used to choose
the matcher's settings) is scored too, under "other_sets".
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from rapidfuzz import fuzz, process, utils

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content.loader import load_content  # noqa: E402
from bot.core.i18n import load_catalogs, use_locale  # noqa: E402
from bot.services.faq import FaqService  # noqa: E402
from bot.services.faq_index import FALLBACK, _trained  # noqa: E402

BASELINE_CUTOFF = 70


def load_rows(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8") as handle:
        rows = [r for r in csv.reader(handle, delimiter="\t") if r and not r[0].startswith("#")]
    return [(topic, text) for topic, text in rows[1:]]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def score(pairs: list[tuple[str, str]]) -> dict[str, float]:
    """Accuracy on in-scope questions and rejection of out-of-scope ones."""
    inside = [(want, got) for want, got in pairs if want != FALLBACK]
    outside = [(want, got) for want, got in pairs if want == FALLBACK]
    return {
        "accuracy": round(sum(w == g for w, g in inside) / len(inside), 4),
        "out_of_scope_rejection": round(sum(g == FALLBACK for _, g in outside) / len(outside), 4),
    }


def timed(fn, questions: list[str], repeat: int) -> tuple[list[str], dict[str, float]]:
    results, times = [], []
    for _ in range(repeat):
        results = []
        for question in questions:
            start = time.perf_counter()
            results.append(fn(question))
            times.append((time.perf_counter() - start) * 1000)
    return results, {
        "p50_ms": round(statistics.median(times), 3),
        "p99_ms": round(percentile(times, 0.99), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "faq_questions.tsv")
    parser.add_argument(
        "--also",
        type=Path,
        nargs="*",
        default=sorted((ROOT / "bench" / "data").glob("faq_dev*.tsv")),
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = load_rows(args.data)
    questions = [q for _, q in rows]
    load_catalogs(ROOT / "locales", ("vi", "en"))
    content = load_content()

    start = time.perf_counter()
    faq = FaqService(content)  # trains the model: a cold start
    startup_ms = (time.perf_counter() - start) * 1000
    with tempfile.TemporaryDirectory() as cache:
        FaqService(content, cache_dir=Path(cache))  # fills the disk cache
        _trained.cache_clear()
        start = time.perf_counter()
        FaqService(content, cache_dir=Path(cache))  # a warm start from the disk cache
        warm_startup_ms = (time.perf_counter() - start) * 1000
    today = date(2026, 11, 24)
    with use_locale("vi"):
        topics, ours = timed(lambda q: faq.answer(q, today).topic, questions, args.repeat)

    examples = [(t.id, e) for t in content.topics for e in t.examples]
    start = time.perf_counter()
    choices = [utils.default_process(text) for _, text in examples]
    baseline_startup_ms = (time.perf_counter() - start) * 1000

    def baseline(question: str) -> str:
        best = process.extractOne(
            utils.default_process(question), choices, scorer=fuzz.token_set_ratio, processor=None
        )
        if best is None or best[1] < BASELINE_CUTOFF:
            return FALLBACK
        return examples[best[2]][0]

    base_topics, base = timed(baseline, questions, args.repeat)
    report = {
        "questions": len(rows),
        "out_of_scope_questions": sum(1 for t, _ in rows if t == FALLBACK),
        "examples": len(examples),
        "ours": {
            **score([(want, got) for (want, _), got in zip(rows, topics, strict=True)]),
            **ours,
            "startup_ms": round(startup_ms, 1),
            "startup_cached_ms": round(warm_startup_ms, 1),
            "threshold": faq.index.threshold,
        },
        "baseline_rapidfuzz_token_set_ratio": {
            **score([(want, got) for (want, _), got in zip(rows, base_topics, strict=True)]),
            **base,
            "startup_ms": round(baseline_startup_ms, 1),
            "cutoff": BASELINE_CUTOFF,
        },
    }
    report["other_sets"] = {}
    for path in (p for p in args.also if p.exists()):
        other = load_rows(path)
        with use_locale("vi"):
            got = [faq.answer(q, today).topic for _, q in other]
        report["other_sets"][path.name] = {
            "questions": len(other),
            "ours": score([(want, g) for (want, _), g in zip(other, got, strict=True)]),
            "baseline_rapidfuzz_token_set_ratio": score([(want, baseline(q)) for want, q in other]),
        }
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""Which topic a question is about.

Features: word unigrams and bigrams plus character 3- to 5-grams of the normalised text that
occur in at least two examples, TF-IDF weighted and L2-normalised. Model: multinomial logistic
regression (softmax) trained on the topics' example phrasings with L-BFGS, the topics weighted
nearly alike; `fallback` is a class of its own, trained on out-of-scope examples. A question is
answered only when its best topic is in scope and its probability reaches the threshold;
otherwise the bot says it is not sure.

Training takes a few seconds, so a trained model is kept in memory per process and, when a
cache folder is given, on disk under a name derived from the examples (a content change makes a
new one).
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.optimize import minimize

from bot.core.normalize import normalize

log = logging.getLogger(__name__)

FALLBACK = "fallback"
MODEL_VERSION = "lr-4"
DEFAULT_THRESHOLD = 0.3
L2_PENALTY = 1e-5
MAX_ITERATIONS = 200
# A feature seen in a single example is dropped: it cannot generalise, and dropping such
# features halves the model and cuts training time by a third (accuracy on the development
# set unchanged, rejection of out-of-scope questions better).
MIN_DOCUMENT_FREQUENCY = 2
# Examples are weighted ∝ count^-CLASS_BALANCE, so topics count nearly alike in training:
# `fallback` has several times more examples than any topic, since the world outside the
# programme is wide, and unweighted it would pull uncertain in-scope questions to itself.
# Fully balanced (1.0), though, each out-of-scope example weighs so little that near misses
# ("đăng ký 5G", "hỗ trợ tiền điện") slip in; 0.75 rejected more of them on the development
# sets at the cost of at most one in-scope question per set.
CLASS_BALANCE = 0.75


@dataclass(frozen=True, slots=True)
class Match:
    """The best topic for a question, how sure we are, and the topics ranked."""

    topic: str
    score: float
    confident: bool
    ranking: tuple[tuple[str, float], ...]

    @property
    def alternatives(self) -> list[str]:
        """In-scope topics by decreasing probability."""
        return [topic for topic, _ in self.ranking if topic != FALLBACK]


def features(normalized: str) -> Counter[str]:
    """Word unigrams and bigrams, and character 3- to 5-grams of the normalised text."""
    tokens = normalized.split()
    grams: Counter[str] = Counter(f"w:{t}" for t in tokens)
    grams.update(f"b:{a}_{b}" for a, b in pairwise(tokens))
    padded = f" {normalized} "
    for size in (3, 4, 5):
        grams.update(f"c:{padded[i : i + size]}" for i in range(len(padded) - size + 1))
    return grams


@dataclass(frozen=True, slots=True)
class _Model:
    topics: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: np.ndarray
    weights: np.ndarray  # (vocabulary, topics)
    bias: np.ndarray  # (topics,)


class FaqIndex:
    """Matches questions to topics. Build it once; `match` takes well under a millisecond."""

    def __init__(
        self,
        examples: Iterable[tuple[str, str]],
        *,
        threshold: float = DEFAULT_THRESHOLD,
        cache_dir: Path | None = None,
    ) -> None:
        pairs = tuple(sorted((topic, normalize(text)) for topic, text in examples))
        pairs = tuple((topic, text) for topic, text in pairs if text)
        self.threshold = threshold
        self._model = _load_or_train(pairs, cache_dir)
        self.topics: Sequence[str] = self._model.topics

    def _vector(self, question: str) -> tuple[np.ndarray, np.ndarray]:
        vocabulary, idf = self._model.vocabulary, self._model.idf
        columns, values = [], []
        for gram, count in features(normalize(question)).items():
            column = vocabulary.get(gram)
            if column is not None:
                columns.append(column)
                values.append((1.0 + math.log(count)) * idf[column])
        weights = np.asarray(values, dtype=np.float64)
        norm = float(np.linalg.norm(weights)) if values else 0.0
        return np.asarray(columns, dtype=np.intp), (weights / norm if norm else weights)

    def scores(self, question: str) -> dict[str, float]:
        """Probability of each topic for the question (they sum to 1)."""
        columns, values = self._vector(question)
        logits = self._model.bias.astype(np.float64)
        if len(columns):
            logits = logits + values @ self._model.weights[columns]
        logits -= logits.max()
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum()
        return {topic: float(p) for topic, p in zip(self.topics, probabilities, strict=True)}

    def match(self, question: str) -> Match:
        """The best topic; `confident` is False below the threshold or for out-of-scope text."""
        columns, _ = self._vector(question)
        ranking = sorted(self.scores(question).items(), key=lambda item: -item[1])
        best, score = ranking[0]
        confident = bool(len(columns)) and best != FALLBACK and score >= self.threshold
        return Match(
            topic=best if confident else FALLBACK,
            score=round(score, 4),
            confident=confident,
            ranking=tuple(ranking),
        )


def _fingerprint(pairs: tuple[tuple[str, str], ...]) -> str:
    """Names the cached model: changes with the examples, the code version and the settings."""
    settings = (MODEL_VERSION, L2_PENALTY, MAX_ITERATIONS, MIN_DOCUMENT_FREQUENCY, CLASS_BALANCE)
    digest = hashlib.sha256(repr(settings).encode())
    for topic, text in pairs:
        digest.update(f"{topic}\t{text}\n".encode())
    return digest.hexdigest()[:16]


def _load_or_train(pairs: tuple[tuple[str, str], ...], cache_dir: Path | None) -> _Model:
    if cache_dir is None:
        return _trained(pairs)
    path = cache_dir / f"faq-model-{_fingerprint(pairs)}.npz"
    if path.exists():
        try:
            return _read(path)
        except (OSError, ValueError, KeyError):
            log.warning("Ignoring an unreadable model cache %s", path)
    model = _trained(pairs)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        _write(model, path)
    except OSError:
        log.warning("Could not write the model cache %s", path)
    return model


@lru_cache(maxsize=4)
def _trained(pairs: tuple[tuple[str, str], ...]) -> _Model:
    """Fit the softmax regression on the examples (memoised per process)."""
    documents = [features(text) for _, text in pairs]
    frequency: Counter[str] = Counter()
    for doc in documents:
        frequency.update(doc.keys())
    kept = [gram for gram, count in frequency.items() if count >= MIN_DOCUMENT_FREQUENCY]
    vocabulary = {gram: column for column, gram in enumerate(kept)}
    documents = [Counter({g: n for g, n in doc.items() if g in vocabulary}) for doc in documents]
    total = len(documents)
    idf = np.array(
        [math.log((1 + total) / (1 + frequency[g])) + 1.0 for g in vocabulary], dtype=np.float64
    )
    rows, columns, values = [], [], []
    for row, doc in enumerate(documents):
        cols = [vocabulary[g] for g in doc]
        if not cols:
            continue
        weights = np.array([(1.0 + math.log(n)) for n in doc.values()]) * idf[cols]
        weights /= np.linalg.norm(weights)
        rows.extend([row] * len(cols))
        columns.extend(cols)
        values.extend(weights)
    matrix = sparse.csr_matrix((values, (rows, columns)), shape=(total, len(vocabulary)))
    topics = tuple(sorted({topic for topic, _ in pairs}))
    labels = np.array([topics.index(topic) for topic, _ in pairs])
    weights, bias = _fit_softmax(matrix, labels, len(topics))
    return _Model(
        topics=topics,
        vocabulary=vocabulary,
        idf=idf,
        weights=weights.astype(np.float32),
        bias=bias.astype(np.float32),
    )


def _fit_softmax(
    matrix: sparse.csr_matrix, labels: np.ndarray, classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Class-balanced, L2-regularised multinomial logistic regression, fitted with L-BFGS."""
    samples, dims = matrix.shape
    targets = np.eye(classes)[labels]
    transposed = matrix.T.tocsr()
    counts = np.bincount(labels, minlength=classes)
    sample_weights = (counts.mean() / counts[labels]) ** CLASS_BALANCE
    sample_weights /= sample_weights.mean()

    def loss_and_gradient(flat: np.ndarray) -> tuple[float, np.ndarray]:
        weights, bias = flat[: dims * classes].reshape(dims, classes), flat[dims * classes :]
        logits = matrix @ weights + bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        probabilities = exp / exp.sum(axis=1, keepdims=True)
        picked = np.log(probabilities[np.arange(samples), labels] + 1e-12)
        loss = -float((sample_weights * picked).mean())
        loss += 0.5 * L2_PENALTY * float((weights * weights).sum())
        error = (probabilities - targets) * sample_weights[:, None] / samples
        gradient = transposed @ error + L2_PENALTY * weights
        return float(loss), np.concatenate([np.asarray(gradient).ravel(), error.sum(axis=0)])

    result = minimize(
        loss_and_gradient,
        np.zeros(dims * classes + classes),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": MAX_ITERATIONS},
    )
    flat = result.x
    return flat[: dims * classes].reshape(dims, classes), flat[dims * classes :]


def _write(model: _Model, path: Path) -> None:
    grams = np.array(sorted(model.vocabulary, key=model.vocabulary.__getitem__), dtype=object)
    temporary = path.with_suffix(".tmp.npz")
    np.savez(
        temporary,
        topics=np.array(model.topics),
        grams=grams.astype(str),
        idf=model.idf,
        weights=model.weights,
        bias=model.bias,
    )
    temporary.replace(path)


def _read(path: Path) -> _Model:
    with np.load(path, allow_pickle=False) as data:
        grams = [str(g) for g in data["grams"]]
        return _Model(
            topics=tuple(str(t) for t in data["topics"]),
            vocabulary={g: i for i, g in enumerate(grams)},
            idf=data["idf"],
            weights=data["weights"],
            bias=data["bias"],
        )

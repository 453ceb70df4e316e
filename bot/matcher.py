"""Ranking knowledge-base entries for a worker's message.

Every example question, title and keyword of an entry is a small document. A
message and each document become TF-IDF vectors over two blocks of features of
equal weight: normalised words and word pairs, and character 2- to 5-grams
inside words (which absorb typos, spelling variants and inflections that no
variant list catches).

An entry's score is mostly the cosine similarity to the centroid of all its
documents (a nearest-centroid classifier: on the project's question set it
generalises far better than the single best-matching example, which is kept
as a small share of the score so an exact phrasing still wins). Features the
knowledge base has never seen weigh the most, so a message about cricket or
a bank loan stays far from every entry and is declined.

Everything is in memory with NumPy; there is no model to download.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from bot.knowledge.model import KnowledgeBase
from bot.text import tokens

# Weight of the word block and the character block in a vector.
_WORDS, _CHARS = 1.0, 1.0
# Share of the best single document in an entry's score; the rest is the centroid.
_BEST = 0.1
# Cosine similarities of short messages to an entry's centroid are small (a
# question from an entry's own examples scores about 0.25 to 0.3); confidence is
# the similarity scaled so that such a question is near 1.
_CONFIDENCE_SCALE = 1 / 0.3
# Confidence also weighs how much of the message's wording the entry's own
# questions use: a message whose key words ("biryani", "weather") the entry
# never uses is off-topic even when its other words match. (Ranking uses the
# similarity alone; re-ranking by coverage was worse on the question set.)
_COVERAGE_POWER = 0.5


@dataclass(frozen=True)
class Thresholds:
    """Confidence needed to answer outright, and to offer "Did you mean…" instead of declining."""

    answer: float = 0.32
    suggest: float = 0.22
    # When the runner-up scores at least this share of the best, the message is
    # ambiguous ("chutti": which leave?) and the worker is asked to choose.
    ambiguity: float = 0.9


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    confidence: float


@dataclass(frozen=True)
class Match:
    """The ranking for one message.

    ``outcome`` is ``answered`` (``best`` is confident), ``suggested`` (``best``
    and ``alternatives`` are plausible but not sure) or ``declined`` (nothing fits;
    ``best`` is ``None``).
    """

    outcome: str
    best: Candidate | None
    alternatives: tuple[Candidate, ...]

    @property
    def entry_id(self) -> str | None:
        return self.best.entry_id if self.best else None

    @property
    def candidates(self) -> tuple[Candidate, ...]:
        return ((self.best,) if self.best else ()) + self.alternatives


def features(text: str) -> tuple[Counter[str], Counter[str]]:
    """(word features, character features) of ``text``.

    Words and word pairs carry meaning; character 2- to 5-grams inside each word
    (with its edges marked) catch typos, spelling variants and Urdu/Sindhi
    inflections (چھٹی, چھٹیاں, چھٹیوں share most of their n-grams).
    """
    toks = tokens(text)
    words = Counter(["w" + t for t in toks] + [f"p{a} {b}" for a, b in zip(toks, toks[1:])])
    grams = []
    for tok in toks:
        padded = f" {tok} "
        size = len(padded)
        for n in range(2, 6):
            grams.extend("c" + padded[i : i + n] for i in range(size - n + 1))
    return words, Counter(grams)


class Matcher:
    """An index over one knowledge base. Build once per load; :meth:`match` only reads it."""

    def __init__(self, kb: KnowledgeBase, thresholds: Thresholds = Thresholds()):
        self.thresholds = thresholds
        self.entry_ids: list[str] = [e.id for e in kb.entries]
        raw: list[tuple[Counter[str], Counter[str]]] = []
        doc_entry: list[int] = []
        self.doc_text: list[str] = []
        for idx, entry in enumerate(kb.entries):
            texts = [*entry.title.values(), *entry.keywords]
            for questions in entry.examples.values():
                texts.extend(questions)
            for text in texts:
                words, chars = features(text)
                if words:
                    raw.append((words, chars))
                    doc_entry.append(idx)
                    self.doc_text.append(text)
        self.doc_entry = np.array(doc_entry, dtype=np.int32)

        n_docs = max(len(raw), 1)
        df: Counter[str] = Counter()
        for words, chars in raw:
            df.update(words.keys())
            df.update(chars.keys())
        self.idf = {f: math.log((1 + n_docs) / (1 + d)) + 1 for f, d in df.items()}
        self._unseen_idf = math.log(1 + n_docs) + 1

        self._entry_words: list[set[str]] = [set() for _ in self.entry_ids]
        for idx, (words, _) in zip(doc_entry, raw):
            self._entry_words[idx].update(words)
        doc_vectors = [self._vector(words, chars) for words, chars in raw]
        centroids: list[dict[str, float]] = [{} for _ in self.entry_ids]
        for idx, vec in zip(doc_entry, doc_vectors):
            acc = centroids[idx]
            for f, w in vec.items():
                acc[f] = acc.get(f, 0.0) + w
        self._doc_index = _Postings(doc_vectors)
        self._centroid_index = _Postings([_unit(c) for c in centroids])
        # Documents are grouped by entry, in entry order: reduceat needs where each group starts.
        self._starts = np.searchsorted(self.doc_entry, np.arange(len(self.entry_ids)))
        self._has_docs = np.bincount(self.doc_entry, minlength=len(self.entry_ids)) > 0

    def _block(self, feats: Counter[str]) -> dict[str, float]:
        # A feature the knowledge base never uses gets the highest weight: words
        # like "biryani" or "passport" say the message is about something else,
        # and must lower its similarity to every entry.
        return _unit({f: (1 + math.log(c)) * self.idf.get(f, self._unseen_idf) for f, c in feats.items()})

    def _vector(self, words: Counter[str], chars: Counter[str]) -> dict[str, float]:
        vec = {f: w * _WORDS for f, w in self._block(words).items()}
        vec.update((f, w * _CHARS) for f, w in self._block(chars).items())
        return _unit(vec)

    def scores(self, text: str, exclude_doc: int | None = None) -> np.ndarray:
        """Each entry's score for ``text``; ``exclude_doc`` leaves one document out of the best-document part."""
        return self._scores(*features(text), exclude_doc)

    def _scores(self, words: Counter[str], chars: Counter[str], exclude_doc: int | None) -> np.ndarray:
        if not words or not self.entry_ids:
            return np.zeros(len(self.entry_ids))
        query = self._vector(words, chars)
        doc_scores = self._doc_index.dot(query)
        if exclude_doc is not None:
            doc_scores[exclude_doc] = 0.0
        best = np.maximum.reduceat(doc_scores, self._starts) if len(doc_scores) else np.zeros(len(self.entry_ids))
        best = np.where(self._has_docs, best, 0.0)
        similarity = _BEST * best + (1 - _BEST) * self._centroid_index.dot(query)
        return np.clip(similarity * _CONFIDENCE_SCALE, 0.0, 1.0)

    def _coverage(self, words: dict[str, float], entry: int) -> float:
        """Share of the message's word weight that the entry's own questions use."""
        known = self._entry_words[entry]
        return sum(w * w for f, w in words.items() if f in known)

    def match(self, text: str, exclude_doc: int | None = None) -> Match:
        word_feats, char_feats = features(text)
        scores = self._scores(word_feats, char_feats, exclude_doc)
        if not len(scores):
            return Match("declined", None, ())
        words = self._block(word_feats)
        top = np.argsort(-scores, kind="stable")[:3]
        ranked = [Candidate(self.entry_ids[i], round(float(scores[i]) * self._coverage(words, i) ** _COVERAGE_POWER, 4)) for i in top]
        t = self.thresholds
        best = ranked[0]
        if best.confidence < t.suggest:
            return Match("declined", None, ())
        floor = t.suggest * 0.75
        alternatives = tuple(c for c in ranked[1:] if c.confidence >= floor)
        close_call = bool(alternatives) and alternatives[0].confidence >= best.confidence * t.ambiguity
        confident = best.confidence >= t.answer and not close_call
        return Match("answered" if confident else "suggested", best, alternatives)


def _unit(vec: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vec.values()))
    return {f: v / norm for f, v in vec.items()} if norm else {}


class _Postings:
    """Feature -> (row ids, weights): a sparse matrix stored by column for fast query products."""

    def __init__(self, rows: list[dict[str, float]]):
        cols: dict[str, tuple[list[int], list[float]]] = {}
        for r, vec in enumerate(rows):
            for f, w in vec.items():
                ids, ws = cols.setdefault(f, ([], []))
                ids.append(r)
                ws.append(w)
        self.n = len(rows)
        self.cols = {f: (np.array(ids, dtype=np.int32), np.array(ws)) for f, (ids, ws) in cols.items()}

    def dot(self, query: dict[str, float]) -> np.ndarray:
        cols, qweights = [], []
        for f, w in query.items():
            col = self.cols.get(f)
            if col is not None:
                cols.append(col)
                qweights.append(w)
        if not cols:
            return np.zeros(self.n)
        ids = np.concatenate([c[0] for c in cols])
        weights = np.concatenate([c[1] for c in cols]) * np.repeat(qweights, [len(c[0]) for c in cols])
        return np.bincount(ids, weights=weights, minlength=self.n)

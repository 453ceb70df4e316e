"""Ranking knowledge-base entries for a worker's message.

Every example question, title and keyword of an entry is a small document. A
message and each document become TF-IDF vectors over three kinds of features:
normalised words, word pairs, and character trigrams inside words (which absorb
typos and spelling variants that no variant list catches). Inverse document
frequency counts *entries*, not documents, so a word that every entry uses
("kya", "hai", "what") weighs almost nothing, however many examples repeat it.

An entry's score is the cosine similarity of its best-matching document,
blended with the similarity to all of its documents together (its centroid),
so an entry whose many examples agree with the message wins a tie. Scores lie
in [0, 1] and serve directly as confidence.

Everything is in memory with NumPy; there is no model to download.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from bot.knowledge.model import KnowledgeBase
from bot.text import tokens

# Relative weight of each feature kind in a vector.
_WORD, _PAIR, _CHAR = 1.0, 0.6, 0.35
# Blend of best-document and centroid similarity.
_BEST, _CENTROID = 0.7, 0.3


@dataclass(frozen=True)
class Thresholds:
    """Confidence needed to answer outright, and to offer "Did you mean…"."""

    answer: float = 0.42
    suggest: float = 0.26


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


def features(text: str) -> Counter[str]:
    toks = tokens(text)
    out: Counter[str] = Counter()
    for tok in toks:
        out["w" + tok] += 1
        padded = f"^{tok}$"
        for i in range(len(padded) - 2):
            out["c" + padded[i : i + 3]] += 1
    for a, b in zip(toks, toks[1:]):
        out[f"p{a} {b}"] += 1
    return out


def _kind_weight(feature: str) -> float:
    return {"w": _WORD, "p": _PAIR, "c": _CHAR}[feature[0]]


class Matcher:
    """An index over one knowledge base. Build once per load; :meth:`match` is read-only and thread-safe."""

    def __init__(self, kb: KnowledgeBase, thresholds: Thresholds = Thresholds()):
        self.thresholds = thresholds
        self.entry_ids: list[str] = []
        docs: list[tuple[int, Counter[str]]] = []  # (entry index, raw features)
        self.doc_text: list[str] = []
        for idx, entry in enumerate(kb.entries):
            self.entry_ids.append(entry.id)
            texts = [*entry.title.values(), *entry.keywords]
            for questions in entry.examples.values():
                texts.extend(questions)
            for text in texts:
                feats = features(text)
                if feats:
                    docs.append((idx, feats))
                    self.doc_text.append(text)
        self.doc_entry = np.array([e for e, _ in docs], dtype=np.int32)

        n_entries = max(len(self.entry_ids), 1)
        entry_df: Counter[str] = Counter()
        for feats in _per_entry_features(docs):
            entry_df.update(feats)
        self.idf = {f: math.log((n_entries + 1) / (df + 0.5)) * _kind_weight(f) for f, df in entry_df.items()}

        doc_vectors = [self._vector(feats) for _, feats in docs]
        centroids: list[Counter[str]] = [Counter() for _ in self.entry_ids]
        for (idx, _), vec in zip(docs, doc_vectors):
            centroids[idx].update(vec)
        self._doc_index = _Postings(doc_vectors)
        self._centroid_index = _Postings([_unit(c) for c in centroids])
        # Entries' documents are contiguous (built in entry order): reduceat needs the start of each.
        self._starts = np.searchsorted(self.doc_entry, np.arange(len(self.entry_ids)))
        self._has_docs = np.bincount(self.doc_entry, minlength=len(self.entry_ids)) > 0

    def _vector(self, feats: Counter[str]) -> dict[str, float]:
        vec = {f: (1 + math.log(c)) * self.idf[f] for f, c in feats.items() if self.idf.get(f, 0) > 0}
        return _unit(vec)

    def scores(self, text: str, exclude_doc: int | None = None) -> np.ndarray:
        """Each entry's score for ``text``; ``exclude_doc`` leaves one document out (for self-tests)."""
        query = self._vector(features(text))
        if not query or not self.entry_ids:
            return np.zeros(len(self.entry_ids))
        doc_scores = self._doc_index.dot(query)
        if exclude_doc is not None:
            doc_scores[exclude_doc] = 0.0
        best = np.maximum.reduceat(doc_scores, self._starts) if len(doc_scores) else np.zeros(len(self.entry_ids))
        best = np.where(self._has_docs, best, 0.0)
        return np.clip(_BEST * best + _CENTROID * self._centroid_index.dot(query), 0.0, 1.0)

    def match(self, text: str, exclude_doc: int | None = None) -> Match:
        scores = self.scores(text, exclude_doc)
        if not len(scores):
            return Match("declined", None, ())
        top = np.argsort(-scores, kind="stable")[:3]
        ranked = [Candidate(self.entry_ids[i], round(float(scores[i]), 4)) for i in top]
        t = self.thresholds
        best = ranked[0]
        if best.confidence < t.suggest:
            return Match("declined", None, ())
        floor = t.suggest * 0.75
        alternatives = tuple(c for c in ranked[1:] if c.confidence >= floor)
        return Match("answered" if best.confidence >= t.answer else "suggested", best, alternatives)


def _per_entry_features(docs: list[tuple[int, Counter[str]]]) -> Iterable[set[str]]:
    by_entry: dict[int, set[str]] = {}
    for idx, feats in docs:
        by_entry.setdefault(idx, set()).update(feats)
    return by_entry.values()


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
        hits = [(self.cols[f], w) for f, w in query.items() if f in self.cols]
        if not hits:
            return np.zeros(self.n)
        ids = np.concatenate([c[0] for c, _ in hits])
        weights = np.concatenate([c[1] * w for c, w in hits])
        return np.bincount(ids, weights=weights, minlength=self.n)

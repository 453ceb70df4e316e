"""Is a worker in immediate danger? Checked on every message before anything else.

Two signals, either of which is enough (a false alarm costs a worker one extra
message; a miss can cost a life):

- **cues**: phrases of ``knowledge/danger.yaml`` that mean a kind of danger on
  their own ("jaan se maar denge", "آگ لگی", "ماري ٿو"), found anywhere in the
  message after the usual clean-up;
- **a classifier** trained at load on each kind's examples against every entry's
  and out-of-scope group's examples and the guards: logistic regression over
  word and character n-grams (which absorb spellings and inflections no list
  has). A long message is scored as a whole, clause by clause and in windows of
  a few words, and the highest score counts, so a danger sentence in the middle
  of a story about wages is found.

**Guards** ("I was fired", "mara malik" for "mera malik", "پگهار ڪٽي" for a cut
wage) are removed from a message before both, so they never count.

A kind that *refines* others (domestic violence refines violence) is chosen
instead of them when one of its context words (husband, shohar, مڙس) is in the
message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier

from bot.knowledge.model import KnowledgeBase
from bot.understanding.phrases import PhraseIndex
from bot.understanding.text import tokens

# A message whose danger probability (whole, a clause or a window) reaches this is danger.
THRESHOLD = 0.5
# Long messages are also scored in windows of this many words, moving by half of it.
_WINDOW = 10
# At most this many characters of a message are read (a whole pasted story fits; a wall of text does not).
MAX_DANGER_CHARS = 4000
_CLAUSE_BREAK = re.compile(r"[.!?;,\n؟۔،؛]+|\s(?:and|but|then|aur|lekin|magar|phir|پھر|اور|لیکن|مگر|۽|پر|پوءِ)\s")
_NONE = "none"
# Logistic regression by a fixed number of passes of stochastic gradient descent: the same model every load, built in
# a fraction of a second (lbfgs to convergence took seconds and separated no better).
_ALPHA, _EPOCHS = 1e-5, 20


@dataclass(frozen=True)
class Alarm:
    """The danger found in a message: its kind, how sure (1.0 for a cue), and the cue when one fired."""

    kind: str
    score: float
    cue: str | None = None


class DangerDetector:
    """Built once per knowledge base (beside the matcher); :meth:`check` only reads it."""

    def __init__(self, kb: KnowledgeBase, threshold: float = THRESHOLD):
        danger = kb.danger
        self.threshold = threshold
        self.kinds = tuple(k.id for k in danger.kinds)
        self._guards = PhraseIndex((g, "") for g in danger.guards)
        self._cues = PhraseIndex((c, k.id) for k in danger.kinds for c in k.cues)
        # Refining kinds in file order: (kind, the kinds it refines, its context words).
        self._refiners = [(k.id, set(k.refines), PhraseIndex((w, "") for w in k.context)) for k in danger.kinds if k.refines]
        texts: list[str] = []
        labels: list[str] = []
        for kind in danger.kinds:
            for examples in kind.examples.values():
                texts += [self._clean(q) for q in examples]
                labels += [kind.id] * sum(1 for _ in examples)
        n_danger = len(texts)
        ordinary = [q for e in kb.entries if e.id != "help-emergency" for qs in e.examples.values() for q in qs]
        ordinary += [q for g in kb.out_of_scope for qs in g.examples.values() for q in qs]
        ordinary += list(danger.guards)
        texts += [self._clean(q) for q in ordinary]
        labels += [_NONE] * len(ordinary)
        self._model: SGDClassifier | None = None
        self._kind_model: SGDClassifier | None = None
        if n_danger and len(ordinary):
            self._words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"\S+", sublinear_tf=True)
            self._chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=1)
            matrix = self._matrix(texts, fit=True)
            is_danger = np.array([label != _NONE for label in labels])
            self._model = SGDClassifier(loss="log_loss", alpha=_ALPHA, max_iter=_EPOCHS, tol=None, class_weight="balanced",
                                        random_state=0)
            self._model.fit(matrix, is_danger)
            if len(set(labels[:n_danger])) >= 2:
                self._kind_model = SGDClassifier(loss="log_loss", alpha=_ALPHA, max_iter=_EPOCHS, tol=None, random_state=0)
                self._kind_model.fit(matrix[:n_danger], labels[:n_danger])

    # -- text ---------------------------------------------------------------------------

    def _tokens(self, text: str) -> list[str]:
        """The message's tokens without the guards' (a guard never counts as danger)."""
        toks = tokens(text)
        if self._guards:
            drop = {i for start, end, _ in self._guards.find(toks) for i in range(start, end)}
            toks = [t for i, t in enumerate(toks) if i not in drop]
        return toks

    def _clean(self, text: str) -> str:
        return " ".join(self._tokens(text))

    def _matrix(self, texts: list[str], fit: bool = False) -> sparse.csr_matrix:
        if fit:
            return sparse.hstack([self._words.fit_transform(texts), self._chars.fit_transform(texts)]).tocsr()
        return sparse.hstack([self._words.transform(texts), self._chars.transform(texts)]).tocsr()

    def _segments(self, text: str) -> list[str]:
        """The whole message, its clauses and, for a long one, overlapping windows of words: each scored alone."""
        whole = self._tokens(text)
        out = [" ".join(whole)]
        for clause in _CLAUSE_BREAK.split(text):
            toks = self._tokens(clause)
            if 2 <= len(toks) < len(whole):
                out.append(" ".join(toks))
        if len(whole) > _WINDOW:
            step = _WINDOW // 2
            out += [" ".join(whole[i : i + _WINDOW]) for i in range(0, len(whole) - step, step)]
        return [s for s in dict.fromkeys(out) if s]

    # -- the check -------------------------------------------------------------------------

    def check(self, text: str) -> Alarm | None:
        """The danger in ``text``, or None."""
        text = text[:MAX_DANGER_CHARS]
        toks = self._tokens(text)
        if not toks:
            return None
        found = self._cues.find(toks) if self._cues else []
        if found:
            start, end, kind = found[0]
            return Alarm(self._refine(kind, toks), 1.0, " ".join(toks[start:end]))
        if self._model is None:
            return None
        segments = self._segments(text)
        matrix = self._matrix(segments)
        scores = self._model.predict_proba(matrix)[:, list(self._model.classes_).index(True)]
        best = int(np.argmax(scores))
        if scores[best] < self.threshold:
            return None
        kind = str(self._kind_model.predict(matrix[best])[0]) if self._kind_model is not None else self.kinds[0]
        return Alarm(self._refine(kind, toks), float(scores[best]))

    def score(self, text: str) -> float:
        """The highest danger probability over the message's segments, ignoring cues (for tuning)."""
        if self._model is None:
            return 0.0
        segments = self._segments(text[:MAX_DANGER_CHARS])
        if not segments:
            return 0.0
        return float(self._model.predict_proba(self._matrix(segments))[:, list(self._model.classes_).index(True)].max())

    def _refine(self, kind: str, toks: list[str]) -> str:
        for refined, refines, context in self._refiners:
            if kind in refines and context.find(toks):
                return refined
        return kind

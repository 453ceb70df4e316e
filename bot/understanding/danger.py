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
wage) are replaced by one neutral word before both, so they never count (and what is left, "he will ... if we
protest", reads less like a threat than with the words cut out); a **veto**
word ("mehngai", "haha", "lockout") sets aside the clause it is in; a kind's
**unless** phrases ("last year" for an injury) mean the message is not that
danger now. The danger file's near misses are learnt as ordinary messages.

A kind's **whole** phrases ("help", "bachao", "مدد کریں") count only as the whole message, filler words
("please", "koi", "bhai") aside: "help" alone is a cry, "I need help with my salary" a question.

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

# A message whose danger probability (whole, a clause or a window) reaches this is danger (cues aside, which
# carry most of the recall: the classifier catches what no cue names, and must not cry wolf).
THRESHOLD = 0.8
# Long messages are also scored in windows of this many words, moving by half of it.
_WINDOW = 10
# At most this many characters of a message are read (a whole pasted story fits; a wall of text does not).
MAX_DANGER_CHARS = 4000
_CLAUSE_BREAK = re.compile(r"[.!?;,\n؟۔،؛]+|\s(?:and|but|then|aur|lekin|magar|phir|پھر|اور|لیکن|مگر|۽|پر|پوءِ)\s")
_NONE = "none"
_GUARDED = "guarded"
# Logistic regression by a fixed number of passes of stochastic gradient descent: the same model every load, built in
# a fraction of a second (lbfgs to convergence took seconds and separated no better).
_ALPHA, _EPOCHS = 1e-4, 20
# How much an ordinary message counts in training beside a danger example (1): a question to an entry or an
# out-of-scope group says little about danger; a near miss or guard, written to look alarming, says much.
_ASKED_WEIGHT, _NEAR_WEIGHT = 0.7, 3.0
# The forms a phrase's last word takes for gender, number and politeness ("card le liya" is also "card le liye", "card le
# li"; "ڪارڊ رکي ڇڏيو" also "ڪارڊ رکي ڇڏيا"): a cue or guard written in one form is found in all of them, so the lists
# need not spell out every ending a writer may use.
_PARADIGMS = [
    ("liya", "liye", "lia", "li", "lee"), ("diya", "diye", "dia", "di"), ("kiya", "kiye", "kia"), ("gaya", "gaye", "gayi", "gai", "gya"),
    ("raha", "rahe", "rahi"), ("deta", "dete", "deti"), ("karta", "karte", "karti"), ("rakha", "rakhe", "rakhi"), ("dega", "denge", "degi"),
    ("dunga", "dungi", "denge"), ("lega", "lenge", "legi"), ("lunga", "lungi"),
    ("لیا", "لیے", "لی"), ("دیا", "دیے", "دی"), ("گیا", "گئے", "گئی"), ("رہا", "رہے", "رہی"), ("دیتا", "دیتے", "دیتی"),
    ("کرتا", "کرتے", "کرتی"), ("رکھا", "رکھے", "رکھی"), ("دے گا", "دیں گے", "دے گی"), ("دوں گا", "دوں گی"),
    ("ڇڏيو", "ڇڏيا", "ڇڏي"), ("ويو", "ويا", "وئي"), ("ورتو", "ورتا", "ورتي"), ("ڪيو", "ڪئي", "ڪيا"), ("ڏنو", "ڏنا", "ڏني"),
    ("رکيو", "رکيا", "رکي"), ("ڪڍيو", "ڪڍيا", "ڪڍي"), ("هنيو", "هنيا", "هنئي", "هنيائين"), ("ماريو", "ماريا", "ماريائين"),
    ("پيو", "پيا", "پئي"), ("ٿو", "ٿا", "ٿي"), ("آهي", "آهن"), ("ڏيندو", "ڏيندا", "ڏيندي"), ("ڪندو", "ڪندا", "ڪندي"),
    ("ماريندو", "ماريندا", "ماريندي"), ("ڇڏيندو", "ڇڏيندا", "ڇڏيندي", "ڇڏيندس", "ڇڏينداسين"), ("ورتائين", "ورتائون"),
    ("mara", "mare", "mari", "maara"), ("marta", "marte", "marti", "maarta", "maarte", "maarti"), ("tha", "thi", "the"),
    ("مارا", "مارے", "ماری"), ("مارتا", "مارتے", "مارتی"), ("نکالا", "نکالے", "نکالی"), ("تھا", "تھے", "تھی"),
]
_FORMS = {word: forms for forms in _PARADIGMS for word in forms}


def _inflected(phrase: str) -> list[str]:
    """``phrase`` and the same phrase with its last word in each of that word's other forms."""
    words = phrase.split()
    for n in (2, 1):  # a two-word ending ("دے گا") before a one-word one
        if len(words) > n and " ".join(words[-n:]) in _FORMS:
            stem = " ".join(words[:-n])
            return [phrase] + [f"{stem} {form}" for form in _FORMS[" ".join(words[-n:])] if form != " ".join(words[-n:])]
    return [phrase]


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
        self._guards = PhraseIndex((f, "") for g in danger.guards for f in _inflected(g))
        self._veto = PhraseIndex((v, "") for v in danger.veto)
        self._unless = {k.id: PhraseIndex((u, "") for u in k.unless) for k in danger.kinds if k.unless}
        self._cues = PhraseIndex((f, k.id) for k in danger.kinds for c in k.cues for f in _inflected(c))
        self._filler = PhraseIndex((f, "") for f in (*danger.filler, *kb.smalltalk_filler))
        self._whole = {tuple(self._bare(f)): k.id for k in danger.kinds for w in k.whole for f in _inflected(w)}
        # Refining kinds in file order: (kind, the kinds it refines, its context words).
        self._refiners = [(k.id, set(k.refines), PhraseIndex((w, "") for w in k.context)) for k in danger.kinds if k.refines]
        texts: list[str] = []
        labels: list[str] = []
        for kind in danger.kinds:
            for examples in kind.examples.values():
                texts += [self._clean(q) for q in examples]
                labels += [kind.id] * sum(1 for _ in examples)
        n_danger = len(texts)
        weights = [1.0] * n_danger
        # Ordinary messages: every entry's and out-of-scope group's examples, and (weighing more, as they are the
        # ones that look alarming) the guards and the danger file's near misses.
        asked = [q for e in kb.entries if e.id != "help-emergency" for qs in e.examples.values() for q in qs]
        asked += [q for g in kb.out_of_scope for qs in g.examples.values() for q in qs]
        near = list(danger.guards) + [q for qs in danger.near_misses.values() for q in qs]
        ordinary = asked + near
        texts += [self._clean(q) for q in ordinary]
        labels += [_NONE] * len(ordinary)
        weights += [_ASKED_WEIGHT] * len(asked) + [_NEAR_WEIGHT] * len(near)
        self._model: SGDClassifier | None = None
        self._kind_model: SGDClassifier | None = None
        if n_danger and len(ordinary):
            self._words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"\S+", sublinear_tf=True)
            self._chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=1)
            matrix = self._matrix(texts, fit=True)
            is_danger = np.array([label != _NONE for label in labels])
            self._model = SGDClassifier(loss="log_loss", alpha=_ALPHA, max_iter=_EPOCHS, tol=None, class_weight="balanced",
                                        random_state=0)
            self._model.fit(matrix, is_danger, sample_weight=np.array(weights))
            if len(set(labels[:n_danger])) >= 2:
                self._kind_model = SGDClassifier(loss="log_loss", alpha=_ALPHA, max_iter=_EPOCHS, tol=None, random_state=0)
                self._kind_model.fit(matrix[:n_danger], labels[:n_danger])

    # -- text ---------------------------------------------------------------------------

    def _tokens(self, text: str) -> list[str]:
        """The message's tokens, each guard replaced by one neutral word (a guard never counts as danger)."""
        toks = tokens(text)
        if self._guards:
            found = self._guards.find(toks)
            starts = {start for start, _, _ in found}
            drop = {i for start, end, _ in found for i in range(start, end)}
            toks = [_GUARDED if i in starts else t for i, t in enumerate(toks) if i not in drop or i in starts]
        return toks

    def _bare(self, text: str) -> list[str]:
        """The tokens of ``text`` without filler words, a word repeated at once kept once ("help help plz" -> help)."""
        toks = tokens(text)
        drop = {i for start, end, _ in self._filler.find(toks) for i in range(start, end)} if self._filler else set()
        kept = [t for i, t in enumerate(toks) if i not in drop]
        return [t for i, t in enumerate(kept) if i == 0 or t != kept[i - 1]]

    def _clean(self, text: str) -> str:
        return " ".join(self._tokens(text))

    def _matrix(self, texts: list[str], fit: bool = False) -> sparse.csr_matrix:
        if fit:
            return sparse.hstack([self._words.fit_transform(texts), self._chars.fit_transform(texts)]).tocsr()
        return sparse.hstack([self._words.transform(texts), self._chars.transform(texts)]).tocsr()

    def _clauses(self, text: str) -> list[list[str]]:
        """The tokens of each clause (guards removed), leaving out clauses with a veto word and their neighbours."""
        parts = _CLAUSE_BREAK.split(text)
        vetoed = {i for i, part in enumerate(parts) if self._veto and self._veto.find(tokens(part))}
        out = []
        for i, clause in enumerate(parts):
            if {i - 1, i, i + 1} & vetoed:  # "haha" or "lockout" speaks for its neighbours too
                continue
            toks = self._tokens(clause)
            if toks:
                out.append(toks)
        return out

    def _segments(self, clauses: list[list[str]]) -> list[str]:
        """The whole message, its clauses and, for a long one, overlapping windows of words: each scored alone."""
        whole = [t for clause in clauses for t in clause]
        out = [" ".join(whole)]
        out += [" ".join(clause) for clause in clauses if 2 <= len(clause) < len(whole)]
        if len(whole) > _WINDOW:
            step = _WINDOW // 2
            out += [" ".join(whole[i : i + _WINDOW]) for i in range(0, len(whole) - step, step)]
        return [s for s in dict.fromkeys(out) if s]

    # -- the check -------------------------------------------------------------------------

    def check(self, text: str) -> Alarm | None:
        """The danger in ``text``, or None."""
        text = text[:MAX_DANGER_CHARS]
        if self._whole and (kind := self._whole.get(tuple(self._bare(text)))):  # a lone cry: "help!", "bachao"
            return Alarm(kind, 1.0, " ".join(self._bare(text)))
        clauses = self._clauses(text)
        toks = [t for clause in clauses for t in clause]
        if not toks:
            return None
        ruled_out = {kind for kind, index in self._unless.items() if index.find(tokens(text))}
        for clause in clauses:
            for start, end, kind in self._cues.find(clause) if self._cues else []:
                if kind not in ruled_out:
                    return Alarm(self._refine(kind, toks), 1.0, " ".join(clause[start:end]))
        if self._model is None:
            return None
        segments = self._segments(clauses)
        matrix = self._matrix(segments)
        scores = self._model.predict_proba(matrix)[:, list(self._model.classes_).index(True)]
        best = int(np.argmax(scores))
        if scores[best] < self.threshold:
            return None
        kind = str(self._kind_model.predict(matrix[best])[0]) if self._kind_model is not None else self.kinds[0]
        if kind in ruled_out:
            return None
        return Alarm(self._refine(kind, toks), float(scores[best]))

    def score(self, text: str) -> float:
        """The highest danger probability over the message's segments, ignoring cues (for tuning)."""
        if self._model is None:
            return 0.0
        segments = self._segments(self._clauses(text[:MAX_DANGER_CHARS]))
        if not segments:
            return 0.0
        return float(self._model.predict_proba(self._matrix(segments))[:, list(self._model.classes_).index(True)].max())

    def _refine(self, kind: str, toks: list[str]) -> str:
        for refined, refines, context in self._refiners:
            if kind in refines and context.find(toks):
                return refined
        return kind

"""Is a worker in immediate danger? Checked on every message before anything else.

Two signals, either of which is enough (a false alarm costs a worker one extra
message; a miss can cost a life):

- **cues**: phrases of ``knowledge/danger.yaml`` that mean a kind of danger on
  their own ("jaan se maar denge", "آگ لگی", "ماري ٿو"), found anywhere in the
  message after the usual clean-up;
- **a classifier** trained on each kind's examples and the labelled messages of
  ``knowledge/danger-messages.yaml`` against every entry's and out-of-scope
  group's examples, the guards and the near misses: logistic regression over
  word and character n-grams (which absorb spellings and inflections no list
  has), trained once per knowledge base and kept in the index cache. A long
  message is scored as a whole, clause by clause and in windows of a few words,
  and the highest score counts, so a danger sentence in the middle of a story
  about wages is found.

**Guards** ("I was fired", "mara malik" for "mera malik", "پگهار ڪٽي" for a cut
wage) are replaced by one neutral word before both, so they never count (and what is left, "he will ... if we
protest", reads less like a threat than with the words cut out); a **veto**
word ("mehngai", "haha", "lockout") sets aside the clause it is in; a kind's
**unless** phrases ("last year" for an injury) mean the message is not that
danger now. The danger file's near misses are learnt as ordinary messages.

A kind's **whole** phrases ("help", "bachao", "مدد کریں") count only as the whole message, filler words
("please", "koi", "bhai") aside: "help" alone is a cry, "I need help with my salary" a question.

Whether a message is danger and which help it gets are decided apart. A kind that *refines* others (a family
held at a kiln refines held or locked in) takes their place when one of its context words (kiln, peshgi, ڀٽو) is
in the message, so that its ``unless`` phrases ("the court freed us") rule the danger out. The help shown is the
kind a second classifier, trained on each kind's examples and the labelled messages, reads in the whole message
(of those not ruled out), a cue's own kind and the kind it refines to counting extra: the cue and context words
alone showed the child helpline's help to a grown daughter raped and the bonded family's to anyone threatened by
a munshi (right kind, a development set left out at a time: 0.816 by cue and context, 0.963 now).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from bot.knowledge.indexcache import pack_strings, unpack_strings
from bot.knowledge.model import KnowledgeBase
from bot.understanding.phrases import PhraseIndex, PhraseLists, Tokenised, tokenise
from bot.understanding.terms import Terms
from bot.understanding.text import tokens

# A message whose danger probability (whole, a clause or a window) reaches this is danger (cues aside, which
# carry most of the recall: the classifier catches what no cue names, and must not cry wolf) if the whole message
# leans that way too: its own probability reaches WHOLE_BAR, or LONG_WHOLE_BAR for a story of over LONG_WORDS words
# (a danger sentence in a long story about wages moves the whole less). A story about wages, an old injury or
# the news has a window of ten words that sounds like danger far more often than one in danger reads as calm
# as a whole: chosen by bench/danger_cv.py, a writer left out at a time (false alarms 0.092 to 0.065, recall
# 0.988 to 0.994 against a window alone at 0.8).
THRESHOLD = 0.7
WHOLE_BAR, LONG_WHOLE_BAR, LONG_WORDS = 0.55, 0.3, 40
# A cue in a story of over LONG_WORDS words counts only if the whole story reaches this: "a gas explosion in the
# mine in 2015", "kidnapped for ransom in 2018, I am free since long" name danger in stories that read as calm
# questions about dues. Over twelve development sets (bench/danger_cv.py), the 329 long messages in danger with a
# cue all scored 0.15 or more, and 16 of the 32 long near misses a cue alarmed on scored under 0.08.
CUE_LONG_BAR = 0.08
# Long messages are also scored in windows of this many words, moving by half of it.
_WINDOW = 10
# At most this many characters of a message are read (a whole pasted story fits; a wall of text does not).
MAX_DANGER_CHARS = 4000
_CLAUSE_BREAK = re.compile(r"[.!?;,\n؟۔،؛]+|\s(?:and|but|then|aur|lekin|magar|phir|پھر|اور|لیکن|مگر|۽|پر|پوءِ)\s")
_CLAUSE_SPLIT = re.compile(f"({_CLAUSE_BREAK.pattern})")  # the same, keeping each break
_NONE = "none"
_GUARDED = "guarded"
# The classifiers' training (see _fit) and features: words and pairs of words; 2 to 4 characters inside words.
# Regularisation and the near misses' weight below chosen with bench/danger_cv.py over ten development sets (from
# 1e-4 and 3.0: recall 0.986 -> 0.989, false alarms 0.048 -> 0.045, suicide 0.932 -> 0.948).
_ALPHA, _EPOCHS = 3e-5, 20
_WORD = re.compile(r"\S+")
_CHAR_NGRAMS = (2, 4)
# What a cue's own kind, and the kind its context words refine it to, add to the kind classifier's decision for
# them when it chooses the help. Right kind with a development set left out at a time: the cue's kind refined 0.816,
# the classifier alone 0.947, with these votes 0.962 (0.930 and 0.968 for short messages with a cue; a vote of 3
# gave 0.932).
_CUE_VOTE, _REFINED_VOTE = 2.0, 1.0
# How much an ordinary message counts in training beside a danger example (1): a question to an entry or an
# out-of-scope group says little about danger; a near miss or guard, written to look alarming, says much.
_ASKED_WEIGHT, _NEAR_WEIGHT = 0.7, 5.0
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
_LAST_WORDS = {form.split()[-1] for form in _FORMS}  # a phrase ending in none of them has no other forms


def _inflected(phrase: str) -> list[str]:
    """``phrase`` and the same phrase with its last word in each of that word's other forms."""
    words = phrase.split()
    if not words or words[-1] not in _LAST_WORDS:
        return [phrase]
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
    """Built once per knowledge base (beside the matcher); :meth:`check` only reads it.

    The classifiers are a handful of arrays (:attr:`models`, see :func:`_fit`): the knowledge store saves them in
    its cache and passes them back as ``models`` on the next start, which then neither trains nor imports
    scikit-learn, and decides exactly as the start that trained them.
    """

    def __init__(self, kb: KnowledgeBase, threshold: float = THRESHOLD, models: Mapping[str, np.ndarray] | None = None,
                 phrases: Tokenised | None = None):
        """``phrases``: :func:`phrase_lists` tokenised (the knowledge store reads them from its cache)."""
        danger = kb.danger
        self.threshold = threshold
        self.kinds = tuple(k.id for k in danger.kinds)
        phrases = tokenise(phrase_lists(kb)) if phrases is None else phrases
        self._guards = PhraseIndex(phrases["guards"])
        self._veto = PhraseIndex(phrases["veto"])
        # A veto entry with no letters (an emoji: "😂") has no tokens, so it is looked for as written.
        self._veto_marks = tuple(v for v in danger.veto if not tokens(v))
        self._unless = {k.id: PhraseIndex(p for p in phrases["unless"] if p[1] == k.id) for k in danger.kinds if k.unless}
        self._cues = PhraseIndex(phrases["cues"])
        self._filler = PhraseIndex(phrases["filler"])
        self._whole = {tuple(self._strip(list(toks))): kind for toks, kind in phrases["whole"]}
        # Refining kinds in file order: (kind, the kinds it refines, its context words).
        self._refiners = [(k.id, set(k.refines), PhraseIndex(p for p in phrases["context"] if p[1] == k.id))
                          for k in danger.kinds if k.refines]
        self.models = dict(self._train(kb) if models is None else models)
        self._model: _Linear | None = None
        self._kind_model: _Linear | None = None
        if len(self.models["danger_intercept"]):
            words = _Tfidf("word", Terms(self.models, "word"), self.models["word_idf"], 0)
            self._vectorisers = (words, _Tfidf("char_wb", Terms(self.models, "char"), self.models["char_idf"], len(words)))
            n_features = len(words) + len(self._vectorisers[1])
            self._model = _Linear(self.models["danger_weights"], self.models["danger_intercept"], n_features)
            if len(self.models["kind_intercept"]):
                self._kind_model = _Linear(self.models["kind_weights"], self.models["kind_intercept"], n_features,
                                           unpack_strings(self.models["kind_classes"]))
                if not set(self._kind_model.classes) <= set(self.kinds):
                    raise ValueError("the kind classifier was trained for other kinds")

    def _train(self, kb: KnowledgeBase) -> dict[str, np.ndarray]:
        """The training set (each kind's examples, then every ordinary message, guards cut out) and its models."""
        danger = kb.danger
        texts: list[str] = []
        labels: list[str] = []
        for kind in danger.kinds:
            for examples in kind.examples.values():
                texts += [self._clean(q) for q in examples]
                labels += [kind.id] * len(examples)
        for message in danger.messages:  # a labelled message is learnt as its main kind
            if message.in_danger:
                texts.append(self._clean(message.text))
                labels.append(message.kinds[0])
        n_danger = len(texts)
        weights = [1.0] * n_danger
        # Ordinary messages: every entry's and out-of-scope group's examples, and (weighing more, as they are the
        # ones that look alarming) the guards, the danger file's near misses and the messages labelled no danger.
        asked = [q for e in kb.entries if e.id != "help-emergency" for qs in e.examples.values() for q in qs]
        asked += [q for g in kb.out_of_scope for qs in g.examples.values() for q in qs]
        near = list(danger.guards) + [q for qs in danger.near_misses.values() for q in qs]
        near += [m.text for m in danger.messages if not m.in_danger]
        ordinary = asked + near
        texts += [self._clean(q) for q in ordinary]
        labels += [_NONE] * len(ordinary)
        weights += [_ASKED_WEIGHT] * len(asked) + [_NEAR_WEIGHT] * len(near)
        return _fit(texts, labels, weights, n_danger)

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
        return self._strip(tokens(text))

    def _strip(self, toks: list[str]) -> list[str]:
        drop = {i for start, end, _ in self._filler.find(toks) for i in range(start, end)} if self._filler else set()
        kept = [t for i, t in enumerate(toks) if i not in drop]
        return [t for i, t in enumerate(kept) if i == 0 or t != kept[i - 1]]

    def _clean(self, text: str) -> str:
        return " ".join(self._tokens(text))

    def _vectors(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each text's TF-IDF vector (word and character n-grams side by side) as columns and weights."""
        words, chars = self._vectorisers
        out = []
        for text in texts:
            (wcols, wvals), (ccols, cvals) = words.transform(text), chars.transform(text)
            out.append((np.concatenate([wcols, ccols]), np.concatenate([wvals, cvals])))
        return out

    def _clauses(self, text: str) -> list[list[str]]:
        """The tokens of each clause (guards removed), leaving out clauses with a veto word and their neighbours."""
        parts = self._parts(text)
        vetoed = {i for i, part in enumerate(parts)
                  if (self._veto and self._veto.find(tokens(part))) or any(mark in part for mark in self._veto_marks)}
        out = []
        for i, clause in enumerate(parts):
            if {i - 1, i, i + 1} & vetoed:  # "haha" or "lockout" speaks for its neighbours too
                continue
            toks = self._tokens(clause)
            if toks:
                out.append(toks)
        return out

    def _parts(self, text: str) -> list[str]:
        """The clauses of ``text``, two kept together where a guard or veto phrase spans the break between them:
        Sindhi's "پر" (but) is Urdu's "on", so "ٹی وی پر دیکھا" (seen on TV) would otherwise never be found."""
        pieces = _CLAUSE_SPLIT.split(text)
        parts = [pieces[0]]
        for brk, part in zip(pieces[1::2], pieces[2::2]):
            joined = parts[-1] + brk + part
            if self._phrase_count(joined) > self._phrase_count(parts[-1]) + self._phrase_count(part):
                parts[-1] = joined
            else:
                parts.append(part)
        return parts

    def _phrase_count(self, text: str) -> int:
        toks = tokens(text)
        return (len(self._guards.find(toks)) if self._guards else 0) + (len(self._veto.find(toks)) if self._veto else 0)

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
        # The whole message's vector, once: it weighs a long story's cues, is the classifier's first segment and
        # tells the kind of help.
        whole = self._vectors([" ".join(toks)])[0] if self._model is not None else None
        for clause in clauses if self._cues_count(toks, whole) else []:
            for start, end, kind in self._cues.find(clause) if self._cues else []:
                refined = self._refine(kind, toks)
                if not {kind, refined} & ruled_out:  # "court freed us" rules out a kiln family held, refined or not
                    votes = {refined: _REFINED_VOTE, kind: _CUE_VOTE}  # the cue's own kind when it refines to itself
                    return Alarm(self._help_kind(whole, ruled_out, refined, votes), 1.0, " ".join(clause[start:end]))
        if self._model is None or whole is None:
            return None
        vectors = [whole] + self._vectors(self._segments(clauses)[1:])  # the first segment is the whole message
        scores = self._model.probabilities(vectors)
        best = int(np.argmax(scores))
        if scores[best] < self.threshold or scores[0] < self._whole_bar(len(toks)):
            return None
        kind = self._kind_model.predict(vectors[best]) if self._kind_model is not None else self.kinds[0]
        refined = self._refine(kind, toks)
        if {kind, refined} & ruled_out:
            return None
        return Alarm(self._help_kind(whole, ruled_out, refined), float(scores[best]))

    def _cues_count(self, toks: list[str], whole: tuple[np.ndarray, np.ndarray] | None) -> bool:
        """Whether a cue in these tokens counts: always in a message of up to LONG_WORDS words; in a longer story,
        only if the classifier finds the whole story leaning at all towards danger (CUE_LONG_BAR)."""
        if len(toks) <= LONG_WORDS or self._model is None or whole is None:
            return True
        return bool(self._model.probabilities([whole])[0] >= CUE_LONG_BAR)

    def _help_kind(self, whole: tuple[np.ndarray, np.ndarray] | None, ruled_out: set[str], fallback: str,
                   votes: Mapping[str, float] | None = None) -> str:
        """The kind whose help to show: the one the kind classifier ranks first in the whole message's vector
        (guards cut out), ``votes`` added to its decisions, of those no ``unless`` phrase rules out (``fallback``
        without a kind classifier)."""
        if self._kind_model is None or whole is None:
            return fallback
        ranked = self._kind_model.ranked(whole, votes or {})
        return next((kind for kind in ranked if kind not in ruled_out), fallback)

    def rest(self, text: str) -> str:
        """The message without its alarming clauses: what is left of it to answer as a labour question.

        "salary 3 months late, and when I asked the supervisor slapped me" leaves "salary 3 months late"; the
        whole message matches the wages answer only weakly, its danger words drowning the question."""
        parts = (part.strip() for part in _CLAUSE_BREAK.split(text[:MAX_DANGER_CHARS]))
        return ". ".join(part for part in parts if part and self.check(part) is None)

    def score(self, text: str) -> float:
        """How sure the classifier alone is (cues aside; for tuning): the highest danger probability over the
        message's segments, or 0 when the whole message falls short of its bar."""
        if self._model is None:
            return 0.0
        clauses = self._clauses(text[:MAX_DANGER_CHARS])
        segments = self._segments(clauses)
        if not segments:
            return 0.0
        scores = self._model.probabilities(self._vectors(segments))
        return float(scores.max()) if scores[0] >= self._whole_bar(sum(map(len, clauses))) else 0.0

    @staticmethod
    def _whole_bar(words: int) -> float:
        return LONG_WHOLE_BAR if words > LONG_WORDS else WHOLE_BAR

    def _refine(self, kind: str, toks: list[str]) -> str:
        for refined, refines, context in self._refiners:
            if kind in refines and context.find(toks):
                return refined
        return kind


class _Tfidf:
    """What scikit-learn's ``TfidfVectorizer`` (lower case, sublinear tf, smooth idf, l2 norm) makes of a text, from
    the vocabulary and idf weights it learnt: the same numbers, without importing it."""

    def __init__(self, analyzer: str, vocabulary: Terms, idf: np.ndarray, offset: int):
        if len(vocabulary) != len(idf):
            raise ValueError(f"the {analyzer} idf weights do not fit the vocabulary")
        self._ngrams = _word_ngrams if analyzer == "word" else _char_wb_ngrams
        self._terms = vocabulary
        self._idf = idf
        self._offset = offset

    def __len__(self) -> int:
        return len(self._terms)

    def transform(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The text's vector as (columns in the whole feature space, ascending; weights)."""
        found = self._terms.columns(self._ngrams(text.lower()))
        cols, counts = np.unique(found[found >= 0], return_counts=True)
        tf = counts.astype(np.float64)
        values = (np.log(tf) + 1.0) * self._idf[cols]
        norm = np.sqrt(np.dot(values, values))
        return cols + self._offset, values / norm if norm else values


def _word_ngrams(text: str) -> list[str]:
    """Words (runs of non-space: ``_WORD``) and pairs of neighbouring words, as ``TfidfVectorizer(analyzer="word",
    token_pattern=_WORD.pattern, ngram_range=(1, 2))`` lists them."""
    words = _WORD.findall(text)
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def _char_wb_ngrams(text: str) -> list[str]:
    """2 to 4 characters inside each space-padded word, as ``TfidfVectorizer(analyzer="char_wb",
    ngram_range=(2, 4))`` lists them (a word shorter than n counted once)."""
    out = []
    for word in text.split():
        padded = f" {word} "
        for n in range(_CHAR_NGRAMS[0], _CHAR_NGRAMS[1] + 1):
            if len(padded) <= n:
                out.append(padded)
                break
            out += [padded[i : i + n] for i in range(len(padded) - n + 1)]
    return out


class _Linear:
    """A classifier scikit-learn's ``SGDClassifier`` trained, as its weights: each class's decision is a vector's
    product with its column of ``weights`` plus its intercept (one column: the decision for the second of two
    classes)."""

    def __init__(self, weights: np.ndarray, intercept: np.ndarray, n_features: int, classes: Sequence[str] = ()):
        if weights.shape != (n_features, len(intercept)):
            raise ValueError("the classifier's weights do not fit the features")
        self.weights, self.intercept, self.classes = weights, intercept, list(classes)
        if self.classes and len(self.classes) != max(len(intercept), 2):
            raise ValueError("the classifier's classes do not fit its weights")

    def _decision(self, vector: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        cols, values = vector
        return values @ self.weights[cols] + self.intercept

    def probabilities(self, vectors: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Of a two-class model: each vector's probability of the second class (the logistic of its decision)."""
        decisions = np.array([self._decision(v)[0] for v in vectors])
        return 1.0 / (1.0 + np.exp(-decisions))

    def ranked(self, vector: tuple[np.ndarray, np.ndarray], votes: Mapping[str, float]) -> list[str]:
        """The classes, the one the vector most looks like first, ``votes`` added to their decisions."""
        decision = self._decision(vector)
        if len(decision) == 1:  # two classes: the decision is for the second
            decision = np.array([-decision[0], decision[0]])
        decision = decision + np.array([votes.get(c, 0.0) for c in self.classes])
        return [self.classes[i] for i in np.argsort(-decision, kind="stable")]

    def predict(self, vector: tuple[np.ndarray, np.ndarray]) -> str:
        decision = self._decision(vector)
        return self.classes[int(decision[0] > 0) if len(decision) == 1 else int(np.argmax(decision))]


def _fit(texts: list[str], labels: list[str], weights: list[float], n_danger: int) -> dict[str, np.ndarray]:
    """Train the detector's models: danger or not over all ``texts``, and which kind over the first ``n_danger``
    (the danger examples), each text counting ``weights`` times. Returns their vocabularies and weights.

    The only use of scikit-learn (imported here: a start that finds the models cached never imports it). Logistic
    regression by a fixed number of passes of stochastic gradient descent, from a fixed seed: the same model every
    time, built in a fraction of a second (lbfgs to convergence took seconds and separated no better).
    """
    none = {"danger_weights": np.zeros((0, 0)), "danger_intercept": np.zeros(0)}
    no_kinds = {"kind_weights": np.zeros((0, 0)), "kind_intercept": np.zeros(0), "kind_classes": pack_strings([])}
    if not n_danger or len(texts) == n_danger:
        return none | no_kinds | Terms.arrays([], "word") | Terms.arrays([], "char") | \
            {"word_idf": np.zeros(0), "char_idf": np.zeros(0)}
    import scipy.sparse as sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier

    words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=_WORD.pattern, sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=_CHAR_NGRAMS, sublinear_tf=True, min_df=1)
    matrix = sparse.hstack([words.fit_transform(texts), chars.fit_transform(texts)]).tocsr()
    sample_weight = np.array(weights, dtype=np.float64)
    model = SGDClassifier(loss="log_loss", alpha=_ALPHA, max_iter=_EPOCHS, tol=None, class_weight="balanced",
                          random_state=0)
    model.fit(matrix, np.array([label != _NONE for label in labels]), sample_weight=sample_weight)
    arrays = {"danger_weights": model.coef_.T.copy(), "danger_intercept": model.intercept_.copy()} | no_kinds
    if len(set(labels[:n_danger])) >= 2:
        kinds = SGDClassifier(loss="log_loss", alpha=_ALPHA, max_iter=_EPOCHS, tol=None, random_state=0)
        kinds.fit(matrix[:n_danger], labels[:n_danger], sample_weight=sample_weight[:n_danger])
        arrays |= {"kind_weights": kinds.coef_.T.copy(), "kind_intercept": kinds.intercept_.copy(),
                   "kind_classes": pack_strings([str(c) for c in kinds.classes_])}
    for name, vectoriser in (("word", words), ("char", chars)):
        vocabulary = vectoriser.vocabulary_
        arrays |= Terms.arrays(sorted(vocabulary, key=vocabulary.__getitem__), name)
        arrays[f"{name}_idf"] = vectoriser.idf_.copy()
    return arrays


def phrase_lists(kb: KnowledgeBase) -> PhraseLists:
    """The phrases the detector looks for, each cue, guard and whole phrase in every form of its last word:
    guards, veto words, each kind's unless phrases, cues, whole phrases and context words (labelled by kind), and
    the filler words a whole phrase may have beside it."""
    danger = kb.danger
    kinds = danger.kinds
    return {"guards": [(f, "") for g in danger.guards for f in _inflected(g)],
            "veto": [(v, "") for v in danger.veto],
            "unless": [(u, k.id) for k in kinds for u in k.unless],
            "cues": [(f, k.id) for k in kinds for c in k.cues for f in _inflected(c)],
            "filler": [(f, "") for f in (*danger.filler, *kb.smalltalk_filler)],
            "whole": [(f, k.id) for k in kinds for w in k.whole for f in _inflected(w)],
            "context": [(w, k.id) for k in kinds if k.refines for w in k.context]}


def training_inputs(kb: KnowledgeBase) -> bytes:
    """Everything of the knowledge base the models are trained from, as bytes to hash (the cache's key)."""
    danger = kb.danger

    def examples(groups: Sequence[tuple[str, Mapping[str, tuple[str, ...]]]]) -> list[object]:
        return [[name, [[form, list(qs)] for form, qs in by_form.items()]] for name, by_form in groups]

    return json.dumps([examples([(k.id, k.examples) for k in danger.kinds]), list(danger.guards),
                       examples([("near misses", danger.near_misses)]),
                       [[m.text, list(m.kinds)] for m in danger.messages], examples([(e.id, e.examples) for e in kb.entries]),
                       examples([(g.id, g.examples) for g in kb.out_of_scope])], ensure_ascii=False).encode("utf-8")

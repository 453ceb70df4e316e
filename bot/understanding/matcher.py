"""Understanding a worker's message: which entry answers it, or that none does.

Every example question, title and keyword of an entry is a small document, and
so is every example of an out-of-scope group (``knowledge/out-of-scope.yaml``).
A message and each document become TF-IDF vectors over two blocks of features
of equal weight: normalised words, word pairs and vocabulary concepts
(``knowledge/vocabulary.yaml``: "tankhwa", "salary" and "پگهار" share the concept
``wage``), and character 2- to 5-grams inside words (which absorb typos,
spelling variants and inflections that no list catches). Words that only tell
the story (``story:`` in the vocabulary: husband, yesterday, factory, please)
are left out, so a worker who explains what happened is judged by what the
message is about.

A class's score (entry or out-of-scope group) is mostly the cosine similarity
to the centroid of its documents, plus a small share of its single best
document, so an exact phrasing still wins. A long message is also scored
clause by clause: the question may sit in one sentence of a story.

The decision, in order: small talk ("salam", "shukriya") is recognised by its
phrases; a message nearer an out-of-scope group than any entry is redirected
(by a margin that grows with each labour concept it names);
a message with no labour signal (no vocabulary concept and little likeness to
any entry) is declined; a confident, unambiguous best entry is answered; and
anything in between gets the likeliest entries as suggestions.

Ranking adds a logistic-regression classifier (scikit-learn) trained on the
same documents at load, which learns what tells neighbouring entries apart.
Everything is in memory; there is no model to download.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from bot.knowledge.model import KnowledgeBase
from bot.understanding.phrases import PhraseIndex, PhraseLists, Tokenised, tokenise
from bot.understanding.terms import Terms
from bot.understanding.text import tokens

# Weight of the word block and the character block in a vector.
_WORDS, _CHARS = 1.0, 1.0
# Share of the best single document in a class's score; the rest is the centroid.
_BEST = 0.1
# Cosine similarities of short messages to an entry's centroid are small (a
# question from an entry's own examples scores about 0.25 to 0.3); confidence is
# the similarity scaled so that such a question is near 1.
_CONFIDENCE_SCALE = 1 / 0.3
# Confidence also weighs how much of the message's wording the entry's own
# questions use, so a message whose key words the entry never uses is less sure.
_COVERAGE_POWER = 0.5
# A clause's score counts for this share of the whole message's.
_CLAUSE_WEIGHT = 0.9
# Weight of the classifier's probability beside the centroid similarity when ranking.
_CLASSIFIER = 1.0
# The classifier: logistic regression fitted by 15 passes of stochastic gradient descent (about
# a second for the bundled knowledge base; lbfgs to convergence took 7 s and ranked no better).
_CLASSIFIER_ALPHA, _CLASSIFIER_EPOCHS = 1e-5, 15
# One-vs-rest training costs classes x documents: about 3 s at this many classes, 30 s at 500. A larger
# knowledge base ranks by similarity alone (its index builds in seconds); the bundled one has 56 classes.
_CLASSIFIER_MAX_CLASSES = 150
# Messages with fewer content words than this are not split into clauses.
_MIN_SPLIT_WORDS = 8
_CLAUSE_BREAK = re.compile(r"[.!?;,\n؟۔،؛]+")


@dataclass(frozen=True)
class Thresholds:
    """Confidence needed to answer outright, and the least score that still counts as a labour question."""

    # Chosen with bench/calibration.py on the tuning sets: 0.28 -> 0.26 answers more outright (questions.yaml
    # 0.809 -> 0.823, realtext.yaml 0.157 -> 0.167) with no more wrong answers (0.005, 0.017); 0.24 took a
    # held-out set over 0.02 wrong. ``story_answer`` stays: lowering it made wrong answers rise.
    answer: float = 0.26
    # A story (more than ``story_words`` words) is answered outright only above this: a long
    # message touches several entries, and a wrong answer costs more than one tap on a suggestion.
    story_answer: float = 0.30
    story_words: int = 15
    suggest: float = 0.22
    # When the runner-up scores at least this share of the best, the message is
    # ambiguous ("chutti": which leave?) and the worker is asked to choose.
    ambiguity: float = 0.9
    # A message whose best entry scores under this is declined, and an out-of-scope group
    # scoring under it never redirects; without a vocabulary word, under ``suggest`` is declined too.
    floor: float = 0.15
    # An out-of-scope group wins when it ranks at least this share of the best entry, raised by ``out_of_scope_concept``
    # for each labour concept of the message beyond the first: a letter that names the owner, the wages and a debt is
    # about work even where its words (rent, medicine, loan) are nearer a group's.
    out_of_scope: float = 1.0
    # 0.05 on realtext.yaml: right first 0.588 -> 0.627 (kiln, injury and debt letters no longer sent to rent, health or
    # loans), out-of-scope declined 0.294 -> 0.235; questions.yaml unchanged. Higher cost more out-of-scope redirects.
    out_of_scope_concept: float = 0.05


@dataclass(frozen=True)
class Candidate:
    """An entry a message may be about, and how sure the matcher is of it (0 to 1)."""

    entry_id: str
    confidence: float


@dataclass(frozen=True)
class Match:
    """The understanding of one message.

    ``outcome`` is ``answered`` (``best`` is confident), ``suggested`` (``best``
    and ``alternatives`` are plausible but not sure), ``redirected`` (``group``
    is the out-of-scope group it belongs to), ``smalltalk`` (``group`` is the
    kind: greeting, thanks...) or ``declined`` (nothing fits). Only answered and
    suggested carry candidates.
    """

    outcome: str
    best: Candidate | None
    alternatives: tuple[Candidate, ...]
    group: str | None = None

    @property
    def entry_id(self) -> str | None:
        return self.best.entry_id if self.best else None

    @property
    def candidates(self) -> tuple[Candidate, ...]:
        return ((self.best,) if self.best else ()) + self.alternatives


def features(text: str) -> tuple[Counter[str], Counter[str]]:
    """(word features, character features) of ``text``, without the knowledge base's vocabulary."""
    return _features(tokens(text), [])


def _word_count(words: Counter[str]) -> int:
    """Distinct words among word features (pairs and concepts left out)."""
    return sum(1 for f in words if f[0] == "w")


def _phrase_feature(toks: list[str]) -> str:
    """The word feature of a one-word phrase, or the pair feature of a two-word one (longer: never known)."""
    return "w" + toks[0] if len(toks) == 1 else f"p{toks[0]} {toks[1]}" if len(toks) == 2 else ""


def _features(toks: list[str], concepts: list[str]) -> tuple[Counter[str], Counter[str]]:
    """Words and word pairs carry meaning, and so do vocabulary concepts; character
    2- to 5-grams inside each word (with its edges marked) catch typos, spelling
    variants and Urdu/Sindhi inflections (چھٹی, چھٹیاں, چھٹیوں share most of their n-grams).
    """
    words = Counter(["w" + t for t in toks] + [f"p{a} {b}" for a, b in zip(toks, toks[1:])] + ["g" + c for c in concepts])
    grams: list[str] = []
    for tok in toks:
        grams.extend(_grams(tok))
    return words, Counter(grams)


@functools.lru_cache(maxsize=65536)  # workers' words repeat: each word's n-grams are listed once
def _grams(tok: str) -> tuple[str, ...]:
    padded = f" {tok} "
    size = len(padded)
    return tuple("c" + padded[i : i + n] for n in range(2, 6) for i in range(size - n + 1))


class Matcher:
    """An index over one knowledge base. Build once per load; :meth:`match` only reads it.

    The index is a handful of arrays (:attr:`index`, see :func:`build_index`): the knowledge store saves them
    in its cache and passes them back as ``index`` on the next start, so a start that finds them costs
    milliseconds instead of a training run, and gives exactly the same decisions.
    """

    def __init__(self, kb: KnowledgeBase, thresholds: Thresholds = Thresholds(),
                 index: Mapping[str, np.ndarray] | None = None, phrases: Tokenised | None = None):
        """``phrases``: :func:`phrase_lists` tokenised (the knowledge store reads them from its cache)."""
        self.thresholds = thresholds
        phrases = tokenise(phrase_lists(kb)) if phrases is None else phrases
        self._concepts = PhraseIndex(phrases["concepts"])
        self._story = PhraseIndex(phrases["story"])
        self._smalltalk = PhraseIndex(phrases["smalltalk"])
        self._filler = {t for toks, _ in phrases["filler"] for t in toks}
        self.entry_ids: list[str] = [e.id for e in kb.entries]
        self.group_ids: list[str] = [g.id for g in kb.out_of_scope]
        self._n_entries = len(self.entry_ids)
        texts = _class_texts(kb)
        n_classes = len(texts)
        if index is None:
            index = self._build(texts)
        self.index = dict(index)
        kept = iter(index["doc_kept"].tolist())
        self.doc_text: list[str] = [text for class_texts in texts for text in class_texts if next(kept)]
        # Documents are grouped by class, in class order: entries first, then out-of-scope groups.
        self.doc_entry = index["doc_class"]
        if len(self.doc_entry) != len(self.doc_text) or (len(self.doc_entry) and self.doc_entry.max() >= n_classes):
            raise ValueError("the index was built for another knowledge base")
        self._terms = Terms(index, "features")
        n_features = len(self._terms)
        self._idf: np.ndarray = index["idf"]
        self._idf_list: list[float] = self._idf.tolist()
        self._unseen_idf = math.log(1 + max(len(self.doc_entry), 1)) + 1
        # Each class's own words (for coverage), made into a set the first time the class is a candidate.
        self._words_at: list[int] = index["class_words_indptr"].tolist()
        self._word_cols: np.ndarray = index["class_words"]
        self._class_words: dict[int, set[str]] = {}
        if len(self._words_at) != n_classes + 1 or self._words_at[-1] != len(self._word_cols) \
                or (len(self._word_cols) and int(self._word_cols.max()) >= n_features) or len(self._idf) != n_features:
            raise ValueError("the index was built for another knowledge base")
        self._doc_index = _Postings(n_features, index, "doc", len(self.doc_entry))
        self._centroid_index = _Postings(n_features, index, "centroid", n_classes)
        self._starts = np.searchsorted(self.doc_entry, np.arange(n_classes))
        self._has_docs = np.bincount(self.doc_entry, minlength=n_classes) > 0
        self._classifier = _Classifier(n_features, index, n_classes)

    def _build(self, class_texts: list[list[str]]) -> dict[str, np.ndarray]:
        """Train the index: TF-IDF weights, document and centroid vectors, the classifier's weights."""
        raw: list[tuple[Counter[str], Counter[str]]] = []
        doc_class: list[int] = []
        kept: list[bool] = []
        for idx, texts in enumerate(class_texts):
            for text in texts:
                words, chars = self._features(text)
                kept.append(bool(words))
                if words:
                    raw.append((words, chars))
                    doc_class.append(idx)
        n_classes = len(class_texts)
        n_docs = max(len(raw), 1)
        df: Counter[str] = Counter()
        for words, chars in raw:
            df.update(words.keys())
            df.update(chars.keys())
        self._idf_list = [math.log((1 + n_docs) / (1 + d)) + 1 for d in df.values()]
        self._unseen_idf = math.log(1 + n_docs) + 1
        column = {f: i for i, f in enumerate(df)}
        terms = Terms.arrays(list(df), "features")
        self._terms = Terms(terms, "features")

        class_words: list[set[str]] = [set() for _ in range(n_classes)]
        for idx, (words, _) in zip(doc_class, raw):
            class_words[idx].update(words)
        doc_vectors = [self._vector(words, chars) for words, chars in raw]
        centroids: list[dict[str, float]] = [{} for _ in range(n_classes)]
        for idx, vec in zip(doc_class, doc_vectors):
            acc = centroids[idx]
            for f, w in vec.items():
                acc[f] = acc.get(f, 0.0) + w
        word_cols = [sorted(column[f] for f in words) for words in class_words]
        index = {
            "doc_kept": np.array(kept, dtype=bool),
            "doc_class": np.array(doc_class, dtype=np.int32),
            **terms,
            "idf": np.array(self._idf_list, dtype=np.float64),
            "class_words_indptr": np.cumsum([0] + [len(c) for c in word_cols]).astype(np.int64),
            "class_words": np.array([c for cols in word_cols for c in cols], dtype=np.int32),
        }
        index |= _Postings.arrays(column, doc_vectors, "doc")
        index |= _Postings.arrays(column, [_unit(c) for c in centroids], "centroid")
        index |= _Classifier.train(column, doc_vectors, np.array(doc_class, dtype=np.int32))
        return index

    def doc_owner(self, doc: int) -> tuple[str, str]:
        """("entry" or "out-of-scope", id) of the class document ``doc`` belongs to."""
        idx = int(self.doc_entry[doc])
        return ("entry", self.entry_ids[idx]) if idx < self._n_entries else ("out-of-scope", self.group_ids[idx - self._n_entries])

    # -- features -------------------------------------------------------------------

    def _content(self, text: str) -> tuple[list[str], list[tuple[int, int, str]]]:
        """Tokens of ``text`` without story words, and the vocabulary phrases found in them."""
        toks = tokens(text)
        if self._story:
            drop = {i for start, end, _ in self._story.find(toks) for i in range(start, end)}
            toks = [t for i, t in enumerate(toks) if i not in drop]
        return toks, self._concepts.find(toks) if self._concepts else []

    def _features(self, text: str) -> tuple[Counter[str], Counter[str]]:
        """A document's features: every vocabulary phrase adds its concept."""
        toks, found = self._content(text)
        return _features(toks, [label for _, _, label in found])

    def _query(self, text: str) -> tuple[Counter[str], Counter[str], set[str]]:
        """A message's features, and the vocabulary concepts it names (none: no labour signal).

        A concept is added only for a phrase the knowledge base never uses itself
        (a new spelling, a word staff taught it): a word the examples use already
        says which entries it belongs to, and its concept would only pull in
        every entry of the same wide subject.
        """
        toks, found = self._content(text)
        known = self._terms.columns([_phrase_feature(toks[start:end]) for start, end, _ in found]).tolist()
        concepts = [label for (_, _, label), col in zip(found, known) if col < 0]
        words, chars = _features(toks, concepts)
        return words, chars, {label for _, _, label in found}

    def _block(self, feats: Counter[str]) -> dict[str, float]:
        # A feature the knowledge base never uses gets the highest weight: words
        # like "biryani" or "passport" say the message is about something else,
        # and must lower its similarity to every entry.
        idf, unseen = self._idf_list, self._unseen_idf
        cols = self._terms.columns(list(feats)).tolist()
        return _unit({f: (1 + math.log(c)) * (idf[col] if col >= 0 else unseen) for (f, c), col in zip(feats.items(), cols)})

    def _vector(self, words: Counter[str], chars: Counter[str]) -> dict[str, float]:
        vec = {f: w * _WORDS for f, w in self._block(words).items()}
        vec.update((f, w * _CHARS) for f, w in self._block(chars).items())
        return _unit(vec)

    # -- scores -------------------------------------------------------------------------

    def _lookup(self, words: Counter[str], chars: Counter[str]) -> tuple[np.ndarray, np.ndarray]:
        """A message's vector (as :meth:`_vector` makes it, in numpy) as (columns, weights) of the features the
        index knows, in the vector's order: words, then characters."""
        n_words, n = len(words), len(words) + len(chars)
        cols = self._terms.columns([*words, *chars])
        counts = np.fromiter(itertools.chain(words.values(), chars.values()), dtype=np.float64, count=n)
        known = cols >= 0
        weights = (1 + np.log(counts)) * np.where(known, self._idf[cols], self._unseen_idf)
        for block, share in ((weights[:n_words], _WORDS), (weights[n_words:], _CHARS)):  # each block a unit vector,
            norm = np.sqrt(block @ block)  # weighted; then the whole
            if norm:
                block /= norm
                block *= share
        norm = np.sqrt(weights @ weights)
        if norm:
            weights /= norm
        return cols[known], weights[known]

    def _scores(self, queries: list[tuple[np.ndarray, np.ndarray]], exclude_doc: int | None) -> np.ndarray:
        """Each query's score for every class (one row a query), all in one pass over the index."""
        n_classes = len(self._has_docs)
        doc_scores = self._doc_index.dot(queries)
        if exclude_doc is not None:  # the first query's own document, left out (kb check's self-test)
            doc_scores[0, exclude_doc] = 0.0
        best = np.maximum.reduceat(doc_scores, self._starts, axis=1) if doc_scores.shape[1] else \
            np.zeros((len(queries), n_classes))
        best = np.where(self._has_docs, best, 0.0)
        similarity = _BEST * best + (1 - _BEST) * self._centroid_index.dot(queries)
        # Not clipped at 1: two entries a message fits very well must still be told apart by how well.
        return np.maximum(similarity * _CONFIDENCE_SCALE, 0.0)

    def _coverage(self, words: dict[str, float], idx: int) -> float:
        """Share of the message's word weight that the class's own questions use."""
        known = self._class_words.get(idx)
        if known is None:
            cols = self._word_cols[self._words_at[idx] : self._words_at[idx + 1]].tolist()
            known = self._class_words[idx] = set(self._terms.names(cols))
        return sum(w * w for f, w in words.items() if f in known)

    def _similarity(self, text: str, words: Counter[str], chars: Counter[str],
                    exclude_doc: int | None = None) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """(the whole message's scores for every class; those scores raised where one clause alone fits a class
        better; the message's looked-up vector, for the classifier). The message and its clauses are scored in one
        pass over the index: a story of ten clauses costs about what one message does."""
        query = self._lookup(words, chars)
        if not words or not len(self._has_docs):
            zeros = np.zeros(len(self._has_docs))
            return zeros, zeros, query
        clauses = []
        if _word_count(words) >= _MIN_SPLIT_WORDS:
            # A clause with the message's own words, or another clause's, cannot raise a score (the message's own
            # can when the message's scores leave a document out: kb check's self-test).
            seen = [(words, chars)] if exclude_doc is None else []
            for clause in _CLAUSE_BREAK.split(text):
                clause_words, clause_chars, _ = self._query(clause)
                if _word_count(clause_words) >= 2 and (clause_words, clause_chars) not in seen:
                    seen.append((clause_words, clause_chars))
                    clauses.append(self._lookup(clause_words, clause_chars))
        scores = self._scores([query, *clauses], exclude_doc)
        whole = scores[0]
        combined = np.maximum(whole, (_CLAUSE_WEIGHT * scores[1:]).max(axis=0)) if clauses else whole
        return whole, combined, query

    def similarities(self, text: str) -> dict[str, float]:
        """How close ``text`` is to every entry and out-of-scope group, by id (for staff tools: guesses)."""
        words, chars, _ = self._query(text)
        scores = self._similarity(text, words, chars)[1]
        return dict(zip(self.entry_ids + self.group_ids, map(float, scores)))

    # -- decision -------------------------------------------------------------------------

    def speaks_of_work(self, text: str) -> bool:
        """Whether ``text`` has a word of the vocabulary (wage, salary, tankhwa, پگهار...): a labour signal.

        "what do we do" has none, though its wording is close enough to one entry's questions to be answered."""
        return bool(self._content(text)[1])

    def smalltalk(self, text: str) -> str | None:
        """The kind of small talk (``greeting``, ``thanks``...) when the message is nothing else."""
        toks = tokens(text)
        found = self._smalltalk.find(toks) if self._smalltalk else []
        covered = {i for start, end, _ in found for i in range(start, end)}
        rest = [t for i, t in enumerate(toks) if i not in covered and t not in self._filler]
        return found[0][2] if found and not rest else None

    def match(self, text: str, exclude_doc: int | None = None) -> Match:
        kind = self.smalltalk(text)
        if kind:
            return Match("smalltalk", None, (), kind)
        word_feats, char_feats, concepts = self._query(text)
        signal = bool(concepts)
        whole, similarity, query = self._similarity(text, word_feats, char_feats, exclude_doc)
        if not whole.any():  # nothing in the message that the knowledge base knows
            return Match("declined", None, ())
        # Rank by similarity and the classifier together; decide on similarity, whose scale the thresholds know.
        ranking = similarity
        if exclude_doc is None:  # the classifier has learnt every document: leaving one out is for similarity only
            ranking = similarity + _CLASSIFIER * self._classifier.probabilities(*query)
        entries, groups = ranking[: self._n_entries], ranking[self._n_entries :]
        t = self.thresholds
        top = np.argsort(-entries, kind="stable")[:3]
        near = similarity[self._n_entries :] >= t.floor  # the classifier alone never sends a worker elsewhere
        margin = t.out_of_scope * (1 + t.out_of_scope_concept * max(len(concepts) - 1, 0))
        if near.any() and groups[near].max() >= entries[top[0]] * margin:
            group = self.group_ids[int(np.where(near, groups, -1.0).argmax())]
            return Match("redirected", None, (), group)
        entries = similarity[: self._n_entries]
        best_score = float(entries[top[0]])
        words = self._block(word_feats)
        ranked = [Candidate(self.entry_ids[i], round(min(float(entries[i]), 1.0) * self._coverage(words, i) ** _COVERAGE_POWER, 4))
                  for i in top]
        best = ranked[0]
        # Labour signal: a vocabulary concept, or wording the best entry's own questions use.
        if best_score < t.floor or (not signal and best.confidence < t.suggest):
            return Match("declined", None, ())
        floor = t.suggest * 0.75
        alternatives = tuple(c for c in ranked[1:] if c.confidence >= floor)
        close_call = bool(alternatives) and alternatives[0].confidence >= best.confidence * t.ambiguity
        needed = t.story_answer if len(text.split()) > t.story_words else t.answer
        confident = best.confidence >= needed and not close_call
        return Match("answered" if confident else "suggested", best, alternatives)


class _Classifier:
    """Logistic regression over the documents' vectors: which class a message belongs to.

    The centroid similarity says how like an entry a message is; the classifier
    learns which features tell neighbouring entries apart (maternity leave from
    maternity job protection), which a centroid cannot. Ranking uses both.
    Trained with scikit-learn (imported only to train); scoring needs only its weights.
    """

    def __init__(self, n_features: int, index: Mapping[str, np.ndarray], n_classes: int):
        self.n_classes = n_classes
        # Feature -> each class's weight (one column for two classes: scikit-learn's binary form).
        self.classes: np.ndarray = index["clf_classes"]
        self.intercept: np.ndarray = index["clf_intercept"]
        self.weights: np.ndarray = index["clf_weights"]
        if len(self.classes) and self.weights.shape != (n_features, len(self.intercept)):
            raise ValueError("the classifier's weights do not fit the features")
        self._scratch = _Scratch()

    @staticmethod
    def train(column: dict[str, int], doc_vectors: list[dict[str, float]], doc_class: np.ndarray) -> dict[str, np.ndarray]:
        if not 2 <= len(set(doc_class.tolist())) <= _CLASSIFIER_MAX_CLASSES:
            return {"clf_classes": np.zeros(0, dtype=np.int32), "clf_intercept": np.zeros(0),
                    "clf_weights": np.zeros((0, 0))}
        import scipy.sparse as sparse
        from sklearn.linear_model import SGDClassifier

        data: list[float] = []
        cols: list[int] = []
        indptr = [0]
        for vec in doc_vectors:
            for f, w in vec.items():
                cols.append(column[f])
                data.append(w)
            indptr.append(len(cols))
        matrix = sparse.csr_matrix((data, cols, indptr), shape=(len(doc_vectors), len(column)))
        # A fixed number of passes, not a tolerance: the same index every load (random_state too).
        model = SGDClassifier(loss="log_loss", alpha=_CLASSIFIER_ALPHA, max_iter=_CLASSIFIER_EPOCHS, tol=None,
                              random_state=0)
        model.fit(matrix, doc_class)
        return {"clf_classes": model.classes_.astype(np.int32), "clf_intercept": model.intercept_.copy(),
                "clf_weights": model.coef_.T.copy()}

    def probabilities(self, cols: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Each class's probability for a message's vector, as columns and weights (zeros without a model).

        Computed as scikit-learn's one-vs-rest ``predict_proba`` does (the
        logistic of each class's decision, normalised to sum to one; for two
        classes, the logistic of the one decision and its complement), from the
        rows of the weight matrix the message's features select.
        """
        out = np.zeros(self.n_classes)
        if not len(self.classes):
            return out
        decision = self.intercept.copy()
        if len(cols):
            selected = self._scratch.array("selected", len(cols), np.float64, self.weights.shape[1])
            np.take(self.weights, cols, axis=0, out=selected, mode="clip")
            decision += weights @ selected
        prob = 1.0 / (1.0 + np.exp(-decision))
        if len(self.classes) == 2:
            out[self.classes] = (1.0 - prob[0], prob[0])
        else:
            out[self.classes] = prob / prob.sum()
        return out


def phrase_lists(kb: KnowledgeBase) -> PhraseLists:
    """The phrases the matcher looks for: vocabulary words by concept, story words, small talk by kind, and the
    filler words small talk may have beside it."""
    vocab = kb.vocabulary
    return {"concepts": [(w, g) for g, words in vocab.groups.items() for w in words],
            "story": [(w, "") for w in vocab.story],
            "smalltalk": [(p, s.id) for s in kb.smalltalk for p in s.phrases],
            "filler": [(w, "") for w in kb.smalltalk_filler]}


def _class_texts(kb: KnowledgeBase) -> list[list[str]]:
    """Each class's documents: an entry's titles, keywords and examples; an out-of-scope group's examples."""
    texts = [[*e.title.values(), *e.keywords, *(q for qs in e.examples.values() for q in qs)] for e in kb.entries]
    return texts + [[q for qs in g.examples.values() for q in qs] for g in kb.out_of_scope]


def index_inputs(kb: KnowledgeBase) -> bytes:
    """Everything of the knowledge base the index is a function of, as bytes to hash (the cache's key); the
    ids too, which the index does not hold but what is cached beside it may (kb check's findings)."""
    vocab = kb.vocabulary
    ids = [e.id for e in kb.entries] + [g.id for g in kb.out_of_scope]
    return json.dumps([ids, _class_texts(kb), sorted((g, list(w)) for g, w in vocab.groups.items()), list(vocab.story)],
                      ensure_ascii=False).encode("utf-8")


def _unit(vec: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vec.values()))
    return {f: v / norm for f, v in vec.items()} if norm else {}


class _Scratch(threading.local):
    """Work arrays reused from one message to the next, one set per thread: a long message's products touch
    about 100,000 postings, and fresh temporaries of that size cost more in page faults than the arithmetic."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}
        self.count = np.arange(0)

    def array(self, name: str, rows: int, dtype: type, width: int = 0) -> np.ndarray:
        """The first ``rows`` rows of the work array ``name`` (one value a row, or ``width``), grown as needed."""
        have = self._arrays.get(name)
        if have is None or len(have) < rows:
            have = self._arrays[name] = np.empty((max(rows, 2 * len(have) if have is not None else 0),
                                                  *((width,) if width else ())), dtype=dtype)
        return have[:rows]

    def counting(self, size: int) -> np.ndarray:
        """0, 1, 2... ``size - 1``."""
        if len(self.count) < size:
            self.count = np.arange(max(size, 2 * len(self.count)), dtype=np.int64)
        return self.count[:size]


class _Postings:
    """Feature -> (row ids, weights): a sparse matrix stored by column (CSC) for fast query products."""

    def __init__(self, n_features: int, index: Mapping[str, np.ndarray], name: str, n: int):
        self.n = n
        self.indptr: np.ndarray = index[f"{name}_indptr"]
        self.weights: np.ndarray = index[f"{name}_weights"]
        rows = index[f"{name}_rows"]
        if len(self.indptr) != n_features + 1 or len(rows) != len(self.weights) or (len(rows) and rows.max() >= n):
            raise ValueError(f"the {name} postings do not fit the features")
        self.rows: np.ndarray = rows.astype(np.int64)  # as np.bincount takes them, gathered without a cast
        self._scratch = _Scratch()

    @staticmethod
    def arrays(column: dict[str, int], rows: list[dict[str, float]], name: str) -> dict[str, np.ndarray]:
        n = sum(map(len, rows))
        cols = np.fromiter((column[f] for vec in rows for f in vec), dtype=np.int64, count=n)
        weights = np.fromiter((w for vec in rows for w in vec.values()), dtype=np.float64, count=n)
        row_ids = np.repeat(np.arange(len(rows), dtype=np.int32), [len(vec) for vec in rows])
        by_column = np.argsort(cols, kind="stable")  # stable: each column's rows stay in ascending order
        return {f"{name}_indptr": np.concatenate([[0], np.cumsum(np.bincount(cols, minlength=len(column)))]).astype(np.int64),
                f"{name}_rows": row_ids[by_column], f"{name}_weights": weights[by_column]}

    def dot(self, queries: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Each query's (columns, weights) product with every row: one row of the result a query.

        Every selected column's postings are gathered in query order, each multiplied by its query weight, and
        each query's summed into its rows in that order (into reused arrays)."""
        cols = np.concatenate([c for c, _ in queries])
        qweights = np.concatenate([w for _, w in queries])
        starts = self.indptr[cols]
        lengths = self.indptr[cols + 1] - starts
        bounds = np.concatenate([[0], np.cumsum(lengths)])  # column j's postings: [bounds[j], bounds[j + 1])
        total = int(bounds[-1])
        scratch = self._scratch
        positions, rows = scratch.array("positions", total, np.int64), scratch.array("rows", total, np.int64)
        weights = scratch.array("weights", total, np.float64)
        # each posting's position: its column's start, counting up inside the column
        np.add(np.repeat(starts - bounds[:-1], lengths), scratch.counting(total), out=positions)
        np.take(self.weights, positions, out=weights, mode="clip")
        np.multiply(weights, np.repeat(qweights, lengths), out=weights)
        np.take(self.rows, positions, out=rows, mode="clip")
        # query i's postings: [edges[i], edges[i + 1])
        edges = bounds[np.cumsum([0] + [len(c) for c, _ in queries])].tolist()
        out = np.empty((len(queries), self.n))
        for i, (a, b) in enumerate(zip(edges, edges[1:])):
            out[i] = np.bincount(rows[a:b], weights=weights[a:b], minlength=self.n)
        return out

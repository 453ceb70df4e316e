"""Finding known phrases (one or more normalised words) in a message's tokens.

Staff write vocabulary groups, story words and small-talk phrases as plain text
("kam se kam", "thank you", "گهٽ ۾ گهٽ"); this turns them into token sequences
and finds the longest one starting at each position of a message.

Turning some 4,000 phrases into tokens was a third of a cached start's work: the matcher and the danger detector
name their phrase lists (``phrase_lists(kb)``), and the knowledge store keeps the lists' tokens in the index cache
(:func:`pack`, :func:`unpack`), keyed by a digest of the lists themselves, so a start with unchanged lists reads them.
"""

from __future__ import annotations

import json
from itertools import islice
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

from bot.understanding.text import tokens

if TYPE_CHECKING:
    import numpy as np

# Phrase lists by name: each phrase with its label (a concept, a danger kind; "" where none is needed).
PhraseLists = Mapping[str, Sequence[tuple[str, str]]]
# The same lists with each phrase as its tokens.
Tokenised = Mapping[str, Sequence[tuple[tuple[str, ...], str]]]


def tokenise(lists: PhraseLists) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    return {name: [(tuple(tokens(phrase)), label) for phrase, label in phrases] for name, phrases in lists.items()}


def pack(tokenised: Tokenised) -> dict[str, np.ndarray]:
    """The tokenised lists as arrays: each list's name and length (JSON), every phrase's tokens as a line of UTF-8
    text (a token is letters or digits: never a space or a newline), and each phrase's label as its number among
    the labels (JSON)."""
    import numpy as np

    rows = [(toks, label) for phrases in tokenised.values() for toks, label in phrases]
    labels = list(dict.fromkeys(label for _, label in rows))
    number = {label: i for i, label in enumerate(labels)}

    def utf8(text: str) -> np.ndarray:
        return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)

    return {"lists": utf8(json.dumps([[name, len(phrases)] for name, phrases in tokenised.items()])),
            "tokens": utf8("\n".join(" ".join(toks) for toks, _ in rows)),
            "labels": utf8(json.dumps(labels, ensure_ascii=False)),
            "label_of": np.array([number[label] for _, label in rows], dtype=np.int32)}


def unpack(arrays: Mapping[str, np.ndarray]) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """The lists :func:`pack` made arrays of; ValueError, IndexError or TypeError when the arrays do not hold them."""
    sizes = [(str(name), int(size)) for name, size in json.loads(arrays["lists"].tobytes().decode("utf-8"))]
    total = sum(size for _, size in sizes)
    lines = arrays["tokens"].tobytes().decode("utf-8").split("\n") if total else []
    labels = [str(label) for label in json.loads(arrays["labels"].tobytes().decode("utf-8"))]
    label_of = arrays["label_of"].tolist()
    if len(lines) != total or len(label_of) != total:
        raise ValueError("the cached phrases are not the lists'")
    rows = iter(zip(lines, label_of))
    return {name: [(tuple(line.split(" ")) if line else (), labels[i]) for line, i in islice(rows, size)]
            for name, size in sizes}


class PhraseIndex:
    """Phrases, each as its tokens with a label, found longest first, without overlaps."""

    def __init__(self, tokenised: Iterable[tuple[tuple[str, ...], str]]):
        self._by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for toks, label in tokenised:
            if toks:
                self._by_first.setdefault(toks[0], []).append((toks, label))
        for options in self._by_first.values():
            options.sort(key=lambda option: -len(option[0]))

    def __bool__(self) -> bool:
        return bool(self._by_first)

    def find(self, toks: list[str]) -> list[tuple[int, int, str]]:
        """(start, end, label) of each phrase found in ``toks``, scanning left to right."""
        found = []
        i = 0
        while i < len(toks):
            for phrase, label in self._by_first.get(toks[i], ()):
                if tuple(toks[i : i + len(phrase)]) == phrase:
                    found.append((i, i + len(phrase), label))
                    i += len(phrase)
                    break
            else:
                i += 1
        return found

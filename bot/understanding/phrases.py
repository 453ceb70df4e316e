"""Finding known phrases (one or more normalised words) in a message's tokens.

Staff write vocabulary groups, story words and small-talk phrases as plain text
("kam se kam", "thank you", "گهٽ ۾ گهٽ"); this turns them into token sequences
and finds the longest one starting at each position of a message.

Turning some 4,000 phrases into tokens was a third of a cached start's work: the matcher and the danger detector
name their phrase lists (``phrase_lists(kb)``), and the knowledge store keeps the lists' tokens in the index cache
(:func:`pack`, :func:`unpack`), keyed by the lists themselves, so a start with unchanged lists reads them.
"""

from __future__ import annotations

import json
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
    """The tokenised lists as one array: the UTF-8 JSON of each list's phrases, each as its label and tokens."""
    import numpy as np

    rows = [[[label, *toks] for toks, label in phrases] for phrases in tokenised.values()]
    return {"phrases": np.frombuffer(json.dumps(rows, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)}


def unpack(lists: PhraseLists, arrays: Mapping[str, np.ndarray]) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """What :func:`pack` made of ``lists``; ValueError when the arrays do not hold lists of their lengths and labels."""
    rows = json.loads(arrays["phrases"].tobytes().decode("utf-8"))
    if len(rows) != len(lists):
        raise ValueError("the cached phrases are not the lists'")
    out = {}
    for (name, phrases), cached in zip(lists.items(), rows):
        if len(cached) != len(phrases) or any(row[0] != label for row, (_, label) in zip(cached, phrases)):
            raise ValueError(f"the cached {name} phrases are not the list's")
        out[name] = [(tuple(row[1:]), row[0]) for row in cached]
    return out


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

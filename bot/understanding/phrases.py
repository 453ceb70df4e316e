"""Finding known phrases (one or more normalised words) in a message's tokens.

Staff write vocabulary groups, story words and small-talk phrases as plain text
("kam se kam", "thank you", "گهٽ ۾ گهٽ"); this turns them into token sequences
and finds the longest one starting at each position of a message.
"""

from __future__ import annotations

from typing import Iterable

from bot.understanding.text import tokens


class PhraseIndex:
    """Phrases, each with a label, found longest first, without overlaps."""

    def __init__(self, labelled: Iterable[tuple[str, str]]):
        self._by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for phrase, label in labelled:
            toks = tuple(tokens(phrase))
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

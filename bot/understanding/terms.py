"""A trained model's terms (words, n-grams) and their columns, looked up with numpy until a dict pays.

The matcher's index and the danger detector's vocabularies name some 35,000 terms each: making a dict of them
costs about 5 ms, a twentieth of a cached ``main.py ask``. Kept instead as fixed-width UTF-8 bytes in sorted order,
beside each one's column, they are two arrays of the index cache, read as they are, and a message's terms are
found with one binary search over them (about 60 us for 250 terms). A dict finds them in a tenth of that: after
:data:`DICT_AFTER` lookups (a few messages, in a process that answers many) the terms are made into one. Both
give the same columns.
"""

from __future__ import annotations

import itertools
from typing import Mapping, Sequence

import numpy as np


# Lookups by binary search before the terms are made into a dict (a one-question command never makes it).
DICT_AFTER = 64


class Terms:
    """Terms by column; :meth:`columns` finds a message's terms among them."""

    def __init__(self, arrays: Mapping[str, np.ndarray], name: str):
        table, columns = arrays[f"{name}_sorted"], arrays[f"{name}_columns"]
        if table.ndim != 2 or table.dtype != np.uint8 or len(table) != len(columns):
            raise ValueError(f"the {name} terms are not a table of their columns")
        self._width = max(table.shape[1], 1)
        self._sorted = table.reshape(-1).view(f"S{table.shape[1]}") if table.shape[1] else np.zeros(len(table), "S1")
        self._columns = columns.astype(np.int64)
        self._row_of: np.ndarray | None = None  # each column's row in the table, when names are first asked for
        self._lookups = 0
        self._column: dict[str, int] | None = None
        if len(self._sorted) > 1 and not bool(np.all(self._sorted[:-1] < self._sorted[1:])):
            raise ValueError(f"the {name} terms are not in order")

    def __len__(self) -> int:
        return len(self._sorted)

    @staticmethod
    def arrays(terms: Sequence[str], name: str) -> dict[str, np.ndarray]:
        """``terms`` (the term of each column, no two alike) as the arrays :class:`Terms` reads."""
        encoded = [term.encode("utf-8") for term in terms]
        width = max(map(len, encoded), default=0)
        fixed = np.array(encoded, dtype=f"S{max(width, 1)}")
        order = np.argsort(fixed, kind="stable")
        table = fixed[order].view(np.uint8).reshape(len(terms), max(width, 1))[:, :width]
        return {f"{name}_sorted": np.ascontiguousarray(table), f"{name}_columns": order.astype(np.int32)}

    def names(self, columns: Sequence[int]) -> list[str]:
        """The terms of ``columns``."""
        if self._row_of is None:
            row_of = np.empty(len(self._columns), dtype=np.int64)
            row_of[self._columns] = np.arange(len(self._columns))
            self._row_of = row_of
        return [term.decode("utf-8") for term in self._sorted[self._row_of[list(columns)]].tolist()]

    def columns(self, grams: Sequence[str]) -> np.ndarray:
        """Each of ``grams``' column, -1 for a term the model does not know."""
        if self._column is not None:
            return np.fromiter(map(self._column.get, grams, itertools.repeat(-1)), dtype=np.int64, count=len(grams))
        self._lookups += 1
        if self._lookups > DICT_AFTER:
            self._column = dict(zip([term.decode("utf-8") for term in self._sorted.tolist()], self._columns.tolist()))
        if not len(self._sorted) or not grams:
            return np.full(len(grams), -1, dtype=np.int64)
        encoded = [gram.encode("utf-8") for gram in grams]
        query = np.array(encoded, dtype=self._sorted.dtype)  # a longer gram is cut here: never counted, below
        fits = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)) <= self._width
        at = np.minimum(np.searchsorted(self._sorted, query), len(self._sorted) - 1)
        return np.where(fits & (self._sorted[at] == query), self._columns[at], -1)

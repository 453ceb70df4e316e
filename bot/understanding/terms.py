"""A trained model's terms (words, n-grams) and their columns, looked up with numpy instead of a dict.

The danger detector's vocabularies name some 36,000 terms: making a dict of them costs about 5 ms at every start.
Kept instead as fixed-width UTF-8 bytes in sorted order, beside each one's column, they are two arrays of the
index cache, read as they are, and a message's terms are found with one binary search over them.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np


class Terms:
    """Terms by column; :meth:`columns` finds a message's terms among them."""

    def __init__(self, arrays: Mapping[str, np.ndarray], name: str):
        table, columns = arrays[f"{name}_sorted"], arrays[f"{name}_columns"]
        if table.ndim != 2 or table.dtype != np.uint8 or len(table) != len(columns):
            raise ValueError(f"the {name} terms are not a table of their columns")
        self._width = max(table.shape[1], 1)
        self._sorted = table.reshape(-1).view(f"S{table.shape[1]}") if table.shape[1] else np.zeros(len(table), "S1")
        self._columns = columns.astype(np.int64)
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

    def columns(self, grams: Sequence[str]) -> np.ndarray:
        """Each of ``grams``' column, -1 for a term the model does not know."""
        if not len(self._sorted) or not grams:
            return np.full(len(grams), -1, dtype=np.int64)
        encoded = [gram.encode("utf-8") for gram in grams]
        query = np.array(encoded, dtype=self._sorted.dtype)  # a longer gram is cut here: never counted, below
        fits = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)) <= self._width
        at = np.minimum(np.searchsorted(self._sorted, query), len(self._sorted) - 1)
        return np.where(fits & (self._sorted[at] == query), self._columns[at], -1)

"""``gaps``: the questions the bot declined or was unsure of, grouped by similarity, most frequent first.

Staff read it to decide which entries to write next, or which examples to add.
"""

from __future__ import annotations

import re
import sqlite3
import zlib
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from bot.understanding.matcher import features
from bot.research.reports import Filters

SIMILAR = 0.45  # cosine similarity above which two questions count as the same gap
MAX_TEXTS = 5_000  # distinct texts grouped, most asked first; the rarest beyond this are only counted
_DIMS = 4096  # features are hashed into this many dimensions: fixed memory, rare harmless collisions
# Control characters and direction overrides: printed raw, a question could clear the terminal or fake its output.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with control characters shown as escapes (\\x1b), safe to print to a terminal."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


@dataclass
class Gap:
    texts: Counter = field(default_factory=Counter)
    langs: Counter = field(default_factory=Counter)
    guesses: Counter = field(default_factory=Counter)
    forms: dict = field(default_factory=dict)  # each text's language form (its most common, as logged)

    @property
    def count(self) -> int:
        return sum(self.texts.values())


@dataclass
class Gaps:
    groups: list[Gap]
    ungrouped: int = 0  # questions whose text was rarer than the MAX_TEXTS most asked
    ungrouped_texts: int = 0


def _vector(text: str) -> np.ndarray:
    """Unit vector of the text's word and character features (1 + log count), hashed with a stable hash."""
    words, chars = features(text)
    vec = np.zeros(_DIMS, dtype=np.float32)
    for f, c in (words + chars).items():
        vec[zlib.crc32(f.encode()) % _DIMS] += 1 + np.log(c)
    norm = np.linalg.norm(vec)
    return vec / norm if norm else vec


def find_gaps(db: sqlite3.Connection, filters: Filters, low_confidence: float = 0.5) -> Gaps:
    """Declined questions and questions answered with low confidence, grouped by similarity.

    Leader clustering, most asked text first: a text joins the most similar group
    whose first text is at least SIMILAR to it, or starts a new group.
    """
    where, args = filters.where()
    and_ = " AND " if where else " WHERE "
    rows = db.execute(
        f"SELECT text, lang_form, entry_id, COUNT(*) AS n FROM queries{where}{and_}kind = 'text' AND text IS NOT NULL "
        f"AND outcome != 'smalltalk' AND (outcome != 'answered' OR confidence < ?) GROUP BY text, lang_form, entry_id ORDER BY n DESC, text",
        args + [low_confidence],
    ).fetchall()
    result = Gaps(groups=[])
    leaders = np.zeros((min(len(rows), MAX_TEXTS), _DIMS), dtype=np.float32)
    group_of: dict[str, Gap] = {}
    for text, lang, guess, n in rows:
        gap = group_of.get(text)
        if gap is None:
            if len(group_of) >= MAX_TEXTS:
                result.ungrouped += n
                result.ungrouped_texts += 1
                continue
            vec = _vector(text)
            count = len(result.groups)
            sims = leaders[:count] @ vec if count else np.empty(0)
            best = int(np.argmax(sims)) if count else -1
            if best < 0 or sims[best] < SIMILAR:
                leaders[count] = vec
                result.groups.append(Gap())
                best = count
            gap = group_of[text] = result.groups[best]
        gap.texts[text] += n
        gap.langs[lang or "?"] += n
        gap.forms.setdefault(text, lang)
        if guess:
            gap.guesses[guess] += n
    result.groups.sort(key=lambda g: -g.count)
    return result


def format_gaps(found: Gaps, limit: int = 30) -> str:
    gaps = found.groups
    if not gaps:
        return "No declined or unsure questions in this period."
    total = sum(g.count for g in gaps) + found.ungrouped
    lines = [f"{total} questions the bot declined or was unsure of, in {len(gaps)} groups (most asked first):", ""]
    for i, g in enumerate(gaps[:limit], 1):
        langs = ", ".join(f"{lang} {n}" for lang, n in g.langs.most_common())
        guess = f"; closest entry: {g.guesses.most_common(1)[0][0]}" if g.guesses else ""
        lines.append(f"{i}. {g.count} × ({langs}{guess})")
        for text, n in g.texts.most_common(3):
            lines.append(f"     {n} × {printable(text)}")
    if len(gaps) > limit:
        lines.append(f"... and {len(gaps) - limit} more groups (use --limit)")
    if found.ungrouped:
        lines.append(f"... and {found.ungrouped} questions with {found.ungrouped_texts} rarer texts, not grouped "
                     f"(narrow the dates, or see them all with `main.py export`)")
    return "\n".join(lines)

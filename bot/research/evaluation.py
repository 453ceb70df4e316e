"""``eval``: how well the bot answers a question set (format: a YAML list of text/lang/expect)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.conversation.answers import respond
from bot.knowledge.store import KnowledgeStore
from bot.understanding.language import LANGUAGE_FORMS

# Shares reported for a question set, in the order the table prints them:
#   top1             right entry first: answered outright, or the first of the suggestions
#   answered_right   answered outright with a right entry
#   suggested_right  not sure, but a right entry is among the suggestions offered
#   top3             a right entry among the (up to three) candidates
#   wrong_outright   answered outright with a wrong entry (of all questions, out-of-scope ones included)
#   declined         in-scope questions that got no entry at all (declined, redirected or small talk)
#   abstain          out-of-scope questions that got no entry (declined or redirected)
#   lang_detect      the language form detected as labelled
#   reply_lang       answered in the form it was written in, by a chat that chose no language (Roman Urdu in Roman Urdu)
METRICS = ("top1", "answered_right", "suggested_right", "top3", "wrong_outright", "declined", "abstain", "lang_detect",
           "reply_lang")
# Message length in words: under 6, 6 to 15, over 15 (workers telling what happened).
LENGTHS = ("<6", "6-15", ">15")


@dataclass(frozen=True)
class Item:
    text: str
    lang: str
    expect: tuple[str, ...]

    @property
    def length(self) -> str:
        words = len(self.text.split())
        return LENGTHS[0] if words < 6 else LENGTHS[1] if words <= 15 else LENGTHS[2]


@dataclass(frozen=True)
class Outcome:
    item: Item
    detected: str | None
    outcome: str
    candidates: tuple[str, ...]
    reply_lang: str = ""

    @property
    def in_scope(self) -> bool:
        return bool(self.item.expect)

    @property
    def offered(self) -> bool:
        """An entry was answered or suggested."""
        return self.outcome in ("answered", "suggested")

    @property
    def entry_id(self) -> str | None:
        return self.candidates[0] if self.offered and self.candidates else None

    @property
    def top1(self) -> bool:
        return self.entry_id in self.item.expect

    @property
    def top3(self) -> bool:
        return self.offered and any(c in self.item.expect for c in self.candidates)

    @property
    def answered_right(self) -> bool:
        return self.outcome == "answered" and self.top1

    @property
    def suggested_right(self) -> bool:
        return self.outcome == "suggested" and self.top3

    @property
    def wrong_outright(self) -> bool:
        return self.outcome == "answered" and not self.top1

    @property
    def lang_ok(self) -> bool:
        return self.detected == self.item.lang

    @property
    def reply_ok(self) -> bool:
        return self.reply_lang == self.item.lang


def load_items(path: Path) -> list[Item]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a YAML list of items with text, lang and expect")
    items = []
    for n, raw in enumerate(data, 1):
        if not isinstance(raw, dict) or not isinstance(raw.get("text"), str) or raw.get("lang") not in LANGUAGE_FORMS or not isinstance(raw.get("expect"), list):
            raise ValueError(f"{path}: item {n} needs text, lang (one of {', '.join(LANGUAGE_FORMS)}) and expect (a list)")
        items.append(Item(raw["text"], raw["lang"], tuple(raw["expect"])))
    return items


def run(store: KnowledgeStore, items: list[Item]) -> list[Outcome]:
    outcomes = []
    for item in items:
        reply = respond(store, item.text)
        cands = tuple(c.entry_id for c in reply.match.candidates)
        outcomes.append(Outcome(item, reply.detected_lang, reply.match.outcome, cands, reply.reply_lang))
    return outcomes


def _share(hits: list[bool]) -> float | None:
    return round(sum(hits) / len(hits), 4) if hits else None


def metrics(outcomes: list[Outcome]) -> dict:
    in_scope = [o for o in outcomes if o.in_scope]
    out_scope = [o for o in outcomes if not o.in_scope]
    return {
        "n": len(outcomes),
        "top1": _share([o.top1 for o in in_scope]),
        "answered_right": _share([o.answered_right for o in in_scope]),
        "suggested_right": _share([o.suggested_right for o in in_scope]),
        "top3": _share([o.top3 for o in in_scope]),
        "wrong_outright": _share([o.wrong_outright for o in outcomes]),
        "declined": _share([not o.offered for o in in_scope]),
        "abstain": _share([not o.offered for o in out_scope]),
        "lang_detect": _share([o.lang_ok for o in outcomes]),
        "reply_lang": _share([o.reply_ok for o in outcomes]),
    }


def summary(outcomes: list[Outcome]) -> dict:
    result = metrics(outcomes)
    result["by_lang"] = {
        lang: metrics([o for o in outcomes if o.item.lang == lang])
        for lang in LANGUAGE_FORMS
        if any(o.item.lang == lang for o in outcomes)
    }
    result["by_length"] = {
        length: metrics([o for o in outcomes if o.item.length == length])
        for length in LENGTHS
        if any(o.item.length == length for o in outcomes)
    }
    return result


def failures(outcomes: list[Outcome]) -> list[str]:
    lines = []
    for o in outcomes:
        problems = []
        if o.in_scope and not o.top1:
            problems.append(f"expected {'/'.join(o.item.expect)}, got {o.outcome} {o.entry_id or ''} (top3: {', '.join(o.candidates) or '-'})")
        if not o.in_scope and o.offered:
            problems.append(f"out of scope, but {o.outcome} {o.entry_id}")
        if not o.lang_ok:
            problems.append(f"language {o.item.lang} detected as {o.detected}")
        if problems:
            lines.append(f"[{o.item.lang}] {o.item.text!r}: " + "; ".join(problems))
    return lines


def format_table(result: dict) -> str:
    """One row per language form and per length, one column per metric ("-" where it does not apply)."""
    names = ("n",) + METRICS
    head = f"{'':<9}" + " ".join(f"{name:>{max(len(name), 5)}}" for name in names)

    def row(label: str, m: dict) -> str:
        cells = [f"{m['n']:>5}"] + [f"{'-' if m[k] is None else f'{m[k]:.3f}':>{max(len(k), 5)}}" for k in METRICS]
        return f"{label:<9}" + " ".join(cells)

    lines = [head, row("overall", result)]
    lines += [row(lang, m) for lang, m in result["by_lang"].items()]
    lines += [row(f"{length} w", m) for length, m in result["by_length"].items()]
    return "\n".join(lines)

"""``eval``: how well the bot answers a question set (format: a YAML list of text/lang/expect)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.answers import respond
from bot.knowledge.store import KnowledgeStore
from bot.language import LANGUAGE_FORMS

METRICS = ("top1", "top3", "abstain", "lang_detect")


@dataclass(frozen=True)
class Item:
    text: str
    lang: str
    expect: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    item: Item
    detected: str | None
    entry_id: str | None
    candidates: tuple[str, ...]

    @property
    def in_scope(self) -> bool:
        return bool(self.item.expect)

    @property
    def top1(self) -> bool:
        return self.entry_id in self.item.expect

    @property
    def top3(self) -> bool:
        return any(c in self.item.expect for c in self.candidates)

    @property
    def abstained(self) -> bool:
        return self.entry_id is None

    @property
    def lang_ok(self) -> bool:
        return self.detected == self.item.lang


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
        outcomes.append(Outcome(item, reply.detected_lang, reply.entry_id, cands))
    return outcomes


def _share(hits: list[bool]) -> float | None:
    return round(sum(hits) / len(hits), 4) if hits else None


def metrics(outcomes: list[Outcome]) -> dict:
    in_scope = [o for o in outcomes if o.in_scope]
    out_scope = [o for o in outcomes if not o.in_scope]
    return {
        "n": len(outcomes),
        "top1": _share([o.top1 for o in in_scope]),
        "top3": _share([o.top3 for o in in_scope]),
        "abstain": _share([o.abstained for o in out_scope]),
        "lang_detect": _share([o.lang_ok for o in outcomes]),
    }


def summary(outcomes: list[Outcome]) -> dict:
    result = metrics(outcomes)
    result["by_lang"] = {
        lang: metrics([o for o in outcomes if o.item.lang == lang])
        for lang in LANGUAGE_FORMS
        if any(o.item.lang == lang for o in outcomes)
    }
    return result


def failures(outcomes: list[Outcome]) -> list[str]:
    lines = []
    for o in outcomes:
        problems = []
        if o.in_scope and not o.top1:
            problems.append(f"expected {'/'.join(o.item.expect)}, got {o.entry_id or 'no answer'} (top3: {', '.join(o.candidates) or '-'})")
        if not o.in_scope and not o.abstained:
            problems.append(f"out of scope, but answered {o.entry_id}")
        if not o.lang_ok:
            problems.append(f"language {o.item.lang} detected as {o.detected}")
        if problems:
            lines.append(f"[{o.item.lang}] {o.item.text!r}: " + "; ".join(problems))
    return lines


def format_table(result: dict) -> str:
    def row(name: str, m: dict) -> str:
        cells = " ".join(f"{k}={'-' if m[k] is None else f'{m[k]:.3f}'}" for k in METRICS)
        return f"{name:<8} n={m['n']:<4} {cells}"

    return "\n".join([row("overall", result)] + [row(lang, m) for lang, m in result["by_lang"].items()])

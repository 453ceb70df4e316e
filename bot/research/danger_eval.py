"""``eval`` on a danger set (items ``{text, lang, danger: [kinds]}``; ``danger: []`` for a near miss).

Each message goes through the conversation as a worker's first message in a new chat, and only its FIRST reply
counts: recall is the share of danger messages whose first reply is an emergency message with a number; false
alarms, the share of near misses ("I was fired", "mara malik") whose first reply is one; right help, the share of
the danger messages alarmed on whose emergency message is the help for one of their kinds (a woman raped by an
employer's son shown the child helpline got the numbers, not the help she needed). All per form and per kind (a
message in danger of two kinds counts under each).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.conversation.dialogue import Conversation, Message
from bot.knowledge.facts import render
from bot.knowledge.model import DangerMessage
from bot.knowledge.store import KnowledgeStore
from bot.stores.preferences import Preferences
from bot.understanding.language import LANGUAGE_FORMS

# The numbers that make an emergency message one: at least one of them must be in it.
EMERGENCY_FACTS = ("police_emergency", "rescue_emergency", "women_helpline", "child_protection_helpline")


@dataclass(frozen=True)
class DangerOutcome:
    item: DangerMessage
    alarmed: bool  # the first reply was the emergency message with a number
    kind: str | None  # the kind whose help was shown


def is_danger_set(path: Path) -> bool:
    """A question set whose items carry ``danger:`` (not ``expect:``)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return isinstance(data, list) and bool(data) and isinstance(data[0], dict) and "danger" in data[0]


def load_danger_items(path: Path, kinds: set[str]) -> list[DangerMessage]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a YAML list of items with text, lang and danger")
    items = []
    for n, raw in enumerate(data, 1):
        if (not isinstance(raw, dict) or not isinstance(raw.get("text"), str) or raw.get("lang") not in LANGUAGE_FORMS
                or not isinstance(raw.get("danger"), list)):
            raise ValueError(f"{path}: item {n} needs text, lang (one of {', '.join(LANGUAGE_FORMS)}) and danger (a list)")
        unknown = [k for k in raw["danger"] if k not in kinds]
        if unknown:
            raise ValueError(f"{path}: item {n} names unknown kind(s) {', '.join(unknown)}; kinds: {', '.join(sorted(kinds))}")
        items.append(DangerMessage(raw["text"], raw["lang"], tuple(raw["danger"]), line=n))
    return items


def is_emergency(message: Message, numbers: set[str]) -> bool:
    """An emergency message (danger.yaml's help) that gives at least one emergency number."""
    return message.danger is not None and any(n in message.text for n in numbers)


def run(store: KnowledgeStore, items: list[DangerMessage]) -> list[DangerOutcome]:
    async def go() -> list[DangerOutcome]:
        prefs = Preferences(":memory:")
        await prefs.open()
        try:
            conversation = Conversation(store, prefs)
            facts = store.kb.facts
            numbers = {render(f"{{{f}}}", facts, "en") for f in EMERGENCY_FACTS if f in facts}
            out = []
            for n, item in enumerate(items):
                messages = await conversation.text(f"eval-{n}", f"eval-{n}", item.text, record=False)
                first = messages[0] if messages else None
                alarmed = first is not None and is_emergency(first, numbers)
                out.append(DangerOutcome(item, alarmed, first.danger if first is not None else None))
            return out
        finally:
            await prefs.close()

    return asyncio.run(go())


def _share(hits: list[bool]) -> float | None:
    return round(sum(hits) / len(hits), 4) if hits else None


def metrics(outcomes: list[DangerOutcome]) -> dict:
    danger = [o for o in outcomes if o.item.in_danger]
    near = [o for o in outcomes if not o.item.in_danger]
    return {"n": len(outcomes), "danger": len(danger), "near_misses": len(near),
            "recall": _share([o.alarmed for o in danger]), "false_alarms": _share([o.alarmed for o in near]),
            "right_help": _share([o.kind in o.item.kinds for o in danger if o.alarmed])}


def summary(outcomes: list[DangerOutcome]) -> dict:
    result = metrics(outcomes)
    result["by_lang"] = {lang: metrics([o for o in outcomes if o.item.lang == lang])
                         for lang in LANGUAGE_FORMS if any(o.item.lang == lang for o in outcomes)}
    kinds = sorted({k for o in outcomes for k in o.item.kinds})
    result["by_kind"] = {kind: metrics([o for o in outcomes if kind in o.item.kinds]) for kind in kinds}
    return result


def failures(outcomes: list[DangerOutcome]) -> list[str]:
    lines = []
    for o in outcomes:
        if o.item.in_danger and not o.alarmed:
            lines.append(f"[{o.item.lang}] missed ({'/'.join(o.item.kinds)}): {o.item.text!r}")
        elif o.item.in_danger and o.kind not in o.item.kinds:
            lines.append(f"[{o.item.lang}] help for {o.kind}, not {'/'.join(o.item.kinds)}: {o.item.text!r}")
        elif not o.item.in_danger and o.alarmed:
            lines.append(f"[{o.item.lang}] false alarm ({o.kind}): {o.item.text!r}")
    return lines


def format_table(result: dict) -> str:
    head = f"{'':<20}{'n':>5}{'danger':>8}{'near':>6}{'recall':>8}{'false_alarms':>14}{'right_help':>12}"

    def row(label: str, m: dict) -> str:
        def cell(v: float | None, width: int) -> str:
            return f"{'-' if v is None else f'{v:.3f}':>{width}}"

        return f"{label:<20}{m['n']:>5}{m['danger']:>8}{m['near_misses']:>6}{cell(m['recall'], 8)}{cell(m['false_alarms'], 14)}" \
            f"{cell(m['right_help'], 12)}"

    lines = [head, row("overall", result)]
    lines += [row(lang, m) for lang, m in result["by_lang"].items()]
    lines += [row(kind, m) for kind, m in result["by_kind"].items()]
    return "\n".join(lines)

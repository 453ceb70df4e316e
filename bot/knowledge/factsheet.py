"""``kb facts``: every fact with what workers read for it and the answers it changes.

A staff member about to change the minimum wage sees the figure as each language
shows it, where it comes from, when it was last checked and by whom, and every
entry whose answer uses it (in any language), so nothing is changed blind. Answers
that write a money figure or a phone number out instead of using the placeholder
are listed too: they will not change with the fact.
"""

from __future__ import annotations

from typing import Any

from fractions import Fraction

from bot.knowledge.facts import format_fact, placeholders
from bot.knowledge.model import ANSWER_LANGUAGES, Entry, Fact, KnowledgeBase
from bot.knowledge.translation import Figures, figures

Usage = list[tuple[Entry, tuple[str, ...]]]


def users(kb: KnowledgeBase) -> dict[str, Usage]:
    """For each fact id, the entries whose answers use it and in which languages (``{id}`` or ``{id.effective}``)."""
    out: dict[str, Usage] = {fact_id: [] for fact_id in kb.facts}
    for entry in kb.entries:
        langs: dict[str, list[str]] = {}
        for lang in ANSWER_LANGUAGES:
            for fact_id, _ in placeholders(entry.answer.get(lang, "")):
                if lang not in langs.setdefault(fact_id, []):
                    langs[fact_id].append(lang)
        for fact_id, used_in in langs.items():
            if fact_id in out:
                out[fact_id].append((entry, tuple(used_in)))
    return out


def written_out(kb: KnowledgeBase) -> dict[str, Usage]:
    """For each fact id, the entries that write its money figure or phone number out, not as a placeholder."""
    answers = {(e.id, lang): figures(e.answer[lang]) for e in kb.entries for lang in e.answer}
    out: dict[str, Usage] = {}
    for fact in kb.facts.values():
        out[fact.id] = []
        for entry in kb.entries:
            langs = tuple(lang for lang in entry.answer if _states(fact, answers[entry.id, lang]))
            if langs:
                out[fact.id].append((entry, langs))
    return out


def _states(fact: Fact, found: Figures) -> bool:
    if fact.kind == "money":
        return Fraction(str(fact.value)) in found.numbers
    if fact.kind == "text":
        phones = {p for lang in ANSWER_LANGUAGES for p in figures(format_fact(fact, lang)).phones}
        return bool(phones & found.phones)
    return False


def records(kb: KnowledgeBase, fact_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """One plain record per fact (all of them, or ``fact_ids`` in that order), for text or JSON."""
    used, literal = users(kb), written_out(kb)
    facts = [kb.facts[i] for i in fact_ids] if fact_ids else list(kb.facts.values())
    return [_record(fact, used[fact.id], literal[fact.id]) for fact in facts]


def _uses(usage: Usage) -> list[dict[str, Any]]:
    return [{"entry": e.id, "topic": e.topic, "file": e.file, "line": e.line, "languages": list(langs)} for e, langs in usage]


def _record(fact: Fact, used: Usage, literal: Usage) -> dict[str, Any]:
    return {
        "id": fact.id,
        "kind": fact.kind,
        "verified": fact.verified,
        "value": {lang: format_fact(fact, lang) for lang in ANSWER_LANGUAGES},
        "effective": fact.effective.isoformat() if fact.effective else None,
        "checked": fact.checked.isoformat() if fact.checked else None,
        "checked_by": fact.checked_by or None,
        "source": fact.source,
        "note": fact.note or None,
        "file": fact.file,
        "line": fact.line,
        "used_by": _uses(used),
        "written_out_in": _uses(literal),
    }


def format_records(recs: list[dict[str, Any]]) -> str:
    blocks = []
    for r in recs:
        lines = [f"{r['id']} ({r['kind']}{'' if r['verified'] else ', not verified'})  {r['file']}:{r['line']}"]
        lines += [f"  {lang}: {value}" for lang, value in r["value"].items()]
        lines.append(f"  effective: {r['effective'] or '-'}")
        checked = f"{r['checked']} by {r['checked_by'] or '(role not given)'}" if r["checked"] else "never"
        lines.append(f"  checked: {checked}")
        lines.append(f"  source: {r['source']}")
        if r["note"]:
            lines.append(f"  note: {r['note']}")
        if r["used_by"]:
            lines.append(f"  used by {len(r['used_by'])} entr{'y' if len(r['used_by']) == 1 else 'ies'}:")
            lines += [_usage_line(u) for u in r["used_by"]]
        else:
            lines.append("  used by no entry")
        if r["written_out_in"]:
            lines.append("  the same figure written out, not as a placeholder (if it means this fact, it will not change with it):")
            lines += [_usage_line(u) for u in r["written_out_in"]]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _usage_line(use: dict[str, Any]) -> str:
    return f"    {use['entry']} ({', '.join(use['languages'])})  {use['file']}:{use['line']}"

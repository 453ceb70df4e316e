"""``kb check``: everything staff need to know about the knowledge base before it goes live."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.knowledge.facts import render
from bot.knowledge.loader import load_with_problems
from bot.knowledge.model import KnowledgeBase
from bot.knowledge.yamlfile import Problem
from bot.matcher import Matcher

# About one phone screen of text.
MAX_ANSWER_CHARS = 700
# A right-to-left line that starts with a Latin word is laid out left to right by phones.
_LATIN_START = re.compile(r"^\s*[A-Za-z]")


@dataclass
class CheckResult:
    problems: list[Problem] = field(default_factory=list)
    kb: KnowledgeBase | None = None
    unverified: list[str] = field(default_factory=list)
    examples: int = 0
    collisions: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors


def check(root: Path, today: dt.date | None = None) -> CheckResult:
    today = today or dt.date.today()
    kb, problems = load_with_problems(root)
    result = CheckResult(problems=list(problems), kb=kb)
    if kb is None:
        return result
    for entry in kb.entries:
        if entry.review_by and entry.review_by < today:
            result.problems.append(Problem(entry.file, entry.line, f"entry {entry.id!r} was due for review on {entry.review_by}; check its facts and update `reviewed:` and `review_by:`", "warning"))
        if not entry.verified:
            result.unverified.append(entry.id)
        for lang, text in entry.answer.items():
            rendered = render(text, kb.facts, lang)
            if len(rendered) > MAX_ANSWER_CHARS:
                result.problems.append(Problem(entry.file, entry.line, f"entry {entry.id!r}: {lang} answer is {len(rendered)} characters; keep it under {MAX_ANSWER_CHARS} so it fits one phone screen", "warning"))
            if lang != "en":
                for line in [entry.title[lang], *rendered.splitlines()]:
                    if _LATIN_START.match(line):
                        result.problems.append(Problem(entry.file, entry.line, f"entry {entry.id!r}: a {lang} line starts with Latin text ({line[:30]!r}); start it with an Urdu or Sindhi word so it reads right to left", "warning"))
    result.unverified += [f"fact {f.id}" for f in kb.facts.values() if not f.verified]
    _self_test(kb, result)
    return result


def _self_test(kb: KnowledgeBase, result: CheckResult) -> None:
    """Leave each example out of the index and ask it: it should still find its own entry.

    A collision means the entry's other examples do not cover that phrasing, or
    another entry's examples are too close; both are worth a look, neither stops the bot.
    """
    matcher = Matcher(kb)
    for doc, text in enumerate(matcher.doc_text):
        entry_id = matcher.entry_ids[matcher.doc_entry[doc]]
        entry = kb.entry(entry_id)
        if entry is None or text not in {q for qs in entry.examples.values() for q in qs}:
            continue
        result.examples += 1
        got = matcher.match(text, exclude_doc=doc).entry_id
        if got != entry_id:
            result.collisions += 1
            where = got if got else "no entry"
            result.problems.append(Problem(entry.file, entry.line, f"example {text!r} of {entry_id} retrieves {where}", "warning"))


def report(result: CheckResult) -> str:
    lines = [str(p) for p in result.errors + result.warnings]
    if result.ok and result.kb:
        kb = result.kb
        lines.append(
            f"ok: {len(kb.entries)} entries in {len(kb.topics)} topics, {len(kb.facts)} facts; "
            f"self-test: {result.examples - result.collisions}/{result.examples} examples find their own entry; "
            f"{len(result.warnings)} warning(s)"
        )
        if result.unverified:
            lines.append(f"not verified (staff to check): {', '.join(result.unverified)}")
    else:
        lines.append(f"{len(result.errors)} error(s): the bot keeps its last good knowledge base until they are fixed")
    return "\n".join(lines)

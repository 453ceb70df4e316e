"""``kb check``: everything staff need to know about the knowledge base before it goes live."""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping

from bot.knowledge.facts import placeholders, render
from bot.knowledge.indexcache import IndexCache, cache_dir_from_env, code_version, pack_strings, unpack_strings
from bot.knowledge.loader import load_with_problems
from bot.knowledge.model import RTL_LANGUAGES, Entry, Fact, KnowledgeBase
from bot.knowledge.store import build_matcher
from bot.knowledge.yamlfile import Problem

if TYPE_CHECKING:  # numpy is imported with the matcher, for the self-test: the command line imports this module
    import numpy as np

# One phone screen: the whole reply as sent (title, answer, caveats, law line, feedback question).
MAX_REPLY_CHARS = 900
# How every answer's last line starts: what to do next, with the NOWCommunities number on it or above it.
NEXT_STEP = {"en": "Next step:", "ur": "اگلا قدم:", "sd": "ايندڙ قدم:", "ur-Latn": "Agla qadam:"}
# The length of an entry's reply as the conversation sends it (bot.conversation.replies.sent_length): the reply's
# fixed lines are interface text, translated by the conversation, so the caller passes the measure in.
ReplyLength = Callable[[KnowledgeBase, Entry, str], int]
# Wages and pensions change every budget year (July): a money figure older than this is probably stale.
MONEY_STALE_MONTHS = 12
# A fact nobody has confirmed against its source for this long needs a look.
CHECK_EVERY_MONTHS = 6
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


def check(root: Path, today: dt.date | None = None, self_test: bool = True, cache: IndexCache | None = None,
          reply_length: ReplyLength | None = None) -> CheckResult:
    """Everything ``kb check`` reports; ``self_test=False`` leaves out asking every example (the slow part).

    ``reply_length``: measures each reply as sent, an error over :data:`MAX_REPLY_CHARS` (``kb check`` passes it).
    """
    today = today or dt.date.today()
    cache = cache or IndexCache(cache_dir_from_env())
    kb, problems = load_with_problems(root, cache)
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
            length = reply_length(kb, entry, lang) if reply_length else 0
            if length > MAX_REPLY_CHARS:
                result.problems.append(Problem(entry.file, entry.answer_line(lang), f"entry {entry.id!r}: the {lang} reply as sent (title, answer, caveats, law line, feedback question) is {length} characters; shorten it to {MAX_REPLY_CHARS} so it fits one phone screen"))
            result.problems += _next_step(entry, lang, text)
            if lang in RTL_LANGUAGES:
                for line in [entry.title[lang], *rendered.splitlines()]:
                    if _LATIN_START.match(line):
                        result.problems.append(Problem(entry.file, entry.line, f"entry {entry.id!r}: a {lang} line starts with Latin text ({line[:30]!r}); start it with an Urdu or Sindhi word so it reads right to left", "warning"))
    result.unverified += [f"fact {f.id}" for f in kb.facts.values() if not f.verified]
    result.unverified += [f"redirect {g.id}" for g in kb.out_of_scope if not g.verified]
    _uncaveated(kb, result)
    _fact_dates(kb, today, result)
    if self_test:
        _self_test(kb, result, cache)
    return result


def _next_step(entry: Entry, lang: str, text: str) -> list[Problem]:
    """Every answer ends with what to do and a way to a person: the next-step line and the NOWCommunities number."""
    lines = text.strip().splitlines()
    out = []
    if not lines or not lines[-1].startswith(NEXT_STEP[lang]):
        out.append(Problem(entry.file, entry.answer_line(lang, len(text)), f"entry {entry.id!r}: the {lang} answer must end with a line starting {NEXT_STEP[lang]!r}, saying what to do"))
    if "{nowcommunities_phone}" not in text:
        out.append(Problem(entry.file, entry.answer_line(lang, len(text)), f"entry {entry.id!r}: the {lang} answer must give the NOWCommunities number ({{nowcommunities_phone}}), so the worker can reach a person"))
    return out


def _uncaveated(kb: KnowledgeBase, result: CheckResult) -> None:
    """An unconfirmed fact that answers use should say what is not confirmed (``caveat:``), once for all of them."""
    used = {f for e in kb.entries for text in e.answer.values() for f, _ in placeholders(text)}
    for fact in kb.facts.values():
        if not fact.verified and fact.caveat is None and fact.id in used:
            result.problems.append(Problem(fact.file, fact.line, f"fact {fact.id!r} is not verified and answers use it: add "
                                           "`caveat:` (en, ur, sd, ur-Latn) saying what is not confirmed, so every answer "
                                           "using it says so and confirming it removes the caveat from all of them", "warning"))


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier (the month's last day where it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    next_month = dt.date(year + month // 12, month % 12 + 1, 1)
    return dt.date(year, month, min(day.day, (next_month - dt.timedelta(days=1)).day))


def due_for_review(kb: KnowledgeBase, today: dt.date) -> tuple[list[str], list[str]]:
    """The facts ``kb check`` warns about by date (a stale money figure, never or long not checked) and the
    entries past their ``review_by:``, by id."""
    facts = [f.id for f in kb.facts.values() if _date_problems(f, today)]
    entries = [e.id for e in kb.entries if e.review_by and e.review_by < today]
    return facts, entries


def _fact_dates(kb: KnowledgeBase, today: dt.date, result: CheckResult) -> None:
    """Money figures past a budget year, and facts nobody has checked lately, as warnings."""
    for fact in kb.facts.values():
        for message in _date_problems(fact, today):
            result.problems.append(Problem(fact.file, fact.line, f"fact {fact.id!r}: {message}", "warning"))


def _date_problems(fact: Fact, today: dt.date) -> list[str]:
    out = []
    if fact.kind == "money":
        if fact.effective is None:
            out.append("a money figure without `effective:`; add the date it applies from so kb check can tell when it is out of date")
        elif fact.effective < months_before(today, MONEY_STALE_MONTHS):
            out.append(f"this money figure applies from {fact.effective}, more than {MONEY_STALE_MONTHS} months ago; "
                       "find the current notification and update `value:`, `effective:`, `source:` and `checked:`")
    if fact.checked is None:
        out.append("never checked against its source; when someone has, add `checked:` (YYYY-MM-DD) and `checked_by:` (their role)")
    elif fact.checked > today:
        out.append(f"`checked: {fact.checked}` is in the future; write the day the check was done")
    elif fact.checked < months_before(today, CHECK_EVERY_MONTHS):
        out.append(f"last checked on {fact.checked}, more than {CHECK_EVERY_MONTHS} months ago; check it against its source and update `checked:`")
    return out


def _self_test(kb: KnowledgeBase, result: CheckResult, cache: IndexCache) -> None:
    """Leave each example out of the index and ask it: it should still find its own entry or group.

    A collision means the entry's other examples do not cover that phrasing, or
    another entry's examples are too close; both are worth a look, neither stops the bot.
    The findings are a function of the index, so they are kept in the index cache beside it.
    """
    from bot.understanding import matcher, phrases, terms, text

    owners = {e.id: e for e in kb.entries} | {g.id: g for g in kb.out_of_scope}
    examples, collisions = cache.load_or_build(
        "selftest", matcher.index_inputs(kb), code_version([matcher, phrases, terms, text, sys.modules[__name__]]),
        build=lambda: _leave_one_out(kb, cache), use=_findings)
    result.examples += examples
    for owner_id, example, where in collisions:
        owner = owners[owner_id]
        result.collisions += 1
        result.problems.append(Problem(owner.file, owner.line, f"example {example!r} of {owner_id} retrieves {where}", "warning"))


def _leave_one_out(kb: KnowledgeBase, cache: IndexCache) -> dict[str, np.ndarray]:
    import numpy as np

    matcher = build_matcher(kb, cache)  # the index the bot will load, from the cache when it was built before
    groups = {g.id: g for g in kb.out_of_scope}
    examples, found = 0, []
    for doc, text in enumerate(matcher.doc_text):
        kind, owner_id = matcher.doc_owner(doc)
        owner = kb.entry(owner_id) if kind == "entry" else groups[owner_id]
        if owner is None or text not in {q for qs in owner.examples.values() for q in qs}:
            continue
        examples += 1
        match = matcher.match(text, exclude_doc=doc)
        got = match.group if match.outcome == "redirected" else match.entry_id
        if got != owner_id:
            found += [owner_id, text, got if got else f"no entry ({match.outcome})"]
    return {"examples": np.array([examples]), "collisions": pack_strings(found)}


def _findings(arrays: Mapping[str, np.ndarray]) -> tuple[int, list[tuple[str, str, str]]]:
    """(examples asked, [(owner id, example, what it retrieved)]) from the self-test's arrays."""
    fields = unpack_strings(arrays["collisions"])
    if len(fields) % 3:
        raise ValueError("the self-test's findings are cut short")
    return int(arrays["examples"][0]), [(fields[i], fields[i + 1], fields[i + 2]) for i in range(0, len(fields), 3)]


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

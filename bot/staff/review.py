"""Reviewing gaps: turning the questions the bot declined or was unsure of into examples, or out-of-scope ones.

Telegram-free: ``main.py gaps review`` (:func:`review_in_terminal`) and the staff chat's ``/gaps`` both
take :class:`ReviewGroup` s from :func:`groups_to_review` and decide with :func:`add_to` or :func:`skip`.
Each question goes to the list of the language form it was detected in. A question that still looks
like personal data after the query log's scrubbing (a ``<name>`` or ``<phone>`` tag, or anything the
scrubber would still remove) is never copied into the knowledge base.
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from dataclasses import dataclass
from typing import Callable, TextIO

from bot.research.gaps import find_gaps, printable
from bot.staff.changes import KnowledgeEditor, Outcome, text_key
from bot.knowledge.model import EXAMPLE_FORMS, KnowledgeBase
from bot.knowledge.store import KnowledgeStore
from bot.staff.yamledit import EditError, add_examples
from bot.research.reports import Filters
from bot.stores.scrub import scrub
from bot.understanding.text import clean, normalise

GUESSES = 3  # entries offered for a group
_TAG = re.compile(r"<(?:name|phone|email|link|username|cnic|number)>")


def looks_personal(text: str) -> bool:
    """True when ``text`` holds a scrubber's tag or something the scrubber would still take out."""
    one_line = " ".join(text.split())
    return bool(_TAG.search(one_line)) or scrub(one_line) != clean(one_line).strip()


@dataclass(frozen=True)
class Question:
    text: str
    form: str | None  # as detected when it was asked
    count: int


@dataclass
class ReviewGroup:
    questions: list[Question]  # most asked first
    entries: list[tuple[str, float]]  # the bot's best guesses, closest first
    groups: list[tuple[str, float]]  # out-of-scope groups, closest first

    @property
    def count(self) -> int:
        return sum(q.count for q in self.questions)

    @property
    def forms(self) -> Counter:
        out: Counter = Counter()
        for q in self.questions:
            out[q.form or "?"] += q.count
        return out


def groups_to_review(db: sqlite3.Connection, filters: Filters, store: KnowledgeStore, reviewed: set[str],
                     limit: int | None = None) -> list[ReviewGroup]:
    """The gap groups, most asked first, without the questions already decided on; the first ``limit`` only
    (the guesses, which ask the matcher about each question, are worked out for those alone)."""
    found = []
    for gap in find_gaps(db, filters).groups:
        questions = [Question(t, gap.forms.get(t), n) for t, n in gap.texts.most_common() if text_key(t) not in reviewed]
        if questions:
            found.append((gap, questions))
    found.sort(key=lambda g: -sum(q.count for q in g[1]))
    out = []
    for gap, questions in found[:limit]:
        entries, groups = _guesses(store, questions, gap.guesses)
        out.append(ReviewGroup(questions, entries, groups))
    return out


def _guesses(store: KnowledgeStore, questions: list[Question], logged: Counter) -> tuple[list, list]:
    """Entries and out-of-scope groups by their summed similarity to the group's questions (weighted by count);
    an entry the bot suggested when the question was asked counts too."""
    score: dict[str, float] = {}
    for q in questions[:20]:
        for owner, s in store.matcher.similarities(q.text).items():
            score[owner] = score.get(owner, 0.0) + s * q.count
    for entry_id, n in logged.items():
        score[entry_id] = score.get(entry_id, 0.0) + 0.5 * n
    entry_ids = {e.id for e in store.kb.entries}
    group_ids = {g.id for g in store.kb.out_of_scope}
    ranked = [(owner, round(s, 3)) for owner, s in sorted(score.items(), key=lambda kv: -kv[1]) if s > 0]
    return [r for r in ranked if r[0] in entry_ids][:GUESSES], [r for r in ranked if r[0] in group_ids]


def owner_title(kb: KnowledgeBase, owner_id: str) -> str:
    entry = kb.entry(owner_id)
    if entry:
        return entry.title["en"]
    group = next((g for g in kb.out_of_scope if g.id == owner_id), None)
    return f"not covered: {group.about or group.id}" if group else owner_id


def search(kb: KnowledgeBase, words: str) -> list[str]:
    """Entries whose id or title (in any language) holds every word of ``words``."""
    wanted = normalise(words).split()
    return [e.id for e in kb.entries
            if wanted and all(w in normalise(" ".join([e.id.replace("-", " "), *e.title.values()])) for w in wanted)]


async def add_to(editor: KnowledgeEditor, kb: KnowledgeBase, group: ReviewGroup, owner_id: str, who: str) -> Outcome:
    """Add the group's questions as examples of the entry or out-of-scope group ``owner_id``; check, apply, log.

    Questions that look personal, have no detected form, or are already an example somewhere are left out.
    On success (or when nothing could be added) the group is remembered as reviewed.
    """
    entry = kb.entry(owner_id)
    owner = entry or next((g for g in kb.out_of_scope if g.id == owner_id), None)
    if owner is None:
        return Outcome(False, f"There is no entry or out-of-scope group {owner_id!r} any more.")
    known = {normalise(q) for e in kb.entries for qs in e.examples.values() for q in qs}
    known |= {normalise(q) for g in kb.out_of_scope for qs in g.examples.values() for q in qs}
    by_form: dict[str, list[str]] = {}
    left_out: Counter = Counter()
    for q in group.questions:
        text = " ".join(q.text.split())
        if looks_personal(text):
            left_out["looked personal"] += 1
        elif q.form not in EXAMPLE_FORMS:
            left_out["had no language"] += 1
        elif normalise(text) in known:
            left_out["were examples already"] += 1
        else:
            known.add(normalise(text))
            by_form.setdefault(q.form, []).append(text)
    note = "; ".join(f"{n} {why}" for why, n in left_out.items())
    texts = [q.text for q in group.questions]
    if not by_form:
        await editor.mark_reviewed(texts, owner_id)
        return Outcome(False, f"Nothing to add to {owner_id}: {note}.")
    rel = editor.relative(owner.file)
    before = editor.read(rel)
    today = editor.clock().date()
    edited = before
    try:
        for form, questions in by_form.items():
            edited = add_examples(edited, owner_id, form, questions, today)
    except EditError as e:
        return Outcome(False, f"Could not add to {rel}: {e}")
    added = sum(map(len, by_form.values()))
    action = "examples" if entry else "out-of-scope"
    outcome = await editor.apply(rel, edited, who=who, action=action, based_on=before,
                                 summary=f"{added} example(s) added to {owner_id} from gaps review")
    if outcome.ok:
        await editor.mark_reviewed(texts, owner_id, outcome.change_id)
        # Warnings about the new questions (another entry retrieves one) are worth the reviewer's eye.
        mine = [w for w in outcome.warnings if any(repr(t) in w.message for ts in by_form.values() for t in ts)]
        outcome.warnings = mine
        if note:
            outcome.message += f" Left out: {note}."
        if mine:
            outcome.message += "\n" + "\n".join(str(w) for w in mine)
    return outcome


async def skip(editor: KnowledgeEditor, group: ReviewGroup) -> None:
    """Nothing to learn from this group: remember it so it is not offered again."""
    await editor.mark_reviewed([q.text for q in group.questions], "skip")


# -- the terminal ------------------------------------------------------------------------------------


def show(group: ReviewGroup, kb: KnowledgeBase, number: int, total: int, out: TextIO, limit: int = 8) -> None:
    forms = ", ".join(f"{f} {n}" for f, n in group.forms.most_common())
    print(f"\nGroup {number} of {total}: {group.count} question(s) ({forms})", file=out)
    for q in group.questions[:limit]:
        flag = "  [looks personal: never copied]" if looks_personal(q.text) else ""
        print(f"   {q.count} × [{q.form or '?'}] {printable(q.text)}{flag}", file=out)
    if len(group.questions) > limit:
        print(f"   … and {len(group.questions) - limit} more", file=out)
    print("The bot's best guesses:", file=out)
    for i, (entry_id, _score) in enumerate(group.entries, 1):
        print(f"  [{i}] {entry_id}: {owner_title(kb, entry_id)}", file=out)


async def review_in_terminal(groups: list[ReviewGroup], editor: KnowledgeEditor, store: KnowledgeStore, who: str,
                             read: Callable[[str], str], out: TextIO) -> int:
    """Walk the groups with the reviewer; returns the number of changes applied. ``read`` is ``input``-like."""
    applied = 0
    if not groups:
        print("No declined or unsure questions left to review.", file=out)
        return 0
    has_groups = bool(store.kb.out_of_scope)
    menu = "[number] add as examples of that entry   [s] search entries by title   " + \
           ("[o] not covered (out of scope)   " if has_groups else "") + "[k] skip for good   [Enter] later   [q] quit"
    for n, group in enumerate(groups, 1):
        show(group, store.kb, n, len(groups), out)
        print(menu, file=out)
        while True:
            try:
                answer = read("> ").strip().lower()
            except EOFError:
                answer = "q"
            if answer == "q":
                print(f"\n{applied} change(s) applied.", file=out)
                return applied
            if answer == "":
                break
            if answer == "k":
                await skip(editor, group)
                print("Skipped: it will not be offered again.", file=out)
                break
            owner = _choose(answer, group, store.kb, read, out, has_groups)
            if owner is None:
                continue
            outcome = await add_to(editor, store.kb, group, owner, who)
            print(outcome.report(), file=out)
            if outcome.ok:
                applied += 1
                store.reload()
            if outcome.ok or not outcome.problems:
                break
    print(f"\nThat was the last group. {applied} change(s) applied.", file=out)
    return applied


def _choose(answer: str, group: ReviewGroup, kb: KnowledgeBase, read: Callable[[str], str], out: TextIO,
            has_groups: bool) -> str | None:
    """The entry or group the reviewer picks, or None (with a word why) to ask again."""
    if answer.isdigit() and 1 <= int(answer) <= len(group.entries):
        return group.entries[int(answer) - 1][0]
    if answer == "s":
        found = search(kb, read("title words: "))
        if not found:
            print("No entry has those words in its title; try others, or [Enter] to leave this group.", file=out)
            return None
        return _pick(found, kb, read, out)
    if answer == "o" and has_groups:
        closest = [g for g, _ in group.groups] or [g.id for g in kb.out_of_scope]
        return _pick(closest, kb, read, out)
    print("Type a number from the list, s, o, k, q, or press Enter.", file=out)
    return None


def _pick(ids: list[str], kb: KnowledgeBase, read: Callable[[str], str], out: TextIO) -> str | None:
    for i, owner in enumerate(ids[:15], 1):
        print(f"  [{i}] {owner}: {owner_title(kb, owner)}", file=out)
    answer = read("number (Enter: none): ").strip()
    if answer.isdigit() and 1 <= int(answer) <= min(len(ids), 15):
        return ids[int(answer) - 1]
    return None

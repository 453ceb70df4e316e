"""``kb verify``: one page for NOWCommunities staff listing everything the bot says that is not confirmed yet.

For each unconfirmed fact: what exactly must be confirmed, the sources already tried, where staff can confirm it
(which office, gazette or helpline), the answers that depend on it, and the one edit that clears it (``verified:
true``, which removes its caveat from every answer). For each answer marked ``verified: false``: the sentences that
say something is not confirmed, and its sources with the reviewers' notes. An afternoon of phone calls can then
clear the list.
"""

from __future__ import annotations

import datetime as dt
import re

from bot.knowledge.facts import format_fact
from bot.knowledge.factsheet import users
from bot.knowledge.model import Entry, Fact, KnowledgeBase

# Words an answer uses where it says that something is not confirmed yet.
HEDGES = re.compile(r"not confirmed|being checked|still being checked|not yet be confirmed|reported|news report|"
                    r"press report|sources disagree|old numbers|not settled|probably|may have changed|"
                    r"not officially confirmed|could not", re.I)
_SENTENCE = re.compile(r"(?<=[.;?!])\s+|\n")
# Where the text of a law can be had, for any claim that rests on a law nobody has read.
LAW_TEXT = ("the Act's text: Sindh Laws portal (sindhlaws.gov.pk), the Provincial Assembly of Sindh (pas.gov.pk, "
            "Acts passed), or the Directorate General of Labour, Karachi (dglabour.gos.pk)")
_UNREAD = re.compile(r"not read|not seen|not found|secondary|press|news|not verified|conflict", re.I)


def unconfirmed_facts(kb: KnowledgeBase) -> list[Fact]:
    return [f for f in kb.facts.values() if not f.verified]


def unconfirmed_entries(kb: KnowledgeBase) -> list[Entry]:
    return [e for e in kb.entries if not e.verified]


def hedged_sentences(entry: Entry) -> list[str]:
    """The English answer's sentences that say something is not confirmed."""
    return _hedged(entry.answer["en"])


def _hedged(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if HEDGES.search(s)]


def _redirects(kb: KnowledgeBase) -> list[str]:
    """The section on out-of-scope redirects marked ``verified: false`` (empty when there are none)."""
    groups = [g for g in kb.out_of_scope if not g.verified]
    lines = ["## Redirects (questions the bot does not cover, and where it sends the worker)", ""] if groups else []
    for n, group in enumerate(groups, 1):
        text = group.redirect["en"] if group.redirect else ""
        hedges = _hedged(text)
        lines += [f"### R{n}. `{group.id}`: {group.about} (`{group.file}:{group.line}`)", "",
                  "- **Confirm:** " + (" / ".join(f"“{h}”" for h in hedges) if hedges else f"“{text}”"),
                  "- **When confirmed:** edit the redirect's sentences in all four forms and set the group's "
                  "`verified: true`.", ""]
    return lines


def page(kb: KnowledgeBase, today: dt.date | None = None) -> str:
    """The verification pack, as Markdown."""
    today = today or dt.date.today()
    facts, entries = unconfirmed_facts(kb), unconfirmed_entries(kb)
    used = users(kb)
    lines = [
        f"# To confirm: {len(facts) + len(entries)} items ({len(facts)} facts, {len(entries)} answers)",
        "",
        f"Written by `main.py kb verify` on {today}. Each item says what must be confirmed, what was tried, and "
        "where to confirm it. When a fact is confirmed, set `verified: true` (and `checked:`, `checked_by:`) at "
        "the line given: its caveat then goes from every answer listed under it. When an answer's claims are "
        "confirmed, edit its sentences and set the entry's `verified: true`. Run `main.py kb check` after each edit.",
        "",
        "## Facts",
        "",
    ]
    for n, fact in enumerate(facts, 1):
        lines += [f"### F{n}. `{fact.id}`: {format_fact(fact, 'en')}" + (f" (from {fact.effective})" if fact.effective else ""),
                  "",
                  f"- **Confirm:** {fact.confirm or fact.note or 'that the value is right and current.'}",
                  f"- **Tried:** {fact.source}" + (f" Reviewer: {fact.note}" if fact.note and fact.confirm else ""),
                  f"- **Where:** {fact.confirm_with or 'not known yet: ask the source named above, or the Directorate General of Labour, Karachi.'}",
                  f"- **Answers that use it:** {', '.join(e.id for e, _ in used.get(fact.id, [])) or 'none'}",
                  f"- **Caveat workers see now:** {fact.caveat['en'] if fact.caveat else '(none: the answers say it in their own words)'}",
                  f"- **When confirmed:** in the fact at `{fact.file}:{fact.line}`, set `verified: true`.",
                  ""]
    lines += ["## Answers", ""]
    for n, entry in enumerate(entries, 1):
        sources = entry.sources
        unread = any(s.act and _UNREAD.search(s.note) for s in sources)
        lines += [f"### A{n}. `{entry.id}`: {entry.title['en']} (`{entry.file}:{entry.line}`)", ""]
        hedges = hedged_sentences(entry)
        lines.append("- **Confirm:** " + (" / ".join(f"“{h}”" for h in hedges) if hedges else
                                          "the answer as a whole against its sources (it names no single doubt)."))
        lines.append("- **Tried:** " + "; ".join(s.note or s.cite() for s in sources))
        facts_used = [f for f, _ in _fact_ids(entry) if f in kb.facts and not kb.facts[f].verified]
        where = ([entry.confirm_with] if entry.confirm_with else []) + ([LAW_TEXT] if unread else [])
        if facts_used:
            where.append("the facts " + ", ".join(f"`{f}`" for f in facts_used) + " above")
        lines.append("- **Where:** " + ("; ".join(where) if where else "NOWCommunities' own lawyer, against the sources above"))
        lines.append("")
    return "\n".join(lines + _redirects(kb))


def _fact_ids(entry: Entry) -> list[tuple[str, str | None]]:
    from bot.knowledge.facts import placeholders

    return list(dict.fromkeys(placeholders(entry.answer["en"])))

"""The weekly digest for the staff chats: how the week went, in counts only.

Questions asked in the seven days before the digest's day (UTC days, as the query log keeps them), the share
answered, the five biggest groups of declined or unsure questions, and the facts and entries due for review.
A gap group is named by the entry or out-of-scope group its questions are closest to, with its count and
language forms: never by a question's words, which could still identify a worker in a small place.

The digest goes out on ``BOT_DIGEST_DAY`` at ``BOT_DIGEST_HOUR`` Pakistan time (UTC+5 all year: Pakistan keeps
no daylight saving), the time staff in Karachi read it. :func:`weekly` takes its clock and its sleep, so
tests run a week in a moment.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from typing import Awaitable, Callable

from bot.knowledge.check import due_for_review
from bot.knowledge.store import KnowledgeStore
from bot.research.reports import Filters
from bot.staff.review import groups_to_review, owner_title

log = logging.getLogger(__name__)

PAKISTAN = dt.timezone(dt.timedelta(hours=5), "PKT")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TOP_GAPS = 5
_MAX_SLEEP = 3600.0  # wake at least hourly, so a clock that jumps (a suspended machine) is noticed


def next_digest(now: dt.datetime, day: str, hour: int) -> dt.datetime:
    """The first ``day`` at ``hour``:00 Pakistan time strictly after ``now`` (an aware datetime)."""
    local = now.astimezone(PAKISTAN)
    when = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    when += dt.timedelta(days=(DAYS.index(day) - local.weekday()) % 7)
    if when <= local:
        when += dt.timedelta(days=7)
    return when


def digest_text(db: sqlite3.Connection | None, store: KnowledgeStore, now: dt.datetime) -> str:
    """The digest for the seven UTC days before ``now``'s day; ``db`` is the query log (None: there is none yet)."""
    today = now.astimezone(dt.timezone.utc).date()
    first, last = today - dt.timedelta(days=7), today - dt.timedelta(days=1)
    lines = [f"Weekly digest: {first:%a %d %b} to {last:%a %d %b %Y} (UTC days)"]
    if db is None:
        lines.append("No questions logged yet.")
    else:
        filters = Filters(start=first, end=last)  # both worker channels
        where, args = filters.where()
        total, answered, suggested, declined, redirected = (v or 0 for v in db.execute(
            f"SELECT COUNT(*), SUM(outcome='answered'), SUM(outcome='suggested'), SUM(outcome='declined'), "
            f"SUM(outcome='redirected') FROM queries{where} AND outcome != 'smalltalk'", args).fetchone())
        share = f"{answered / total:.0%}" if total else "-"
        lines.append(f"Questions: {total}; answered {answered} ({share}), suggested {suggested}, declined {declined}, "
                     f"pointed elsewhere {redirected}.")
        groups = groups_to_review(db, filters, store, set(), TOP_GAPS)
        if groups:
            lines.append("\nBiggest gaps (declined or unsure), by the entry they come closest to:")
            for i, g in enumerate(groups, 1):
                closest = g.entries[0][0] if g.entries else (g.groups[0][0] if g.groups else None)
                about = f"{owner_title(store.kb, closest)} ({closest})" if closest else "nothing close"
                forms = ", ".join(f"{f} {n}" for f, n in g.forms.most_common())
                lines.append(f"{i}. {g.count} questions ({forms}): {about}")
            lines.append("Send /gaps to turn them into examples.")
        else:
            lines.append("No declined or unsure questions this week.")
    facts, entries = due_for_review(store.kb, today)
    lines.append(f"\nFacts due for review ({len(facts)}): {', '.join(facts) or 'none'}.")
    if entries:
        lines.append(f"Entries past their review date ({len(entries)}): {', '.join(entries)}.")
    lines.append("`main.py kb check` says what each needs.")
    return "\n".join(lines)


async def weekly(day: str, hour: int, send: Callable[[dt.datetime], Awaitable[None]],
                 clock: Callable[[], dt.datetime], sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
    """Call ``send(when)`` every ``day`` at ``hour`` Pakistan time, for ever (cancel the task to stop)."""
    while True:
        when = next_digest(clock(), day, hour)
        while (left := (when - clock()).total_seconds()) > 0:
            await sleep(min(left, _MAX_SLEEP))
        try:
            await send(when)
        except Exception:  # noqa: BLE001 - one failed digest must not stop next week's
            log.exception("weekly digest")

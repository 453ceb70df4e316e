"""Helpers shared by tests (not fixtures: those are in conftest.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.querylog import QueryLog

UTC = dt.timezone.utc
FIXTURES = Path(__file__).resolve().parent / "fixtures"  # test-only files (two short OGG/Opus recordings)


class Clock:
    """A clock a test sets by hand; the query log reads it for each row."""

    def __init__(self, when: dt.datetime = dt.datetime(2026, 3, 2, 10, tzinfo=UTC)):  # a Monday
        self.now = when

    def __call__(self) -> dt.datetime:
        return self.now


async def ask(log: QueryLog, clock: Clock, when: dt.datetime, n: int, text: str | None, entry: str | None,
              lang: str | None = "ur-Latn", outcome: str = "answered", confidence: float = 0.9,
              helpful: bool | None = None, first_user: int = 0) -> None:
    clock.now = when
    for i in range(n):
        token = log.record(user=first_user + i, channel="telegram", kind="text" if text else "menu", detected_lang=lang,
                           reply_lang=lang or "ur", entry_id=entry,
                           confidence=confidence if entry else 0.05, outcome=outcome if entry else "declined", text=text)
        if helpful is not None:
            log.feedback(token, helpful)


WEEK1 = dt.datetime(2026, 3, 3, 9, tzinfo=UTC)  # Tuesday of the week starting 2026-03-02
WEEK2 = dt.datetime(2026, 3, 11, 15, tzinfo=UTC)  # week starting 2026-03-09


class CollectingLog:
    """Stands in for the query log: keeps what the conversation records, in memory, for a test to read."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.ratings: list[tuple[str, bool]] = []

    def record(self, **row) -> str:
        self.rows.append(row)
        return f"t{len(self.rows)}"

    def feedback(self, token: str, helpful: bool) -> None:
        self.ratings.append((token, helpful))

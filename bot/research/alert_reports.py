"""The report's tables about alerts ("Tell me when this changes"), from the alert store's counts.

New subscriptions are counted per fact per week as workers make them (the ``weekly`` table holds counts only,
never a chat), and each alert staff sent keeps its facts, the day it finished and how many chats it reached.
Counts below the report's threshold are suppressed like every other count in the report.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.research.reports import Filters, Table


def alert_tables(path: Path, filters: Filters) -> list[Table]:
    """New subscriptions per week by fact, and the alerts sent (the store's counts; nothing about a chat)."""
    weekly: list[list] = []
    sent: list[list] = []
    if path.is_file():
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            weekly = [list(r) for r in db.execute("SELECT week, fact, subscribed FROM weekly ORDER BY week, fact")]
            sent = [list(r) for r in db.execute("SELECT finished, facts, sent, failed, removed FROM alert "
                                                "WHERE state = 'done' ORDER BY finished, id")]
        except sqlite3.OperationalError:  # a store from before alerts were counted
            pass
        finally:
            db.close()
    start = filters.start.isoformat() if filters.start else ""
    end = filters.end.isoformat() if filters.end else "9999"
    weekly = [r for r in weekly if start <= r[0] <= end]
    sent = [[day, facts.replace(",", ", "), s, f, r] for day, facts, s, f, r in sent if start <= day <= end]
    return [
        Table("alerts_subscriptions_weekly", "New alert subscriptions per week, by fact",
              ["week", "fact", "subscriptions"], weekly, counts={"subscriptions"}),
        Table("alerts_sent", "Alerts sent when a fact changed", ["finished", "facts", "sent", "failed",
                                                                 "removed (had blocked the bot)"],
              sent, counts={"sent", "failed", "removed (had blocked the bot)"}),
    ]

"""The report's tables about cases ("Ask a person"), beside those about questions (bot/research/reports.py).

Cases opened per week by topic come from the anonymous query log's ``case_events``
(hour, topic and language only, kept as long as the log). The time to the first staff
reply comes from the case store, so it covers the cases it still holds: open ones, and
closed ones until ``BOT_CASE_RETENTION_DAYS`` after they closed. A week whose count of
answered cases is below the report's threshold shows no median, so a single case's
timing cannot be read off.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import statistics
from pathlib import Path

from bot.knowledge.model import KnowledgeBase
from bot.research.reports import WEEK, Filters, Table


def case_tables(log: sqlite3.Connection, cases_path: Path, filters: Filters, threshold: int,
                kb: KnowledgeBase | None = None) -> list[Table]:
    """Cases opened per week by topic, and the median hours to the first staff reply per week."""
    clauses, args = [], []
    for column, op, value in (("day", ">=", filters.start), ("day", "<=", filters.end), ("topic", "=", filters.topic),
                              ("lang", "=", filters.lang)):
        if value:
            clauses.append(f"{column} {op} ?")
            args.append(value.isoformat() if isinstance(value, dt.date) else value)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    topic_title = {t.id: t.title["en"] for t in kb.topics} if kb else {}
    try:
        rows = log.execute(f"SELECT {WEEK} AS week, COALESCE(topic, '(nothing matched)') AS t, COUNT(*) "
                           f"FROM case_events{where} GROUP BY week, t ORDER BY week, t", args).fetchall()
    except sqlite3.OperationalError:  # a log from before cases
        rows = []
    tables = [Table("cases_weekly_by_topic", "Cases opened per week by topic", ["week", "topic", "cases"],
                    [[w, topic_title.get(t, t), n] for w, t, n in rows], counts={"cases"})]
    tables.append(Table("cases_first_reply", "Time to the first staff reply, per week the case was opened",
                        ["week", "cases", "answered", "median hours to first reply"],
                        _first_replies(cases_path, filters, threshold), counts={"cases", "answered"}))
    return tables


def _first_replies(path: Path, filters: Filters, threshold: int) -> list[list]:
    if not path.is_file():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        found = db.execute("SELECT opened, first_reply, lang FROM cases").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        db.close()
    weeks: dict[str, list] = {}
    for opened_text, reply_text, lang in found:
        opened = dt.datetime.fromisoformat(opened_text)
        day = opened.date()
        if (filters.start and day < filters.start) or (filters.end and day > filters.end) or (filters.lang and lang != filters.lang):
            continue
        week = (day - dt.timedelta(days=day.weekday())).isoformat()
        hours = (dt.datetime.fromisoformat(reply_text) - opened).total_seconds() / 3600 if reply_text else None
        weeks.setdefault(week, []).append(hours)
    out = []
    for week in sorted(weeks):
        answered = [h for h in weeks[week] if h is not None]
        median = round(statistics.median(answered), 1) if len(answered) >= threshold else "-"
        out.append([week, len(weeks[week]), len(answered), median])
    return out

"""Trend reports for researchers: one self-contained HTML file with charts, and CSV files of the same tables.

Everything is computed with SQL over the anonymous query log. Counts from 1 to
``threshold - 1`` are shown as "<5" (for the default threshold), so no small
group of workers can be singled out; charts leave those cells out.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from bot.knowledge.model import KnowledgeBase

LANG_FORMS = {"en": "English", "ur": "Urdu", "sd": "Sindhi", "ur-Latn": "Roman Urdu", None: "(menu)"}
PALETTE = ["#1b6ca8", "#e07b39", "#3c9d5d", "#c0392b", "#8e44ad", "#16a085", "#d4ac0d", "#7f8c8d", "#2c3e50", "#e84393"]


WORKER_CHANNELS = ("telegram", "whatsapp")  # where workers ask; the terminal chat is staff trying the bot


@dataclass
class Filters:
    start: dt.date | None = None
    end: dt.date | None = None
    lang: str | None = None
    topic: str | None = None
    channel: str | tuple[str, ...] | None = WORKER_CHANNELS  # one channel, several, or None: every channel

    def where(self) -> tuple[str, list]:
        clauses: list[str] = []
        args: list[object] = []
        channels = (self.channel,) if isinstance(self.channel, str) else self.channel or ()
        if channels:
            clauses.append(f"channel IN ({', '.join('?' * len(channels))})")
            args.extend(channels)
        if self.start:
            clauses.append("day >= ?")
            args.append(self.start.isoformat())
        if self.end:
            clauses.append("day <= ?")
            args.append(self.end.isoformat())
        if self.lang:
            clauses.append("lang_form = ?")
            args.append(self.lang)
        if self.topic:
            clauses.append("topic = ?")
            args.append(self.topic)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


@dataclass
class Table:
    """One report table: a title, column names and rows; ``counts`` names the columns to suppress."""

    name: str
    title: str
    columns: list[str]
    rows: list[list]
    counts: set[str] = field(default_factory=set)

    def suppressed(self, threshold: int) -> list[list]:
        idx = [i for i, c in enumerate(self.columns) if c in self.counts]
        out = []
        for row in self.rows:
            row = list(row)
            for i in idx:
                if isinstance(row[i], int) and 0 < row[i] < threshold:
                    row[i] = f"<{threshold}"
            out.append(row)
        return out


WEEK = "date(day, '-6 days', 'weekday 1')"  # the Monday that starts the day's week


def build_tables(db: sqlite3.Connection, filters: Filters, kb: KnowledgeBase | None = None) -> list[Table]:
    where, args = filters.where()
    and_ = " AND " if where else " WHERE "

    def q(sql: str, extra: list | None = None) -> list[list]:
        return [list(r) for r in db.execute(sql, args + (extra or [])).fetchall()]

    topic_title = {t.id: t.title["en"] for t in kb.topics} if kb else {}
    entry_title = {e.id: e.title["en"] for e in kb.entries} if kb else {}

    summary = q(f"SELECT COUNT(*), SUM(outcome='answered'), SUM(outcome='suggested'), SUM(outcome='declined'), "
                f"SUM(outcome='redirected'), SUM(outcome='smalltalk'), "
                f"SUM(helpful=1), SUM(helpful=0), MIN(day), MAX(day) FROM queries{where}")[0]
    by_topic = q(f"SELECT {WEEK} AS week, COALESCE(topic, '(not answered)') AS t, COUNT(*) FROM queries{where} "
                 f"GROUP BY week, t ORDER BY week, t")
    by_lang = q(f"SELECT {WEEK} AS week, COALESCE(lang_form, '(menu)') AS l, COUNT(*) FROM queries{where} "
                f"GROUP BY week, l ORDER BY week, l")
    top_entries = q(f"SELECT entry_id, topic, COUNT(*) AS n, SUM(helpful=1), SUM(helpful=0) FROM queries{where}"
                    f"{and_}entry_id IS NOT NULL GROUP BY entry_id ORDER BY n DESC LIMIT 25")
    unanswered = q(f"SELECT {WEEK} AS week, COUNT(*), SUM(outcome='declined'), SUM(outcome='suggested') "
                   f"FROM queries{where} GROUP BY week ORDER BY week")
    out_of_scope = q(f"SELECT out_of_scope, COUNT(*) AS n FROM queries{where}{and_}outcome = 'redirected' "
                     f"GROUP BY out_of_scope ORDER BY n DESC, out_of_scope")
    helpful = q(f"SELECT {WEEK} AS week, SUM(helpful=1), SUM(helpful=0) FROM queries{where} GROUP BY week ORDER BY week")
    by_channel = q(f"SELECT {WEEK} AS week, channel, COUNT(*) FROM queries{where} GROUP BY week, channel "
                   f"ORDER BY week, channel")
    danger = q(f"SELECT {WEEK} AS week, COALESCE(danger, '(kind not recorded)') AS k, COUNT(*) FROM queries{where}"
               f"{and_}outcome = 'danger' GROUP BY week, k ORDER BY week, k")
    people = q(f"SELECT week, SUM(n) FROM (SELECT {WEEK} AS week, day, COUNT(DISTINCT user_key) AS n FROM queries{where} "
               f"GROUP BY day) GROUP BY week ORDER BY week")

    total, answered, suggested, declined, redirected, smalltalk, yes, no, first, last = [v or 0 for v in summary[:8]] + summary[8:]
    return [
        Table("summary", "Summary", ["measure", "value"], [
            ["period", f"{first or '-'} to {last or '-'}"], ["questions", total], ["answered", answered],
            ["suggested (did you mean)", suggested], ["declined (no answer)", declined],
            ["redirected (not covered: pointed elsewhere)", redirected], ["small talk (greetings, thanks)", smalltalk],
            ["rated helpful", yes], ["rated not helpful", no]], counts={"value"}),
        Table("weekly_by_topic", "Questions per week by topic", ["week", "topic", "questions"],
              [[w, topic_title.get(t, t), n] for w, t, n in by_topic], counts={"questions"}),
        Table("weekly_by_language", "Questions per week by language", ["week", "language", "questions"],
              [[w, LANG_FORMS.get(lang, lang) if lang != "(menu)" else "(menu)", n] for w, lang, n in by_lang], counts={"questions"}),
        Table("weekly_by_channel", "Questions per week by channel", ["week", "channel", "questions"],
              by_channel, counts={"questions"}),
        Table("top_entries", "Most asked answers", ["entry", "title", "topic", "questions", "helpful", "not helpful"],
              [[e, entry_title.get(e, ""), topic_title.get(t, t or ""), n, y or 0, no_ or 0] for e, t, n, y, no_ in top_entries],
              counts={"questions", "helpful", "not helpful"}),
        Table("weekly_unanswered", "What the bot could not answer, per week",
              ["week", "questions", "declined", "suggested"], [[w, n, d or 0, s or 0] for w, n, d, s in unanswered],
              counts={"questions", "declined", "suggested"}),
        Table("out_of_scope", "Questions the bot does not cover, by group", ["group", "questions"],
              out_of_scope, counts={"questions"}),
        Table("weekly_helpful", "Answers rated helpful, per week", ["week", "helpful", "not helpful"],
              [[w, y or 0, n or 0] for w, y, n in helpful], counts={"helpful", "not helpful"}),
        Table("weekly_danger", "Messages from workers in immediate danger, per week by kind (their text is never kept)",
              ["week", "kind of danger", "messages"], danger, counts={"messages"}),
        Table("weekly_people", "People asking, per week (sum of distinct people per day)", ["week", "people"],
              people, counts={"people"}),
    ]


def spreadsheet_safe(row) -> list:
    """A CSV row that Excel and LibreOffice show as text: a cell starting =, +, -, @, tab or CR would run as a formula."""
    return ["'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v for v in row]


def write_csv(tables: list[Table], out_dir: Path, stem: str, threshold: int) -> list[Path]:
    paths = []
    for t in tables:
        path = out_dir / f"{stem}-{t.name}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(t.columns)
            w.writerows(map(spreadsheet_safe, t.suppressed(threshold)))
        paths.append(path)
    return paths


# -- HTML with inline SVG charts --------------------------------------------------------------------------


def _week_range(weeks: list[str]) -> list[str]:
    """Every Monday from the first week to the last: quiet weeks show as gaps, not as missing columns."""
    if not weeks:
        return []
    day, last = dt.date.fromisoformat(min(weeks)), dt.date.fromisoformat(max(weeks))
    out = []
    while day <= last:
        out.append(day.isoformat())
        day += dt.timedelta(days=7)
    return out


def _series(table: Table, threshold: int) -> tuple[list[str], dict[tuple[str, str], int]]:
    """(series, value) from a (week, series, count) table, biggest series first, leaving out suppressed cells."""
    series = sorted({r[1] for r in table.rows}, key=lambda s: -sum(r[2] for r in table.rows if r[1] == s))
    values = {(r[0], r[1]): r[2] for r in table.rows if r[2] >= threshold}
    return series, values


def _columns(table: Table, names: list[str], threshold: int) -> dict[tuple[str, str], int]:
    """(week, column) -> count from a table with one row per week, leaving out suppressed cells."""
    at = {n: table.columns.index(n) for n in names}
    return {(row[0], n): row[i] for row in table.rows for n, i in at.items() if row[i] >= threshold}


def _axis(peak: int) -> tuple[int, int]:
    """(top, step) of a y axis with at most five round steps (1, 2 or 5 times a power of ten)."""
    step = 1
    while step * 5 < peak:
        for factor in (2, 5 / 2, 2):
            step = int(step * factor)
            if step * 5 >= peak:
                break
    return max(step * -(-peak // step), step), step


def stacked_bars(weeks: list[str], series: list[str], values: dict[tuple[str, str], int], title: str) -> str:
    width, height, left, bottom, top = 760, 280, 50, 40, 20
    series = [s for s in series if any(values.get((w, s)) for w in weeks)]  # fully suppressed series get no legend
    plot_w, plot_h = width - left - 10, height - bottom - top
    totals = [sum(values.get((w, s), 0) for s in series) for w in weeks] or [0]
    peak, step = _axis(max(totals))
    bar = plot_w / max(len(weeks), 1)
    parts = [f'<svg class="chart" role="img" aria-label="{html.escape(title)}" viewBox="0 0 {width} {height}" width="{width}" height="{height}">']
    for tick in range(0, peak + 1, step):
        y = top + plot_h * (1 - tick / peak)
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{tick}</text>')
    every = -(-len(weeks) // 8)  # at most eight date labels
    for i, w in enumerate(weeks):
        y = top + plot_h
        for j, s in enumerate(series):
            v = values.get((w, s), 0)
            if not v:
                continue
            h = plot_h * v / peak
            y -= h
            parts.append(f'<rect class="bar" x="{left + i * bar + 1:.1f}" y="{y:.1f}" width="{max(bar - 2, 1):.1f}" height="{h:.1f}" '
                         f'fill="{PALETTE[j % len(PALETTE)]}"><title>{html.escape(w)} {html.escape(str(s))}: {v}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{left + i * bar + bar / 2:.1f}" y="{height - bottom + 14}" text-anchor="middle" font-size="10">{w}</text>')
    parts.append("</svg>")
    legend = "".join(f'<span class="key"><i style="background:{PALETTE[j % len(PALETTE)]}"></i>{html.escape(str(s))}</span>'
                     for j, s in enumerate(series))
    return "".join(parts) + f'<div class="legend">{legend}</div>'


def hbars(labels: list[str], counts: list[int], title: str) -> str:
    width, row = 760, 22
    height = row * len(labels) + 10
    peak = max(counts or [1]) or 1
    parts = [f'<svg class="chart" role="img" aria-label="{html.escape(title)}" viewBox="0 0 {width} {height}" width="{width}" height="{height}">']
    for i, (label, n) in enumerate(zip(labels, counts)):
        w = 420 * n / peak
        parts.append(f'<text x="300" y="{i * row + 16}" text-anchor="end" font-size="12">{html.escape(label[:48])}</text>'
                     f'<rect class="bar" x="306" y="{i * row + 4}" width="{w:.1f}" height="{row - 6}" fill="{PALETTE[0]}"/>'
                     f'<text x="{310 + w:.1f}" y="{i * row + 16}" font-size="11">{n}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table_html(t: Table, threshold: int) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in t.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in t.suppressed(threshold))
    return f"<details><summary>Table: {html.escape(t.title)}</summary><table><tr>{head}</tr>{body}</table></details>"


def render_html(tables: list[Table], filters: Filters, threshold: int, generated: dt.datetime) -> str:
    by = {t.name: t for t in tables}
    weeks = _week_range([r[0] for r in by["weekly_unanswered"].rows])  # a row for every week with a question
    sections = []
    for name in ("weekly_by_topic", "weekly_by_language", "weekly_by_channel"):
        t = by[name]
        series, values = _series(t, threshold)
        sections.append(f"<h2>{html.escape(t.title)}</h2>" + stacked_bars(weeks, series, values, t.title) + _table_html(t, threshold))
    top = [r for r in by["top_entries"].rows if r[3] >= threshold]
    sections.append(f"<h2>{by['top_entries'].title}</h2>" + hbars([r[1] or r[0] for r in top], [r[3] for r in top], "Most asked answers")
                    + _table_html(by["top_entries"], threshold))
    for name, stacked in (("weekly_unanswered", ["declined", "suggested"]), ("weekly_helpful", ["helpful", "not helpful"])):
        t = by[name]
        sections.append(f"<h2>{t.title}</h2>" + stacked_bars(weeks, stacked, _columns(t, stacked, threshold), t.title)
                        + _table_html(t, threshold))
    sections.append(f"<h2>{by['weekly_people'].title}</h2>" + _table_html(by["weekly_people"], threshold))
    sections += [f"<h2>{html.escape(t.title)}</h2>" + _table_html(t, threshold) for t in tables if t.name.startswith(("cases_", "alerts_"))]
    summary = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in by["summary"].suppressed(threshold))
    scope = ", ".join(f"{k}: {v}" for k, v in (("from", filters.start), ("to", filters.end), ("language", filters.lang), ("topic", filters.topic), ("channel", _channels(filters.channel))) if v) or "all questions"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>NOWCommunities worker-rights bot: what workers ask</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 820px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin: .5em 0; }} td, th {{ border: 1px solid #ccc; padding: 2px 8px; text-align: left; }}
.legend {{ font-size: 12px; margin: 4px 0 12px; }} .key {{ margin-right: 12px; white-space: nowrap; }}
.key i {{ display: inline-block; width: 10px; height: 10px; margin-right: 4px; }}
.note {{ color: #555; font-size: 13px; }}
</style></head><body>
<h1>What workers ask the bot</h1>
<p class="note">Scope: {html.escape(scope)}. Generated {generated:%Y-%m-%d %H:%M} UTC from the anonymous query log.
Counts below {threshold} are shown as "&lt;{threshold}" and left out of the charts, so small groups cannot be singled out.
Weeks start on Monday.</p>
<table>{summary}</table>
{''.join(sections)}
</body></html>
"""


def _channels(channel: str | tuple[str, ...] | None) -> str | None:
    return " and ".join(channel) if isinstance(channel, tuple) else channel

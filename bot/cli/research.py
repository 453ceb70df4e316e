"""Research commands, on the anonymous query log: ``report``, ``gaps``, ``export``, ``purge``."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import knowledge_base, knowledge_store, log_db, settings_for
from bot.config import Settings
if TYPE_CHECKING:  # imported by the commands that use them: `main.py ask` imports none of this group
    from bot.research.reports import Filters


COMMANDS = ("report", "gaps", "export", "purge")  # what :func:`register` adds


def register(sub: argparse._SubParsersAction) -> None:
    def date(value: str) -> dt.date:
        return dt.date.fromisoformat(value)

    def filtered(name: str, help: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help)
        sp.add_argument("--from", dest="start", type=date, help="first day, YYYY-MM-DD")
        sp.add_argument("--to", dest="end", type=date, help="last day, YYYY-MM-DD")
        sp.add_argument("--lang", choices=["en", "ur", "sd", "ur-Latn"], help="only questions in this language form")
        sp.add_argument("--topic", help="only questions answered from this topic id")
        sp.add_argument("--channel", choices=["workers", "telegram", "whatsapp", "terminal", "all"], default="workers",
                        help="only questions from this channel (default workers: Telegram and WhatsApp; staff trying "
                             "the terminal chat are not workers)")
        return sp

    rep = filtered("report", "HTML report with charts, and CSV tables, of what workers ask")
    rep.add_argument("--out", default="report.html")
    rep.add_argument("--threshold", type=int, help="show counts below this as <N (default $BOT_REPORT_THRESHOLD or 5)")
    rep.set_defaults(func=cmd_report)
    gaps = filtered("gaps", "questions the bot declined or was unsure of, grouped; `gaps review` turns them into examples")
    gaps.add_argument("mode", nargs="?", choices=["review"],
                      help="review: walk the groups not yet reviewed and add them as examples, or mark them out of scope")
    gaps.add_argument("--limit", type=int, default=30)
    gaps.add_argument("--role", default="staff (terminal)",
                      help="who is reviewing, as a role for the change log (never a name); default 'staff (terminal)'")
    gaps.set_defaults(func=cmd_gaps)
    exp = filtered("export", "the anonymised rows of the query log")
    exp.add_argument("--format", choices=["csv"], default="csv")
    exp.add_argument("--out", help="file to write (default: standard output)")
    exp.set_defaults(func=cmd_export)
    sub.add_parser("purge", help="delete question text past the retention period now").set_defaults(func=cmd_purge)


def _filters(args: argparse.Namespace) -> Filters:
    from bot.research.reports import WORKER_CHANNELS, Filters

    if args.start and args.end and args.start > args.end:
        raise SystemExit(f"--from {args.start} is after --to {args.end}: nothing could match.")
    if args.topic:
        topics = [t.id for t in knowledge_base(args).topics]
        if args.topic not in topics:
            raise SystemExit(f"No topic {args.topic!r}; use one of: {', '.join(topics)}")
    channel = {"all": None, "workers": WORKER_CHANNELS}.get(args.channel, args.channel)
    return Filters(start=args.start, end=args.end, lang=args.lang, topic=args.topic, channel=channel)


def cmd_report(args: argparse.Namespace) -> int:
    from bot.research import reports
    from bot.research.alert_reports import alert_tables
    from bot.research.case_reports import case_tables

    settings = Settings.from_env()
    threshold = args.threshold if args.threshold is not None else settings.report_threshold
    if threshold < 2:
        raise SystemExit(f"The threshold must be 2 or more (counts below it show as <N); {threshold} would show "
                         "every small count.")
    kb = knowledge_base(args)
    filters = _filters(args)
    with log_db(settings) as db:
        tables = reports.build_tables(db, filters, kb)
        tables += case_tables(db, settings.cases_path, filters, threshold, kb)  # "Ask a person"
    tables += alert_tables(settings.alerts_path, filters)  # "Tell me when this changes"
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(reports.render_html(tables, filters, threshold, dt.datetime.now(dt.timezone.utc)), encoding="utf-8")
    csvs = reports.write_csv(tables, out.parent, out.stem, threshold)
    print(f"wrote {out} and {len(csvs)} CSV files beside it ({out.stem}-*.csv)")
    return 0


def cmd_gaps(args: argparse.Namespace) -> int:
    from bot.research.gaps import find_gaps, format_gaps

    if args.mode == "review":
        return _review(args)
    with log_db(Settings.from_env()) as db:
        print(format_gaps(find_gaps(db, _filters(args)), limit=args.limit))
    return 0


def _review(args: argparse.Namespace) -> int:
    from bot.staff.changes import KnowledgeEditor
    from bot.staff.review import groups_to_review, review_in_terminal

    settings = settings_for(args)
    filters = _filters(args)
    store = knowledge_store(args)

    async def review() -> int:
        async with KnowledgeEditor(store.root, settings.changes_path) as editor:
            with log_db(settings) as db:
                groups = groups_to_review(db, filters, store, await editor.reviewed(), args.limit)
            return await review_in_terminal(groups, editor, store, args.role, input, sys.stdout)

    asyncio.run(review())
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    import csv

    from bot.research import reports

    columns = ["hour", "channel", "kind", "lang_form", "reply_lang", "entry_id", "topic", "confidence", "outcome",
               "helpful", "text", "user_key"]
    where, params = _filters(args).where()
    with log_db(Settings.from_env()) as db:
        rows = db.execute(f"SELECT {', '.join(columns)} FROM queries{where} ORDER BY id", params)
        out = open(args.out, "w", newline="", encoding="utf-8") if args.out else sys.stdout
        try:
            writer = csv.writer(out)
            writer.writerow(columns)
            writer.writerows(map(reports.spreadsheet_safe, rows))
        finally:
            if args.out:
                out.close()
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    log_db(settings).close()  # says where it looked when there is no log, instead of making an empty one

    async def purge() -> int:
        from bot.stores.querylog import QueryLog

        log = QueryLog(settings.log_path, retention_days=settings.retention_days)
        await log.start()
        try:
            return await log.purge()
        finally:
            await log.close()

    print(f"cleared the text of {asyncio.run(purge())} questions older than {settings.retention_days} days; counts kept")
    return 0

"""The command line: ``main.py [run|chat|ask|eval|kb check|kb facts|report|gaps|export|purge]``."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import io
import sqlite3
import json
import os
import sys
from pathlib import Path

import yaml

from bot.bootstrap import bootstrap
from bot.config import Settings, SettingError
from bot.conversation import Turn
from bot.knowledge import check as kb_check
from bot.knowledge.loader import KnowledgeError
from bot.knowledge.store import DEFAULT_ROOT, KnowledgeStore
from bot.preferences import Preferences
from bot.querylog import QueryLog
from bot.reports import Filters


def _store(args: argparse.Namespace) -> KnowledgeStore:
    return KnowledgeStore(Path(args.knowledge))


def cmd_ask(args: argparse.Namespace) -> int:
    """The reply a worker would get, through the same conversation and renderer as the terminal chat."""
    from bot.chat import CHAT, render

    text = " ".join(args.text)
    core = bootstrap(_settings(args), prefs=Preferences(":memory:"), log_questions=False)  # a preview logs nothing

    async def ask() -> tuple[Turn, str]:
        await core.start()
        try:
            conversation = core.conversation(CHAT)
            if args.lang:  # as if the worker had chosen this language
                await core.prefs.set_language(CHAT, args.lang)
            turn = await conversation.question(CHAT, CHAT, text)
            answer = ""
            entry = core.knowledge.kb.entry(turn.reply.entry_id) if turn.reply and turn.reply.entry_id else None
            if entry and turn.reply:
                message = conversation.answer_message(entry, turn.reply.reply_lang)
                answer = f"{message.title}\n\n{message.text}"
            return turn, answer
        finally:
            await core.close()

    turn, answer = asyncio.run(ask())
    shown = io.StringIO()
    render(turn.messages, shown)
    if not args.json:
        print(shown.getvalue().strip("\n"))
        return 0
    reply = turn.reply
    match = reply.match if reply else None
    print(json.dumps({
        "text": text,
        "detected_lang": reply.detected_lang if reply else None,
        "reply_lang": reply.reply_lang if reply else args.lang,
        "entry_id": reply.entry_id if reply else None,
        "confidence": match.best.confidence if match and match.best else 0.0,
        "alternatives": [{"entry_id": c.entry_id, "confidence": c.confidence} for c in match.alternatives] if match else [],
        "answer": answer or None,
        "outcome": match.outcome if match else "declined",
        "reply": shown.getvalue().strip("\n"),
    }, ensure_ascii=False, indent=2))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from bot import evaluation

    store = _store(args)
    try:
        items = evaluation.load_items(Path(args.file))
    except (OSError, ValueError, yaml.YAMLError) as e:
        print(f"cannot read the question set {args.file}: {getattr(e, 'strerror', None) or e}", file=sys.stderr)
        return 1
    unknown = [(item.text, entry_id) for item in items for entry_id in item.expect if not store.kb.entry(entry_id)]
    if unknown:
        print(f"{args.file}: {len(unknown)} expected id(s) name no entry in the knowledge base; fix them first:",
              file=sys.stderr)
        for text, entry_id in unknown:
            print(f"  {entry_id!r} (for {text!r})", file=sys.stderr)
        return 1
    outcomes = evaluation.run(store, items)
    result = evaluation.summary(outcomes)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(evaluation.format_table(result))
        fails = evaluation.failures(outcomes)
        print(f"\n{len(fails)} failure(s)" + (":" if fails and not args.summary else ""))
        for line in [] if args.summary else fails:
            print("  " + line)
    return 0


def cmd_kb_check(args: argparse.Namespace) -> int:
    result = kb_check.check(Path(args.knowledge))
    print(kb_check.report(result))
    return 0 if result.ok else 1


def cmd_kb_facts(args: argparse.Namespace) -> int:
    from bot.knowledge import factsheet

    kb = _store(args).kb
    unknown = [f for f in args.fact if f not in kb.facts]
    if unknown:
        print(f"no fact named {', '.join(unknown)}; facts: {', '.join(kb.facts)}", file=sys.stderr)
        return 1
    recs = factsheet.records(kb, args.fact)
    print(json.dumps(recs, ensure_ascii=False, indent=2) if args.json else factsheet.format_records(recs))
    return 0


def _filters(args: argparse.Namespace) -> Filters:
    if args.start and args.end and args.start > args.end:
        raise SystemExit(f"--from {args.start} is after --to {args.end}: nothing could match.")
    if args.topic:
        topics = [t.id for t in _store(args).kb.topics]
        if args.topic not in topics:
            raise SystemExit(f"No topic {args.topic!r}; use one of: {', '.join(topics)}")
    channel = None if args.channel == "all" else args.channel
    return Filters(start=args.start, end=args.end, lang=args.lang, topic=args.topic, channel=channel)


def _log_db(settings: Settings) -> sqlite3.Connection:
    if not settings.log_path.is_file():
        raise SystemExit(f"No query log at {settings.log_path} yet (set BOT_DATA_DIR to where the bot keeps its data).")
    return sqlite3.connect(f"file:{settings.log_path}?mode=ro", uri=True)


def cmd_report(args: argparse.Namespace) -> int:
    from bot import reports

    settings = Settings.from_env()
    threshold = args.threshold if args.threshold is not None else settings.report_threshold
    if threshold < 2:
        raise SystemExit(f"The threshold must be 2 or more (counts below it show as <N); {threshold} would show "
                         "every small count.")
    kb = _store(args).kb
    filters = _filters(args)
    with _log_db(settings) as db:
        tables = reports.build_tables(db, filters, kb)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(reports.render_html(tables, filters, threshold, dt.datetime.now(dt.timezone.utc)), encoding="utf-8")
    csvs = reports.write_csv(tables, out.parent, out.stem, threshold)
    print(f"wrote {out} and {len(csvs)} CSV files beside it ({out.stem}-*.csv)")
    return 0


def cmd_gaps(args: argparse.Namespace) -> int:
    from bot.gaps import find_gaps, format_gaps

    with _log_db(Settings.from_env()) as db:
        print(format_gaps(find_gaps(db, _filters(args)), limit=args.limit))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    import csv

    from bot import reports

    columns = ["hour", "channel", "kind", "lang_form", "reply_lang", "entry_id", "topic", "confidence", "outcome",
               "helpful", "text", "user_key"]
    where, params = _filters(args).where()
    with _log_db(Settings.from_env()) as db:
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
    _log_db(settings).close()  # says where it looked when there is no log, instead of making an empty one

    async def purge() -> int:
        log = QueryLog(settings.log_path, retention_days=settings.retention_days)
        await log.start()
        try:
            return await log.purge()
        finally:
            await log.close()

    print(f"cleared the text of {asyncio.run(purge())} questions older than {settings.retention_days} days; counts kept")
    return 0


def _settings(args: argparse.Namespace) -> Settings:
    """The environment's settings, with ``--knowledge`` in place of ``BOT_KNOWLEDGE_DIR``."""
    return dataclasses.replace(Settings.from_env(), knowledge_dir=Path(args.knowledge))


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.chat import run_terminal_chat

    # Languages chosen in the terminal are not kept: it is one person at a keyboard, not a chat to remember.
    return run_terminal_chat(bootstrap(_settings(args), prefs=Preferences(":memory:")))


def cmd_run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if not settings.token:
        if not sys.stdin.isatty():  # a service without its token must fail, not chat with /dev/null and exit 0
            print("TELEGRAM_BOT_TOKEN is not set, so the Telegram bot cannot start (see README). "
                  "For the terminal chat with piped input, run `main.py chat`.", file=sys.stderr)
            return 2
        print("TELEGRAM_BOT_TOKEN is not set: starting the terminal chat instead (see README).", file=sys.stderr)
        return cmd_chat(args)
    from bot.telegram.app import run_bot

    return run_bot(bootstrap(_settings(args)), webhook_url=args.webhook_url)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="main.py", description="NOWCommunities worker-rights bot")
    p.add_argument("--knowledge", default=os.environ.get("BOT_KNOWLEDGE_DIR", str(DEFAULT_ROOT)),
                   help="knowledge base folder (default: $BOT_KNOWLEDGE_DIR or the bundled one)")
    p.add_argument("--webhook-url", help="run as a webhook server at this public URL instead of polling")
    p.set_defaults(func=cmd_run)
    sub = p.add_subparsers(title="commands")

    ask = sub.add_parser("ask", help="print the reply the bot would give to a question")
    ask.add_argument("--lang", choices=["en", "ur", "sd"], help="reply language (default: the question's)")
    ask.add_argument("--json", action="store_true", help="print the match as JSON")
    ask.add_argument("text", nargs="+")
    ask.set_defaults(func=cmd_ask)

    ev = sub.add_parser("eval", help="score the bot on a question set")
    ev.add_argument("file")
    ev.add_argument("--json", action="store_true", help="print every measure, by form and by length, as JSON")
    ev.add_argument("--summary", action="store_true",
                    help="the table and the number of failures only (for held-out sets, whose questions are not to be read)")
    ev.set_defaults(func=cmd_eval)

    kb = sub.add_parser("kb", help="knowledge base tools")
    kb_sub = kb.add_subparsers(title="kb commands", required=True)
    kb_sub.add_parser("check", help="validate the knowledge base and self-test matching").set_defaults(func=cmd_kb_check)
    facts = kb_sub.add_parser("facts", help="every fact as each language shows it, its source and checks, and the entries using it")
    facts.add_argument("fact", nargs="*", help="only these facts (ids from facts.yaml)")
    facts.add_argument("--json", action="store_true", help="print the facts as JSON")
    facts.set_defaults(func=cmd_kb_facts)

    sub.add_parser("chat", help="chat with the bot in this terminal").set_defaults(func=cmd_chat)

    def date(value: str) -> dt.date:
        return dt.date.fromisoformat(value)

    def filtered(name: str, help: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help)
        sp.add_argument("--from", dest="start", type=date, help="first day, YYYY-MM-DD")
        sp.add_argument("--to", dest="end", type=date, help="last day, YYYY-MM-DD")
        sp.add_argument("--lang", choices=["en", "ur", "sd", "ur-Latn"], help="only questions in this language form")
        sp.add_argument("--topic", help="only questions answered from this topic id")
        sp.add_argument("--channel", choices=["telegram", "terminal", "all"], default="telegram",
                        help="only questions from this channel (default telegram: staff trying the terminal chat "
                             "are not workers)")
        return sp

    rep = filtered("report", "HTML report with charts, and CSV tables, of what workers ask")
    rep.add_argument("--out", default="report.html")
    rep.add_argument("--threshold", type=int, help="show counts below this as <N (default $BOT_REPORT_THRESHOLD or 5)")
    rep.set_defaults(func=cmd_report)
    gaps = filtered("gaps", "questions the bot declined or was unsure of, grouped")
    gaps.add_argument("--limit", type=int, default=30)
    gaps.set_defaults(func=cmd_gaps)
    exp = filtered("export", "the anonymised rows of the query log")
    exp.add_argument("--format", choices=["csv"], default="csv")
    exp.add_argument("--out", help="file to write (default: standard output)")
    exp.set_defaults(func=cmd_export)
    sub.add_parser("purge", help="delete question text past the retention period now").set_defaults(func=cmd_purge)
    run = sub.add_parser("run", help="run the Telegram bot (TELEGRAM_BOT_TOKEN); the default command")
    run.add_argument("--webhook-url", help="run as a webhook server at this public URL instead of polling")
    run.set_defaults(func=cmd_run)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except KnowledgeError as e:
        print(e, file=sys.stderr)
        print("Run `uv run main.py kb check` for details.", file=sys.stderr)
        return 1
    except SettingError as e:
        print(f"main.py: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` or a closed pager: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as e:  # a path that cannot be written or read: say which, not a traceback
        where = f": {e.filename}" if e.filename else ""
        print(f"main.py: {e.strerror or e}{where}", file=sys.stderr)
        return 1
    except sqlite3.Error as e:
        data_dir = os.environ.get("BOT_DATA_DIR", "data")
        print(f"main.py: database error in {data_dir} ({e}); check BOT_DATA_DIR and that it can be written",
              file=sys.stderr)
        return 1

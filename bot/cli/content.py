"""Content commands, for staff keeping the knowledge base: ``ask``, ``eval``, ``kb check``, ``kb facts``, ``kb audio``."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from bot.cli.common import core_for, knowledge_base, knowledge_store, settings_for
from bot.knowledge.indexcache import IndexCache
from bot.knowledge.model import ANSWER_LANGUAGES
from bot.stores.alerts import AlertStore
from bot.stores.preferences import Preferences

if TYPE_CHECKING:
    from bot.conversation.dialogue import Turn


COMMANDS = ("ask", "eval", "kb")  # what :func:`register` adds


def register(sub: argparse._SubParsersAction) -> None:
    ask = sub.add_parser("ask", help="print the reply the bot would give to a question")
    ask.add_argument("--lang", choices=ANSWER_LANGUAGES, help="reply language (default: the question's)")
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
    verify = kb_sub.add_parser("verify", help="one page (Markdown) for staff: every unconfirmed fact and answer, what "
                                              "to confirm, what was tried and where to confirm it")
    verify.add_argument("--out", help="write the page to this file (default: print it)")
    verify.set_defaults(func=cmd_kb_verify)
    history = kb_sub.add_parser("history", help="changes made from the staff chat or `gaps review`: who (a role), when, "
                                                "which file, and the diff")
    history.add_argument("--limit", type=int, default=20, help="how many of the latest changes (default 20)")
    history.add_argument("--no-diff", dest="diff", action="store_false", help="one line a change, without the diff")
    history.set_defaults(func=cmd_kb_history)
    undo = kb_sub.add_parser("undo", help="undo the last change made from the staff chat or `gaps review`")
    undo.add_argument("--role", default="staff (terminal)", help="who is undoing, as a role (never a name)")
    undo.set_defaults(func=cmd_kb_undo)
    audio = kb_sub.add_parser("audio", help="entries without a recorded answer, per language, to plan recordings")
    audio.add_argument("--lang", choices=ANSWER_LANGUAGES, action="append", help="only this language (may repeat)")
    audio.set_defaults(func=cmd_kb_audio)


def cmd_ask(args: argparse.Namespace) -> int:
    """The reply a worker would get, through the same conversation and renderer as the terminal chat."""
    from bot.channels.terminal import CHAT, render

    text = " ".join(args.text)
    core = core_for(args, prefs=Preferences(":memory:"), alerts=AlertStore(":memory:"), log_questions=False)  # a preview logs nothing

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
    from bot.research import danger_eval, evaluation

    store = knowledge_store(args)
    try:
        if danger_eval.is_danger_set(Path(args.file)):
            return _eval_danger(args, store)
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


def _eval_danger(args: argparse.Namespace, store) -> int:
    """A danger set: recall (the first reply is the emergency message) and false alarms, per form and per kind."""
    from bot.research import danger_eval

    items = danger_eval.load_danger_items(Path(args.file), {k.id for k in store.kb.danger.kinds})
    outcomes = danger_eval.run(store, items)
    result = danger_eval.summary(outcomes)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    print(danger_eval.format_table(result))
    fails = danger_eval.failures(outcomes)
    print(f"\n{len(fails)} failure(s)" + (":" if fails and not args.summary else ""))
    for line in [] if args.summary else fails:
        print("  " + line)
    return 0


def cmd_kb_check(args: argparse.Namespace) -> int:
    from bot.conversation.replies import sent_length
    from bot.knowledge import check as kb_check

    result = kb_check.check(Path(args.knowledge), cache=IndexCache(settings_for(args).index_cache_dir),
                            reply_length=sent_length)
    print(kb_check.report(result))
    return 0 if result.ok else 1


def cmd_kb_facts(args: argparse.Namespace) -> int:
    from bot.knowledge import factsheet

    kb = knowledge_base(args)
    unknown = [f for f in args.fact if f not in kb.facts]
    if unknown:
        print(f"no fact named {', '.join(unknown)}; facts: {', '.join(kb.facts)}", file=sys.stderr)
        return 1
    recs = factsheet.records(kb, args.fact)
    print(json.dumps(recs, ensure_ascii=False, indent=2) if args.json else factsheet.format_records(recs))
    return 0


def cmd_kb_verify(args: argparse.Namespace) -> int:
    from bot.knowledge import verification

    text = verification.page(knowledge_store(args).kb)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.out}: {text.splitlines()[0].lstrip('# ')}")
    else:
        print(text)
    return 0


def cmd_kb_history(args: argparse.Namespace) -> int:
    from bot.staff.changes import KnowledgeEditor, format_history

    settings = settings_for(args)
    if not settings.changes_path.is_file():  # say so, instead of making an empty log in the wrong folder
        print(f"No changes logged in {settings.changes_path} (set BOT_DATA_DIR to where the bot keeps its data).")
        return 0

    async def history() -> str:
        async with KnowledgeEditor(settings.knowledge_dir, settings.changes_path) as editor:
            return format_history(await editor.history(args.limit), diffs=args.diff)

    print(asyncio.run(history()))
    return 0


def cmd_kb_undo(args: argparse.Namespace) -> int:
    from bot.staff.changes import KnowledgeEditor

    settings = settings_for(args)
    if not settings.changes_path.is_file():
        print(f"Nothing to undo: no changes logged in {settings.changes_path} (set BOT_DATA_DIR to where the bot "
              "keeps its data).")
        return 1

    async def undo():
        async with KnowledgeEditor(settings.knowledge_dir, settings.changes_path) as editor:
            return await editor.undo(args.role)

    outcome = asyncio.run(undo())
    print(outcome.report())
    return 0 if outcome.ok else 1


def cmd_kb_audio(args: argparse.Namespace) -> int:
    from bot.knowledge.recordings import missing

    kb = knowledge_base(args)
    without = missing(kb.entries)
    for lang in args.lang or ANSWER_LANGUAGES:
        entries = without[lang]
        print(f"{lang}: {len(kb.entries) - len(entries)} of {len(kb.entries)} entries recorded; "
              f"{len(entries)} without a recording" + (":" if entries else ""))
        for entry in entries:
            print(f"  {entry.id:<30} {entry.title[lang]}  ({entry.file}:{entry.line})")
    return 0

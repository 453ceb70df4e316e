"""The command line: ``main.py [run|chat|ask|eval|kb check|kb facts|report|gaps|export|purge|backup|restore|doctor]``.

Each command group is a module with ``register(subparsers)``: :mod:`bot.cli.content` (ask, eval, kb),
:mod:`bot.cli.research` (report, gaps, export, purge), :mod:`bot.cli.run` (run, chat) and
:mod:`bot.cli.operate` (backup, restore, doctor). This module
holds the root parser and turns the errors staff can meet into one clear line.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from typing import Sequence

from bot.cli import content, operate, research, run
from bot.config import SettingError
from bot.knowledge.loader import KnowledgeError
from bot.knowledge.store import DEFAULT_ROOT

GROUPS = (content, research, run, operate)


# The root's options that take a value: the word after one is not a command.
_VALUED = ("--knowledge", "--webhook-url")


def parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The root parser with every command, or only with the group that has ``argv``'s command (making the
    parsers of all 18 commands, argparse looking up its translations for each, is a twentieth of a cached ``ask``).
    """
    p = argparse.ArgumentParser(prog="main.py", description="NOWCommunities worker-rights bot")
    p.add_argument("--knowledge", default=os.environ.get("BOT_KNOWLEDGE_DIR", str(DEFAULT_ROOT)),
                   help="knowledge base folder (default: $BOT_KNOWLEDGE_DIR or the bundled one)")
    p.add_argument("--webhook-url", help="run as a webhook server at this public URL instead of polling")
    p.set_defaults(func=run.cmd_run)
    sub = p.add_subparsers(title="commands")
    command = _command(argv or ())
    for group in [g for g in GROUPS if command in g.COMMANDS] or GROUPS:
        group.register(sub)
    return p


def _command(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names: its first word that is neither an option nor a root option's value."""
    words = iter(argv)
    for word in words:
        if not word.startswith("-"):
            return word
        if "=" not in word and any(option.startswith(word) for option in _VALUED if len(word) > 2):  # abbreviated too
            next(words, None)
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser(argv).parse_args(argv)
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

"""Running the bot: ``run`` (Telegram; the default command) and ``chat`` (in this terminal)."""

from __future__ import annotations

import argparse
import sys

from bot.bootstrap import bootstrap
from bot.cli.common import settings_for
from bot.config import Settings
from bot.stores.alerts import AlertStore
from bot.stores.preferences import Preferences


def register(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("chat", help="chat with the bot in this terminal").set_defaults(func=cmd_chat)
    run = sub.add_parser("run", help="run the Telegram bot (TELEGRAM_BOT_TOKEN); the default command")
    run.add_argument("--webhook-url", help="run as a webhook server at this public URL instead of polling")
    run.set_defaults(func=cmd_run)


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.channels.terminal import run_terminal_chat

    # Languages chosen in the terminal are not kept: it is one person at a keyboard, not a chat to remember.
    return run_terminal_chat(bootstrap(settings_for(args), prefs=Preferences(":memory:"), alerts=AlertStore(":memory:")))


def cmd_run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if not settings.token:
        if not sys.stdin.isatty():  # a service without its token must fail, not chat with /dev/null and exit 0
            print("TELEGRAM_BOT_TOKEN is not set, so the Telegram bot cannot start (see README). "
                  "For the terminal chat with piped input, run `main.py chat`.", file=sys.stderr)
            return 2
        print("TELEGRAM_BOT_TOKEN is not set: starting the terminal chat instead (see README).", file=sys.stderr)
        return cmd_chat(args)
    from bot.channels.telegram.app import run_bot

    return run_bot(bootstrap(settings_for(args)), webhook_url=args.webhook_url)

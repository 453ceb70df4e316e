"""Running the bot: ``run`` (Telegram; the default command) and ``chat`` (in this terminal)."""

from __future__ import annotations

import argparse
import sys

from bot.cli.common import core_for
from bot.config import Settings
from bot.stores import runlock
from bot.stores.alerts import AlertStore
from bot.stores.preferences import Preferences


COMMANDS = ("chat", "run")  # what :func:`register` adds


def register(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("chat", help="chat with the bot in this terminal").set_defaults(func=cmd_chat)
    run = sub.add_parser("run", help="run the bot: Telegram (TELEGRAM_BOT_TOKEN) and/or WhatsApp (WHATSAPP_* settings); "
                                     "the default command")
    run.add_argument("--webhook-url", help="run as a webhook server at this public URL instead of polling")
    run.set_defaults(func=cmd_run)


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.channels.terminal import run_terminal_chat

    # Languages chosen in the terminal are not kept: it is one person at a keyboard, not a chat to remember.
    return run_terminal_chat(core_for(args, prefs=Preferences(":memory:"), alerts=AlertStore(":memory:")))


def cmd_run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if settings.whatsapp_missing:
        print(f"WhatsApp is half configured: set {', '.join(settings.whatsapp_missing)} too (see README).",
              file=sys.stderr)
        return 2
    if not settings.token and not settings.whatsapp_configured:
        if not sys.stdin.isatty():  # a service without its token must fail, not chat with /dev/null and exit 0
            print("TELEGRAM_BOT_TOKEN is not set, so the Telegram bot cannot start (see README). "
                  "For the terminal chat with piped input, run `main.py chat`.", file=sys.stderr)
            return 2
        print("TELEGRAM_BOT_TOKEN is not set: starting the terminal chat instead (see README).", file=sys.stderr)
        return cmd_chat(args)
    try:  # held until the process ends: `main.py restore` refuses meanwhile, and a second bot cannot start here
        lock = runlock.hold(settings.data_dir)
    except runlock.AlreadyRunning as e:
        print(f"main.py: {e}; one bot per data folder (BOT_DATA_DIR).", file=sys.stderr)
        return 1
    with lock:
        return _run_channels(args, settings)


def _run_channels(args: argparse.Namespace, settings: Settings) -> int:
    """Telegram, WhatsApp or both on one core; a Telegram bot alone serves /healthz when BOT_HTTP_PORT is set."""
    core = core_for(args)
    if settings.whatsapp_configured:
        from bot.channels.whatsapp.server import run_whatsapp, whatsapp_running

        if not settings.token:
            return run_whatsapp(core)
        beside = lambda: whatsapp_running(core)
    elif settings.health_server:
        from bot.channels.http import health_running

        beside = lambda: health_running(core)
    else:
        beside = None
    from bot.channels.telegram.app import run_bot

    return run_bot(core, webhook_url=args.webhook_url, beside=beside)

"""A chat with the bot in the terminal, on the same core as Telegram."""

from __future__ import annotations

from typing import Callable, TextIO
import sys

from bot.answers import reply_text, respond
from bot.knowledge.store import KnowledgeStore

BANNER = (
    "NOWCommunities worker-rights bot: terminal chat.\n"
    "Ask in English, Urdu, Sindhi or Roman Urdu. Ctrl-D or an empty line ends the chat.\n"
    "This is information about the law, not legal advice; for help with your case contact NOWCommunities."
)


def run_terminal_chat(store: KnowledgeStore, read: Callable[[str], str] = input, out: TextIO = sys.stdout) -> int:
    print(BANNER, file=out)
    while True:
        try:
            text = read("\n> ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not text:
            break
        print(reply_text(store.kb, respond(store, text)), file=out)
    return 0

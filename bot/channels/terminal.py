"""A chat with the bot in the terminal, on the same conversation core as Telegram.

Buttons are shown numbered: type the number to press one. Commands work as in
Telegram (/topics, /help, /language ...). Ctrl-D or /quit ends the chat.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Callable, TextIO

from bot.bootstrap import Core
from bot.conversation.dialogue import Button, Conversation, Message

CHAT = "terminal"


def render(messages: list[Message], out: TextIO) -> list[Button]:
    """Print the messages; return their buttons in the order they were numbered."""
    buttons: list[Button] = []
    for msg in messages:
        print(file=out)
        if msg.title:
            print(f"== {msg.title} ==", file=out)
        print(msg.text, file=out)
        if msg.voice is not None:  # a terminal cannot play it: say which file Telegram would send
            print(f"(voice note: {msg.voice})", file=out)
        for row in msg.buttons:
            cells = []
            for button in row:
                buttons.append(button)
                cells.append(f"[{len(buttons)}] {button.label}")
            print("   ".join(cells), file=out)
    return buttons


async def chat(conversation: Conversation, read: Callable[[str], str], out: TextIO) -> None:
    buttons = render(await conversation.start(CHAT), out)
    while True:
        try:
            line = read("\n> ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if line in ("/quit", "/exit"):
            break
        if line.isdigit() and 1 <= int(line) <= len(buttons):
            messages = await conversation.action(CHAT, CHAT, buttons[int(line) - 1].action)
        elif line.startswith("/"):
            messages = await conversation.command(CHAT, CHAT, line[1:].split()[0] if len(line) > 1 else "")
        else:
            messages = await conversation.text(CHAT, CHAT, line)
        buttons = render(messages, out) or buttons


def run_terminal_chat(core: Core, read: Callable[[str], str] = input, out: TextIO = sys.stdout) -> int:
    """Chat on the core's stores (opened here, closed when the chat ends)."""

    async def main() -> None:
        await core.start()
        try:
            await chat(core.conversation(CHAT), read, out)
        finally:
            await core.close()

    print("NOWCommunities worker-rights bot, in the terminal. Type a question, a button's number, or /help; "
          "Ctrl-D ends.", file=out)
    asyncio.run(main())
    return 0

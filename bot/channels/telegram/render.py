"""Conversation messages as Telegram HTML messages with inline keyboards."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot.conversation.dialogue import Message
from bot.conversation.split import split_text


def to_html(message: Message) -> list[str]:
    """The message's text, escaped, with its title in bold, as one or more Telegram messages."""
    text = message.text if not message.title else f"{message.title}\n\n{message.text}"
    pieces = split_text(text)
    out = [html.escape(p, quote=False) for p in pieces]
    if message.title and out:
        first = html.escape(message.title, quote=False)
        out[0] = f"<b>{first}</b>" + out[0][len(first):]
    return out


def contact_keyboard(label: str) -> ReplyKeyboardMarkup:
    """Telegram's own contact button: pressing it is the worker's consent to share their name and number."""
    return ReplyKeyboardMarkup([[KeyboardButton(label, request_contact=True)]], one_time_keyboard=True,
                               resize_keyboard=True)


def keyboard(message: Message) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.action) for b in row] for row in message.buttons]
    )

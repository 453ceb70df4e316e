"""The conversation's :class:`Message` as WhatsApp messages, within Meta's limits. Pure: no network.

One rule, in this order (courier's and Chatwoot's, see the README's WhatsApp section):

* no buttons: text, split at 4,096 characters on paragraph, line, then word;
* at most 3 buttons, every label at most 20 characters, body at most 1,024: reply buttons, the title as header;
* otherwise at most 10 buttons: one list; a row title longer than 24 is cut with "…" and the full label goes in
  the row's description (at most 72); text too long for the body goes first as plain text;
* more than 10: a numbered text list, answered with a number (the caller keeps the numbers' actions).

``edit`` is ignored (WhatsApp cannot edit an interactive message): the menu comes as a new message. Rows of
buttons mean nothing on WhatsApp, so they are flattened. A button's action data (``entry:overtime~ur``) is the
button or row id unchanged: it fits both (256 and 200 characters).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.conversation.dialogue import Button, Message
from bot.conversation.split import split_text

TEXT_MAX = 4096
BUTTONS_MAX, BUTTON_TITLE_MAX, BUTTON_BODY_MAX, BUTTON_ID_MAX = 3, 20, 1024, 256
HEADER_MAX = 60
ROWS_MAX, ROW_TITLE_MAX, ROW_DESCRIPTION_MAX, ROW_ID_MAX, LIST_BODY_MAX, LIST_BUTTON_MAX = 10, 24, 72, 200, 4096, 20


@dataclass(frozen=True)
class Labels:
    """The localised words the renderer adds: the list's button, and the line above a numbered list."""

    menu: str
    numbered: str


@dataclass
class Rendered:
    """The payloads to send, in order (without the recipient), and a numbered list's actions (1 is the first)."""

    payloads: list[dict[str, Any]] = field(default_factory=list)
    numbered: tuple[str, ...] = ()


def cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters: cut with "…" when longer."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _text(body: str) -> dict[str, Any]:
    return {"type": "text", "text": {"body": body, "preview_url": False}}


def _texts(body: str) -> list[dict[str, Any]]:
    return [_text(piece) for piece in split_text(body, TEXT_MAX)]


def _bold(title: str) -> str:
    return f"*{title}*"


def render(message: Message, labels: Labels) -> Rendered:
    buttons = [b for row in message.buttons for b in row]
    titled = f"{_bold(message.title)}\n\n{message.text}" if message.title else message.text
    if not buttons:
        return Rendered(_texts(titled))
    if _fits_buttons(message, buttons):
        interactive: dict[str, Any] = {
            "type": "button",
            "body": {"text": message.text or message.title or "…"},
            "action": {"buttons": [{"type": "reply", "reply": {"id": b.action, "title": b.label}} for b in buttons]},
        }
        if message.title and message.text:
            interactive["header"] = {"type": "text", "text": message.title}
        return Rendered([{"type": "interactive", "interactive": interactive}])
    if len(buttons) <= ROWS_MAX and all(len(b.action) <= ROW_ID_MAX for b in buttons):
        header = message.title if message.title and len(message.title) <= HEADER_MAX else None
        body = message.text if header else titled
        pieces = split_text(body, LIST_BODY_MAX) or ["…"]
        interactive = {
            "type": "list",
            "body": {"text": pieces[-1]},
            "action": {"button": cut(labels.menu, LIST_BUTTON_MAX),
                       "sections": [{"rows": [_row(b) for b in buttons]}]},
        }
        if header:
            interactive["header"] = {"type": "text", "text": header}
        return Rendered([_text(p) for p in pieces[:-1]] + [{"type": "interactive", "interactive": interactive}])
    lines = [f"{n}. {b.label}" for n, b in enumerate(buttons, 1)]
    return Rendered(_texts(titled + "\n\n" + labels.numbered + "\n" + "\n".join(lines)),
                    tuple(b.action for b in buttons))


def _fits_buttons(message: Message, buttons: list[Button]) -> bool:
    labels = [b.label for b in buttons]
    return (len(buttons) <= BUTTONS_MAX and all(len(label) <= BUTTON_TITLE_MAX for label in labels)
            and len(set(labels)) == len(labels) and all(len(b.action) <= BUTTON_ID_MAX for b in buttons)
            and len(message.text or message.title or "…") <= BUTTON_BODY_MAX
            and (not message.title or len(message.title) <= HEADER_MAX))


def _row(button: Button) -> dict[str, str]:
    row = {"id": button.action, "title": cut(button.label, ROW_TITLE_MAX)}
    if len(button.label) > ROW_TITLE_MAX:
        row["description"] = cut(button.label, ROW_DESCRIPTION_MAX)
    return row

"""Noticing that a chat which chose one language now writes in another, to offer a one-tap switch.

A worker who chose Urdu script may later type Roman Urdu (a shared phone, a new
keyboard). After ``IN_A_ROW`` messages in a row in one other form the bot offers
to answer in it; it never switches by itself, so a worker who mixes forms keeps
the language they chose.

The count is kept in memory only, per chat, for the chats seen lately: it is a
passing observation, not a choice the worker made, so it is not written to disk
(nothing more about a chat is stored), and a restart costs at most a later offer.
``/forget`` clears it with the stored choice.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

IN_A_ROW = 3
# Chats remembered at once; the oldest is dropped first (a few bytes each).
MAX_CHATS = 10_000


@dataclass
class SwitchWatch:
    """Each recent chat's run of messages in another form than the one it chose (see the module's docstring)."""

    in_a_row: int = IN_A_ROW
    max_chats: int = MAX_CHATS
    _streaks: OrderedDict[int | str, tuple[str, int]] = field(default_factory=OrderedDict, repr=False)

    def note(self, chat: int | str, chosen: str, form: str | None) -> str | None:
        """Count a message in ``form`` from a chat that chose ``chosen``; the form to offer once it is due, else None.

        A message without letters (a number, an emoji) neither counts nor breaks the streak.
        """
        if form is None:
            return None
        if form == chosen:
            self._streaks.pop(chat, None)
            return None
        last, count = self._streaks.pop(chat, (form, 0))
        count = count + 1 if last == form else 1
        if count >= self.in_a_row:
            return form  # offered now; the streak starts again, so a worker who ignores it is asked again later
        self._streaks[chat] = (form, count)
        while len(self._streaks) > self.max_chats:
            self._streaks.popitem(last=False)
        return None

    def forget(self, chat: int | str) -> None:
        self._streaks.pop(chat, None)

"""Files a worker sent on one channel for a case in another channel's case chat, held in memory until posted.

A Telegram file id names a file the case chat can post again; a WhatsApp media id cannot be posted there, and
Meta lets it expire (in days; its download URL in minutes). So the WhatsApp channel downloads a voice note, photo
or document at once and holds its bytes here under a handle that stands in for a file id (``held:...``). The
case desk uploads the bytes and keeps the case chat's own file id in their place. Only in memory, for at most
:data:`HOLD_SECONDS` (a voice note offered as a case waits that long for "Send it to staff") and at most
:data:`HOLD_FILES` files; what a restart drops cannot be posted, and staff are told to ask for it again.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

PREFIX = "held:"
HOLD_SECONDS = 35 * 60  # a little longer than the referral remembers a voice note offered as a case (30 minutes)
HOLD_FILES = 200


@dataclass(frozen=True)
class HeldFile:
    """A file's bytes, type and name, held until the case chat posts it."""

    data: bytes
    mime_type: str
    name: str


def is_held(file_id: str) -> bool:
    """Whether a case message's file id is a handle of this holder, not a case-chat file id."""
    return file_id.startswith(PREFIX)


class HeldFiles:
    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._files: OrderedDict[str, tuple[float, HeldFile]] = OrderedDict()

    def hold(self, data: bytes, mime_type: str, name: str) -> str:
        """Keep the bytes; the handle to pass where a file id goes."""
        self._drop_old()
        handle = PREFIX + secrets.token_hex(12)
        self._files[handle] = (self.clock(), HeldFile(data, mime_type, name))
        while len(self._files) > HOLD_FILES:
            self._files.popitem(last=False)
        return handle

    def get(self, handle: str) -> HeldFile | None:
        """The file, unless it was dropped (too old, too many, or a restart in between)."""
        self._drop_old()
        held = self._files.get(handle)
        return held[1] if held else None

    def release(self, handle: str) -> None:
        """The file was posted: its bytes are not needed any more."""
        self._files.pop(handle, None)

    def _drop_old(self) -> None:
        now = self.clock()
        while self._files and now - next(iter(self._files.values()))[0] > HOLD_SECONDS:
            self._files.popitem(last=False)

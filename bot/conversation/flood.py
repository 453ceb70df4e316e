"""Per-chat flood control: a chat that sends too much is told once, then ignored until it slows down.

Channel-free: Telegram keys it on chat ids, WhatsApp on its chat keys."""

from __future__ import annotations

import time
from collections import deque
from typing import Callable


class FloodGuard:
    def __init__(self, limit: int, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.limit, self.seconds, self.clock = limit, seconds, clock
        self._seen: dict[int | str, deque[float]] = {}
        self._warned: set[int | str] = set()

    def check(self, chat: int | str) -> str:
        """``ok`` to answer, ``warn`` to say "slow down" once, ``drop`` to ignore."""
        now = self.clock()
        times = self._seen.setdefault(chat, deque())
        while times and now - times[0] > self.seconds:
            times.popleft()
        if len(times) < self.limit:
            times.append(now)
            self._warned.discard(chat)
            return "ok"
        if chat in self._warned:
            return "drop"
        self._warned.add(chat)
        return "warn"

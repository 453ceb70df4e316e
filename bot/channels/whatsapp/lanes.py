"""One ordered lane per chat: a chat's messages are handled one after another, chats side by side.

The webhook answers Meta at once and hands the work here, so a worker's replies never overtake each other
(and a back-off for one chat holds up only that chat), while other chats go on.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, Hashable

log = logging.getLogger(__name__)


class Lanes:
    def __init__(self, max_running: int = 64):
        self._running = asyncio.Semaphore(max_running)
        self._tails: dict[Hashable, asyncio.Task] = {}
        self._tasks: set[asyncio.Task] = set()

    def submit(self, key: Hashable, work: Callable[[], Awaitable[None]]) -> asyncio.Task:
        """Run ``work`` after everything already in ``key``'s lane."""
        task = asyncio.create_task(self._run(key, self._tails.get(key), work))
        self._tails[key] = task
        self._tasks.add(task)
        task.add_done_callback(self._done(key))
        return task

    def _done(self, key: Hashable) -> Callable[[asyncio.Task], None]:
        def done(task: asyncio.Task) -> None:
            self._tasks.discard(task)
            if self._tails.get(key) is task:
                del self._tails[key]
        return done

    async def _run(self, key: Hashable, previous: asyncio.Task | None, work: Callable[[], Awaitable[None]]) -> None:
        if previous is not None:
            await asyncio.wait({previous})  # its failure is its own: this message is still answered
        async with self._running:
            try:
                await work()
            except Exception:  # noqa: BLE001 - one message's failure must not stop the lane
                log.exception("a WhatsApp message could not be handled")

    @property
    def busy(self) -> int:
        """Messages being handled or waiting."""
        return len(self._tasks)

    async def drain(self, seconds: float) -> int:
        """Wait up to ``seconds`` for the work taken; then cancel what is left. Returns how many were cancelled."""
        if not self._tasks:
            return 0
        _done, pending = await asyncio.wait(set(self._tasks), timeout=seconds)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
        return len(pending)

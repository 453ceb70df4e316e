"""The case chat's queue: every post to it waits its turn here, answers to staff first.

Telegram lets a bot send about 20 messages a minute to one group (``ratelimit.py`` paces them), and the case chat
is one group for every case. Posts to it go through one queue worked by one task, so the order is decided here,
not by whichever caller wakes first: answers to staff commands (/cases, /close) go first, then new cases, then what
workers add to cases they already have; each kind in the order it came. Staff never wait behind a burst of worker
messages, and a follow-up never reaches the chat before its case. Workers' posts may take only part of the
minute's budget (``per_minute - reserve`` posts a minute), so a few slots are always left for staff commands even
when many workers write at once. A worker's own chat is never sent through this
queue (bot/conversation/referral.py delivers cases in the background and answers the worker at once).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from typing import Any, Awaitable, Callable, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

STAFF, NEW_CASE, FOLLOW_UP = 0, 1, 2  # priorities: lower goes first


class Outbox:
    def __init__(self, per_minute: int = 20, reserve: int = 4) -> None:
        self._queue: asyncio.PriorityQueue[tuple[int, int, Callable[[], Awaitable[Any]], asyncio.Future]] | None = None
        self._order = itertools.count()
        self._worker: asyncio.Task | None = None
        self._workers_budget = max(1, per_minute - reserve)  # case posts a minute; the rest is kept for staff
        self._started: deque[float] = deque()  # when each of the last minute's case posts started
        self._arrived = asyncio.Event()

    @property
    def waiting(self) -> int:
        """Posts queued and not yet started."""
        return self._queue.qsize() if self._queue is not None else 0

    async def run(self, priority: int, make: Callable[[], Awaitable[T]]) -> T:
        """Run ``make()`` when its turn comes; its result, or its exception. Cancelling the caller drops the post."""
        if self._queue is None:
            self._queue = asyncio.PriorityQueue()
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._work(), name="case-chat-outbox")
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((priority, next(self._order), make, future))
        self._arrived.set()
        return await future

    async def stop(self) -> None:
        """Stop posting: posts not yet made are dropped (their callers are cancelled; what they were is kept in the
        case store and posted at the next start)."""
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
            self._worker = None
        while self._queue is not None and not self._queue.empty():
            *_rest, future = self._queue.get_nowait()
            future.cancel()

    async def _work(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while True:
            item = await self._queue.get()
            priority, _order, make, future = item
            if future.done():  # its caller gave up
                continue
            if priority != STAFF:
                while self._started and loop.time() - self._started[0] >= 60:
                    self._started.popleft()
                if len(self._started) >= self._workers_budget:  # wait for a slot, unless staff ask for one first
                    self._queue.put_nowait(item)
                    self._arrived.clear()
                    try:
                        await asyncio.wait_for(self._arrived.wait(), 60 - (loop.time() - self._started[0]))
                    except TimeoutError:
                        pass
                    continue
                self._started.append(loop.time())
            try:
                result = await make()
            except asyncio.CancelledError:
                future.cancel()
                raise
            except Exception as e:  # noqa: BLE001 - handed to the caller, who tells whoever must know
                if not future.done():
                    future.set_exception(e)
            else:
                if not future.done():
                    future.set_result(result)

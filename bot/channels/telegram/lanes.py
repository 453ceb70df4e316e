"""Updates handled concurrently, one ordered lane per chat.

Each chat's updates run one after another, in the order Telegram sent them, so a
worker's answers never overtake each other; different chats run side by side, so
one slow Bot API round trip no longer holds up everyone else.

Two bounds: PTB's own semaphore (``max_taken``) caps the updates held in memory,
whether running or waiting in their lane; ``max_running`` caps the handlers
running at once. A chat waiting in its lane holds no running slot, so a chat
that floods the bot uses one slot at a time and never delays the others.

At shutdown :meth:`ChatLanes.park` stops starting handlers: updates still waiting
are set aside in ``parked`` for the caller to keep, instead of being answered
late or lost; :meth:`ChatLanes.cancel_running` interrupts handlers that are
stuck, and their updates are kept too.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Awaitable, Hashable

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def lane_of(update: object) -> Hashable | None:
    """The chat an update belongs to (else its user); None for updates with neither."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
    return None


class ChatLanes(BaseUpdateProcessor):
    def __init__(self, max_running: int = 64, max_taken: int = 10_000):
        super().__init__(max_taken)
        self.max_running = max_running
        self._running: asyncio.Semaphore | None = None
        self._tails: dict[Hashable, asyncio.Future] = {}
        self._parking = False
        self._active: dict[asyncio.Task, object] = {}
        self.parked: list[object] = []

    async def initialize(self) -> None:
        self._running = asyncio.Semaphore(self.max_running)
        self._parking = False

    async def shutdown(self) -> None:
        self._tails.clear()

    def park(self) -> None:
        """From now on, updates not yet started are set aside in ``parked`` instead of handled."""
        self._parking = True

    def cancel_running(self) -> None:
        """Cancel the handlers still running; their updates join ``parked``."""
        for task in list(self._active):
            task.cancel()

    @property
    def waiting(self) -> int:
        """Lanes with an update running or waiting."""
        return len(self._tails)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        assert self._running is not None, "ChatLanes.initialize() was not called"
        key = lane_of(update)
        # Join the chat's lane before the first await, so lanes keep the order updates arrive in.
        previous = self._tails.get(key) if key is not None else None
        mine = asyncio.get_running_loop().create_future()
        if key is not None:
            self._tails[key] = mine
        try:
            if previous is not None:
                await asyncio.shield(previous)
            async with self._running:
                if self._parking:
                    self.parked.append(update)
                    return
                task = asyncio.current_task()
                assert task is not None
                self._active[task] = update
                try:
                    await coroutine
                finally:
                    del self._active[task]
        except asyncio.CancelledError:
            self.parked.append(update)  # interrupted (at shutdown) while waiting or running: kept to answer again
            raise
        finally:
            if not mine.done():
                mine.set_result(None)
            if key is not None and self._tails.get(key) is mine:
                del self._tails[key]
            if inspect.iscoroutine(coroutine) and inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED:
                coroutine.close()  # never started (parked, or cancelled while waiting): no "never awaited" warning

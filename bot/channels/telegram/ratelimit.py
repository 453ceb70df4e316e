"""Telegram's sending limits, applied per chat, with retries that lose nothing.

PTB's AIORateLimiter pauses *every* request when one chat gets a 429 and gives
up after a few retries, dropping the reply. Here a 429 pauses only the chat it
came from (or, for a call without a chat such as answering a button press, only
that kind of call) for as long as Telegram asks, and the call is retried until
it goes through; no other chat waits. A message that meets a 5xx
answer or a network failure is retried a few times with a growing pause; a 400
or 403 is not retried (the request itself is wrong, or the user blocked the bot).

Messages are paced at about 30 a second in all and 20 a minute in each group,
Telegram's published limits; other calls (answering a button press, setting
commands) are not paced.

Bulk messages (alerts to subscribers, sent with ``rate_limit_args=BULK``) share
the same 30 a second but yield: they take only a slot that is free (within half a
slot), never book further ahead, and take none while a reply to a worker waits
for its slot, so a question asked during a broadcast goes out a slot or two later.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any, Callable, Coroutine, Hashable

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

_PACED_PREFIXES = ("send", "edit", "copy", "forward")
BULK = {"bulk": True}  # rate_limit_args of a message that gives way to replies


class ChatRateLimiter(BaseRateLimiter[dict[str, Any] | None]):
    def __init__(self, per_second: float = 30.0, group_per_minute: int = 20, server_retries: int = 4,
                 first_backoff: float = 0.5):
        self.per_second = per_second
        self.group_per_minute = group_per_minute
        self.server_retries = server_retries
        self.first_backoff = first_backoff
        self._next_slot = 0.0
        self._group_sends: dict[int | str, deque[float]] = {}
        self._paused_until: dict[Hashable, float] = {}  # chat (or, for calls without one, the method) -> loop time
        self._live_waiting = 0  # replies waiting for their slot: bulk messages wait for them

    async def initialize(self) -> None:
        self._next_slot = 0.0

    async def shutdown(self) -> None:
        pass

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict | list[dict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> bool | dict | list[dict]:
        chat = _chat_key(data.get("chat_id"))
        pause_key: Hashable = chat if chat is not None else ("method", endpoint)
        paced = endpoint.startswith(_PACED_PREFIXES)
        bulk = bool(rate_limit_args and rate_limit_args.get("bulk"))
        failures = 0
        while True:
            await self._wait_for_pause(pause_key)
            if paced:
                await self._pace(chat, bulk)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as e:
                wait = e._retry_after.total_seconds()  # noqa: SLF001 - the public attribute warns of a type change
                loop = asyncio.get_running_loop()
                self._paused_until[pause_key] = max(self._paused_until.get(pause_key, 0.0), loop.time() + float(wait))
                log.info("Telegram asked to wait %.1f s before %s in %s; waiting, then retrying",
                         wait, endpoint, "one chat" if chat is not None else "calls of that kind")
            except BadRequest:
                raise
            except NetworkError as e:  # 5xx, timeouts, connection failures: a message is worth another try
                failures += 1
                if not paced or failures > self.server_retries:
                    raise
                pause = self.first_backoff * 2 ** (failures - 1)
                log.warning("%s failed (%s); retry %d of %d in %.1f s", endpoint, e, failures, self.server_retries, pause)
                await asyncio.sleep(pause)

    async def _wait_for_pause(self, key: Hashable) -> None:
        loop = asyncio.get_running_loop()
        while True:
            until = self._paused_until.get(key, 0.0)
            if until <= loop.time():
                self._paused_until.pop(key, None)
                return
            await asyncio.sleep(until - loop.time())

    async def _pace(self, chat: int | str | None, bulk: bool = False) -> None:
        loop = asyncio.get_running_loop()
        if _is_group(chat) and self.group_per_minute > 0:
            sends = self._group_sends.setdefault(chat, deque())
            while True:
                now = loop.time()
                while sends and now - sends[0] >= 60:
                    sends.popleft()
                if len(sends) < self.group_per_minute:
                    sends.append(now)
                    break
                await asyncio.sleep(60 - (now - sends[0]))
            if not sends:
                self._group_sends.pop(chat, None)
        if bulk:
            await self._bulk_slot()
            return
        # One slot every 1/per_second seconds, handed out in the order callers ask.
        now = loop.time()
        slot = max(now, self._next_slot)
        self._next_slot = slot + 1.0 / self.per_second
        if slot > now:
            self._live_waiting += 1
            try:
                await asyncio.sleep(slot - now)
            finally:
                self._live_waiting -= 1

    async def _bulk_slot(self) -> None:
        """A slot for a bulk message: only one free within half a slot, and only while no reply waits for one. Bulk
        messages never book further ahead, so a reply asked for during a broadcast gets the next slot or the one
        after."""
        loop = asyncio.get_running_loop()
        interval = 1.0 / self.per_second
        while True:
            now = loop.time()
            if not self._live_waiting and self._next_slot - now <= interval / 2:  # free now, or in half a slot
                slot = max(now, self._next_slot)
                self._next_slot = slot + interval
                if slot > now:
                    await asyncio.sleep(slot - now)
                return
            await asyncio.sleep(max(self._next_slot - now - interval / 2, interval / 4))


def _chat_key(chat_id: object) -> int | str | None:
    if chat_id is None:
        return None
    try:
        return int(chat_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return str(chat_id)


def _is_group(chat: int | str | None) -> bool:
    return isinstance(chat, str) or (isinstance(chat, int) and chat < 0)

"""Alerts ("Tell me when this changes") to WhatsApp workers: only as an approved template, paced, within the limit.

WhatsApp lets a business start a conversation only with a template Meta approved, and with at most so many people
in any 24 hours (the number's messaging limit: 250 for a new business, more as Meta raises it). So WhatsApp workers
are offered alerts only when ``WHATSAPP_ALERT_TEMPLATE`` names one and a Telegram staff chat can press Send
(:attr:`bot.config.Settings.whatsapp_alerts`). The staff chat's desk sends the alert; its WhatsApp recipients come
here (``core.alert_senders["whatsapp"]``): the template in English, or in Urdu for Urdu, Sindhi and Roman Urdu
readers (Meta has no Sindhi templates), with the news (the new figure and its date, as answers write them) as its
one parameter. At most :data:`PER_SECOND` a second, so replies to workers keep the number's throughput, and at most
``WHATSAPP_ALERT_DAILY_LIMIT`` in any 24 hours (counted in the alert store, across restarts); beyond that an
alert waits for the limit to free.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any, Callable

from bot.bootstrap import Core
from bot.channels.whatsapp.client import GraphClient, GraphError
from bot.channels.whatsapp.webhook import Sender
from bot.conversation.alerts import CLOSING
from bot.conversation.i18n import gettext_for
from bot.stores.alerts import AlertStore, Recipient

log = logging.getLogger(__name__)

PER_SECOND = 20.0  # alert templates a second: a quarter of the Cloud API's 80, the rest for replies
DAY = 24 * 3600.0
STOPPED_MARKETING = 131050  # the worker told WhatsApp to stop such messages from this business: unsubscribed


def template_language(lang: str) -> str:
    """The template's language, as the case notice's: Meta has no Sindhi, and Roman Urdu readers get Urdu."""
    return "en" if lang == "en" else "ur"


def news(text: str, lang: str) -> str:
    """The alert as the template's parameter: its lines without the closing sentence (the template has its own),
    on one line (Meta refuses a parameter with a line break, a tab or more than four spaces in a row)."""
    closing = gettext_for(lang)(CLOSING)
    return " ".join(" ".join(line.split()) for line in text.splitlines() if line.strip() and line.strip() != closing)


def payload(template: str, texts: dict[str, str], lang: str) -> dict[str, Any]:
    """The template message for a worker who reads ``lang``, with the alert staff approved in its language."""
    code = template_language(lang)
    body = {"type": "body", "parameters": [{"type": "text", "text": news(texts.get(code) or texts["en"], code)}]}
    return {"type": "template", "template": {"name": template, "language": {"code": code}, "components": [body]}}


class Pace:
    """At most ``per_second`` a second and ``per_day`` in any 24 hours. With ``store``, the day's sends are kept
    there (their times only), so a restart does not start the day's count again."""

    def __init__(self, per_second: float, per_day: int, clock: Callable[[], float] = time.time,
                 store: AlertStore | None = None, channel: str = "whatsapp"):
        self.gap, self.per_day, self.clock = 1.0 / per_second, max(per_day, 1), clock
        self.store, self.channel = store, channel
        self._next = 0.0
        self._day: deque[float] | None = None if store is not None else deque()  # the last 24 hours' sends
        self._lock = asyncio.Lock()

    async def take(self, closed: asyncio.Event) -> bool:
        """Wait for a slot; False if ``closed`` is set first (the send is given back, for later)."""
        async with self._lock:
            if self._day is None:
                assert self.store is not None
                self._day = deque(await self.store.limited_since(self.channel, self.clock() - DAY))
            day = self._day
            while not closed.is_set():
                now = self.clock()
                while day and now - day[0] >= DAY:
                    day.popleft()
                wait = max(self._next - now, day[0] + DAY - now if len(day) >= self.per_day else 0.0)
                if wait <= 0:
                    self._next = now + self.gap
                    day.append(now)
                    if self.store is not None:
                        await self.store.limited_sent(self.channel, now, now - DAY)
                    return True
                try:  # looked at again every second: a close is seen at once, the clock within a second
                    await asyncio.wait_for(closed.wait(), timeout=min(wait, 1.0))
                except asyncio.TimeoutError:
                    pass
            return False


class WhatsAppAlerts:
    """The alert send for WhatsApp recipients (see the module's docstring); :meth:`close` before the client closes."""

    def __init__(self, client: GraphClient, template: str, pace: Pace):
        self.client, self.template, self.pace = client, template, pace
        self.closed = asyncio.Event()
        self._going: set[asyncio.Task] = set()

    async def send(self, r: Recipient, texts: dict[str, str]) -> str:
        # Waiting for its slot is part of the send, so close() waits for it too: a slot taken just as the stop began
        # would otherwise find the client closed, and its worker would be counted failed instead of sent or kept.
        task = asyncio.create_task(self._send(r, texts))  # a send once started finishes, even at close
        self._going.add(task)
        task.add_done_callback(self._going.discard)
        return await asyncio.shield(task)

    async def _send(self, r: Recipient, texts: dict[str, str]) -> str:
        if not await self.pace.take(self.closed):
            return "waiting"
        try:
            await self.client.send(Sender.of_key(r.chat).address, payload(self.template, texts, r.lang))
            return "sent"
        except GraphError as e:
            log.warning("an alert template could not be sent: %s", e)
            return "removed" if e.code == STOPPED_MARKETING else "failed"

    async def close(self) -> None:
        """No new sends (they are given back to the alert's outbox); those going out finish."""
        self.closed.set()
        if self._going:
            await asyncio.gather(*self._going, return_exceptions=True)


def attach(core: Core, client: GraphClient) -> WhatsAppAlerts | None:
    """The staff chat's desk sends to WhatsApp recipients through this from now on; None without alerts here."""
    settings = core.settings
    if not settings.whatsapp_alerts:
        return None
    pace = Pace(PER_SECOND, settings.whatsapp_alert_daily_limit, store=core.alerts)  # the day's count kept
    alerts = WhatsAppAlerts(client, settings.whatsapp_alert_template, pace)
    core.alert_senders["whatsapp"] = alerts.send
    return alerts


async def detach(core: Core, alerts: WhatsAppAlerts | None) -> None:
    """At the stop, before the client closes: what is not sent yet waits in the alert's outbox for the next start."""
    if alerts is not None:
        core.alert_senders.pop("whatsapp", None)
        await alerts.close()

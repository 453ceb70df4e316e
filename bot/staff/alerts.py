"""Alerts to workers when a fact changes: staff decide, the bot sends.

After every successful reload (``/reload``, a ``/kbfile`` upload, a file edit the watcher sees) the channel calls
:func:`plan` with the knowledge base before and after. If an alert fact (``alert: true``) changed and someone
follows it, an alert is stored as *offered* and :func:`preview` is what staff see: the message in each form and
how many chats would get it. Nothing goes out until staff press Send (:meth:`AlertStore.approve`); then
:func:`deliver` works through the alert's outbox in small claimed batches, with the channel's ``send`` doing the
sending and its pacing, so a restart resumes where it stopped and no chat gets the message twice.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Awaitable, Callable

from bot.conversation.alerts import alert_text, fact_name
from bot.knowledge.model import ANSWER_LANGUAGES, Fact, KnowledgeBase
from bot.stores.alerts import Alert, AlertStore, Recipient

log = logging.getLogger(__name__)

FORM_NAMES = {"en": "English", "ur": "Urdu", "sd": "Sindhi", "ur-Latn": "Roman Urdu"}

# What the channel's send returns: the message went out, it did not, or the chat blocked the bot (unsubscribed).
Outcome = str  # "sent" | "failed" | "removed"
Send = Callable[[Recipient, str], Awaitable[Outcome]]


@dataclass(frozen=True)
class Planned:
    alert_id: int
    facts: tuple[str, ...]
    texts: dict[str, str]
    subscribers: int


def _shown(fact: Fact) -> tuple:
    """What a worker sees of a fact: a change to its source or note alone is no news for them."""
    return fact.kind, fact.value, fact.effective


def changed_facts(old: KnowledgeBase, new: KnowledgeBase) -> tuple[str, ...]:
    """Alert facts whose figure or date differs between ``old`` and ``new`` (new alert facts too)."""
    return tuple(fact_id for fact_id, fact in new.facts.items()
                 if fact.alert and (fact_id not in old.facts or _shown(old.facts[fact_id]) != _shown(fact)))


async def plan(store: AlertStore, old: KnowledgeBase, new: KnowledgeBase) -> Planned | None:
    """Offer an alert for the changed facts that someone follows; None when there is nothing to offer."""
    changed = changed_facts(old, new)
    followed = tuple([f for f in changed if await store.subscribers([f])])
    if not followed:
        return None
    texts = {lang: alert_text(new, followed, lang) for lang in ANSWER_LANGUAGES}
    alert_id = await store.offer(followed, texts)
    return Planned(alert_id, followed, texts, await store.subscribers(followed))


def preview(kb: KnowledgeBase, planned: Planned) -> str:
    """The staff chat's preview: what changed, who would get it, and the message in each form."""
    names = ", ".join(fact_name(kb, f, "en") for f in planned.facts)
    lines = [f"Alert {planned.alert_id}: {names} changed. {planned.subscribers} chat(s) asked to be told. "
             "Press Send to send them this message (each in its own form), or Cancel. Nothing is sent without Send.", ""]
    for lang in ANSWER_LANGUAGES:
        lines += [f"[{FORM_NAMES[lang]}]", planned.texts[lang], ""]
    return "\n".join(lines).rstrip()


def summary(alert: Alert) -> str:
    return (f"Alert {alert.id} finished: sent to {alert.sent} chat(s), failed for {alert.failed}, "
            f"{alert.removed} removed (they had blocked the bot, so their alerts were deleted).")


async def deliver(store: AlertStore, alert_id: int, send: Send, stop: asyncio.Event, *, batch: int = 20,
                  concurrency: int = 4) -> Alert | None:
    """Send an approved alert to every recipient still waiting; the finished alert, or None if stopped first.

    Each batch is claimed before it is sent and marked after. When ``stop`` is set, messages already going out
    finish and the rest of the batch is given back unsent, for the next start.
    """
    alert = await store.alert(alert_id)
    if alert is None or alert.state != "sending":
        return None
    gate = asyncio.Semaphore(concurrency)

    async def one(r: Recipient) -> tuple[Recipient, str]:
        async with gate:
            if stop.is_set():
                return r, "waiting"
            try:
                return r, await send(r, alert.texts.get(r.lang) or alert.texts["en"])
            except Exception:  # noqa: BLE001 - one chat's failure must not stop the others
                log.exception("an alert could not be sent to one chat")
                return r, "failed"

    while not stop.is_set():
        claimed = await store.claim(alert_id, batch)
        if not claimed:
            break
        await store.mark(alert_id, await asyncio.gather(*(one(r) for r in claimed)))
    return None if stop.is_set() else await store.finish(alert_id)

"""The composition root: builds the core's services once, for every entrypoint.

Telegram, the terminal chat, the CLI and the benchmarks all take a :class:`Core`
from :func:`bootstrap` instead of wiring the knowledge store, chat preferences
and query log themselves, so two channels in one process share one query-log
writer and one way of filing a question under its topic. Tests pass their own
stores (in memory, in a temporary folder) in place of the real ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Awaitable, Callable

from bot.config import Settings
from bot.conversation.dialogue import Conversation
from bot.knowledge.store import KnowledgeStore
from bot.stores.alerts import AlertStore, Recipient
from bot.stores.preferences import Preferences
from bot.conversation.files import HeldFiles
from bot.conversation.outbox import WorkerOutbox
from bot.conversation.referral import CaseDesk, Referral

if TYPE_CHECKING:  # imported when a core logs questions or has a case chat (``ask`` has neither)
    from bot.stores.cases import CaseStore
    from bot.stores.querylog import QueryLog


def topic_of(knowledge: KnowledgeStore) -> Callable[[str], str | None]:
    """The topic an entry belongs to in the knowledge base in use (after any reload); None if it is gone."""

    def topic(entry_id: str) -> str | None:
        entry = knowledge.kb.entry(entry_id)
        return entry.topic if entry else None

    return topic


# Sends one alert to a chat of another channel than the staff chat's: the recipient and the alert's text in each form
# in, "sent", "failed", "removed" (the chat blocked the bot) or "waiting" (not sent: given back for later) out.
AlertSend = Callable[[Recipient, dict[str, str]], Awaitable[str]]


@dataclass
class Core:
    """What every channel works with. :meth:`start` opens the stores, :meth:`close` flushes and closes them."""

    settings: Settings
    knowledge: KnowledgeStore
    prefs: Preferences
    querylog: QueryLog | None
    cases: CaseStore | None = None  # only with a case chat (BOT_CASE_CHAT_ID)
    started: bool = False  # the stores are open (WhatsApp's /healthz; a second channel waits for the first's start)
    desk: CaseDesk | None = None  # the case chat, once the channel that has it (Telegram) set it up
    outboxes: list[WorkerOutbox] = field(default_factory=list)  # staff replies to chats of other channels
    alerts: AlertStore | None = None  # who asked to be told when a fact changes
    alert_senders: dict[str, AlertSend] = field(default_factory=dict)  # channel -> its alert send (WhatsApp's)
    files: HeldFiles = field(default_factory=HeldFiles)  # WhatsApp workers' files for the case chat, until posted

    def outbox_for(self, chat_id: str) -> WorkerOutbox | None:
        """The outbox that reaches ``chat_id``, if it is not a chat of the case chat's own channel."""
        return next((o for o in self.outboxes if o.takes(chat_id)), None)

    def conversation(self, channel: str, sends_alerts: bool = False) -> Conversation:
        """The conversation core for one channel (``telegram``, ``terminal``), on these stores.

        "Ask a person" is on once the channel gives the referral a desk (only Telegram has a case chat).
        ``sends_alerts``: the channel can send a message the worker did not ask for just then (Telegram can;
        WhatsApp only with an approved template), so answers offer "Tell me when this changes".
        """
        referral = Referral(self.knowledge, self.cases, log=self.querylog)
        return Conversation(self.knowledge, self.prefs, log=self.querylog, channel=channel,
                            retention_days=self.settings.retention_days, referral=referral,
                            case_retention_days=self.settings.case_retention_days, alerts=self.alerts,
                            sends_alerts=sends_alerts and self.alerts is not None)

    async def start(self) -> None:
        await self.prefs.open()
        if self.querylog is not None:
            await self.querylog.start()
        if self.cases is not None:
            await self.cases.open()
        if self.alerts is not None:
            await self.alerts.open()
        self.started = True

    async def close(self) -> None:
        self.started = False
        try:
            if self.querylog is not None:
                await self.querylog.close()
        finally:
            try:
                if self.cases is not None:
                    await self.cases.close()
                if self.alerts is not None:
                    await self.alerts.close()
            finally:
                await self.prefs.close()


def bootstrap(settings: Settings, knowledge: KnowledgeStore | None = None, *, prefs: Preferences | None = None,
              querylog: QueryLog | None = None, log_questions: bool = True, alerts: AlertStore | None = None) -> Core:
    """The core on ``settings``: real stores in its data folder unless others are given.

    ``knowledge``: an already loaded store (saves building the index again); else ``settings.knowledge_dir``.
    ``log_questions=False``: no query log at all (a staff preview is not a worker's question).
    ``alerts``: where subscriptions to fact changes go (in memory for the terminal: it sends no alerts).
    """
    knowledge = knowledge or KnowledgeStore(settings.knowledge_dir, settings.index_cache_dir)
    if prefs is None:
        prefs = Preferences(settings.prefs_path, key=settings.prefs_key)
    if querylog is None and log_questions:
        from bot.stores.querylog import QueryLog

        querylog = QueryLog(settings.log_path, topic_of=topic_of(knowledge), retention_days=settings.retention_days)
    cases = None
    if settings.case_chat_id is not None:
        from bot.stores.cases import CaseStore

        cases = CaseStore(settings.cases_path, settings.case_retention_days)
    return Core(settings, knowledge, prefs, querylog, cases, alerts=alerts or AlertStore(settings.alerts_path))

"""Alerts on Telegram: the staff chat's preview with Send and Cancel, and the paced sending.

The decisions are in :mod:`bot.staff.alerts` and the store in :mod:`bot.stores.alerts`; here are only the buttons
(``bcast:send:<id>``, ``bcast:cancel:<id>``, for staff chats only), the sending (through the Application's rate
limiter as bulk messages, which give way to replies to workers), and Telegram's "blocked by the user", which
unsubscribes that chat quietly. Alerts staff sent before a restart are resumed at start; at a stop, messages
already going out finish and the rest wait for the next start. Recipients on another channel (WhatsApp, by its
approved template) go through that channel's send in ``core.alert_senders``, once it runs (it starts after
Telegram, and stops before).
"""

from __future__ import annotations

import asyncio
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.bootstrap import AlertSend
from bot.channels.telegram.ratelimit import BULK
from bot.channels.telegram.services import answer_press
from bot.knowledge.model import KnowledgeBase
from bot.staff import alerts as plans
from bot.stores.alerts import AlertStore, Recipient

log = logging.getLogger(__name__)

CHANNEL = "telegram"


class AlertDesk:
    """What the handlers share: the store, the staff chats, and the alerts being sent."""

    def __init__(self, store: AlertStore, staff_chats: frozenset[int], batch: int = 20, concurrency: int = 4,
                 others: dict[str, AlertSend] | None = None, expected: frozenset[str] = frozenset()):
        self.store = store
        self.staff_chats = staff_chats
        self.others = {} if others is None else others  # channel -> its send, while that channel runs
        self.expected = expected  # channels that send alerts in this process: their recipients wait for them
        self.batch, self.concurrency = batch, concurrency
        self.stopping = asyncio.Event()
        self.tasks: dict[int, asyncio.Task] = {}

    async def start(self, app: Application) -> None:
        """Resume the alerts staff sent before the last stop."""
        self.stopping.clear()
        for alert_id in await self.store.sending():
            unknown = await self.store.settle_unknown(alert_id)
            if unknown:
                log.warning("alert %d: %d message(s) may or may not have gone out before the last stop; they are "
                            "counted as failed, not sent again", alert_id, unknown)
            self._send(app, alert_id)

    async def stop(self) -> None:
        self.stopping.set()
        if self.tasks:
            await asyncio.gather(*self.tasks.values(), return_exceptions=True)

    async def changed(self, app: Application, old: KnowledgeBase, new: KnowledgeBase) -> None:
        """After a successful reload: offer an alert for the facts that changed, if anyone follows them."""
        try:
            planned = await plans.plan(self.store, old, new)
        except Exception:  # noqa: BLE001 - the reload itself worked; staff must hear that, and of this failure
            log.exception("could not prepare an alert for the facts that changed")
            await self._tell_staff(app, "A fact that workers follow changed, but the alert could not be prepared "
                                        "(the alert store failed; see the log). Nothing was sent.")
            return
        if planned is None:
            return
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Send", callback_data=f"bcast:send:{planned.alert_id}"),
                                        InlineKeyboardButton("Cancel", callback_data=f"bcast:cancel:{planned.alert_id}")]])
        for chat_id in self.staff_chats:
            try:
                await app.bot.send_message(chat_id, plans.preview(new, planned), reply_markup=markup)
            except TelegramError as e:
                log.warning("could not send an alert preview to a staff chat (%s)", e)

    async def pressed(self, app: Application, data: str) -> str:
        _prefix, action, number = (data.split(":") + ["", ""])[:3]
        if not number.isdigit():
            return "That button is not one of mine."
        alert_id = int(number)
        if action == "cancel":
            return (f"Alert {alert_id} cancelled: nothing was sent." if await self.store.cancel(alert_id)
                    else f"Alert {alert_id} was already sent or cancelled.")
        if action == "send":
            count = await self.store.approve(alert_id)
            if count is None:
                return f"Alert {alert_id} was already sent or cancelled."
            self._send(app, alert_id)
            return f"Alert {alert_id}: sending to {count} chat(s). I will tell you here when it is done."
        return "That button is not one of mine."

    def _send(self, app: Application, alert_id: int) -> None:
        if alert_id in self.tasks:
            return

        paced = {"rate_limit_args": BULK} if app.bot.rate_limiter else {}  # PTB refuses the argument without one
        texts: dict[str, str] = {}  # the alert in each form, for another channel's send (its template's language)

        async def send(r: Recipient, text: str) -> str:
            if r.channel != CHANNEL:
                if not texts:
                    alert = await self.store.alert(alert_id)
                    texts.update(alert.texts if alert else {})
                return await self._elsewhere(r, texts)
            try:
                await app.bot.send_message(int(r.chat), text, **paced)
                return "sent"
            except Forbidden:  # blocked the bot, or deleted their account: stop alerts quietly
                return "removed"
            except BadRequest as e:
                return "removed" if "chat not found" in str(e).lower() else "failed"

        async def run() -> None:
            try:
                done = await plans.deliver(self.store, alert_id, send, self.stopping, batch=self.batch,
                                           concurrency=self.concurrency)
                if done is not None:
                    await self._tell_staff(app, plans.summary(done))
            except Exception:  # noqa: BLE001 - kept in the store; resumed at the next start
                log.exception("alert %d stopped with an error; it resumes at the next start", alert_id)
            finally:
                self.tasks.pop(alert_id, None)

        self.tasks[alert_id] = asyncio.create_task(run(), name=f"alert-{alert_id}")

    async def _elsewhere(self, r: Recipient, texts: dict[str, str]) -> str:
        """A recipient on another channel: through its send. Until that channel runs (at the start, at the stop), the
        message waits; a channel that sends no alerts in this process (its template was removed) fails it."""
        while (send := self.others.get(r.channel)) is None:
            if r.channel not in self.expected:
                return "failed"
            if self.stopping.is_set():
                return "waiting"
            await asyncio.sleep(0.2)
        return await send(r, texts)

    async def _tell_staff(self, app: Application, text: str) -> None:
        for chat_id in self.staff_chats:
            try:
                await app.bot.send_message(chat_id, text)
            except TelegramError as e:
                log.warning("could not tell a staff chat about an alert (%s)", e)


def desk(context: ContextTypes.DEFAULT_TYPE) -> AlertDesk:
    return context.application.bot_data["alerts"]


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await answer_press(update)
    d = desk(context)
    if update.effective_chat is None or update.effective_chat.id not in d.staff_chats:
        return  # forged: only staff chats are sent these buttons
    reply = await d.pressed(context.application, query.data or "")
    await context.bot.send_message(update.effective_chat.id, reply)


def register(app: Application, store: AlertStore | None, staff_chats: frozenset[int],
             others: dict[str, AlertSend] | None = None, expected: frozenset[str] = frozenset()) -> AlertDesk | None:
    """The Send and Cancel buttons (before the workers' button handler); None without a store or a staff chat.
    ``others``: other channels' alert sends (``core.alert_senders``); ``expected``: those that will run."""
    if store is None or not staff_chats:
        return None
    app.bot_data["alerts"] = AlertDesk(store, staff_chats, others=others, expected=expected)
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^bcast:"))
    return app.bot_data["alerts"]

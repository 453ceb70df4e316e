"""The case chat on Telegram: cases arrive there, staff answer there ("Ask a person").

``BOT_CASE_CHAT_ID`` names a group where the bot posts each case: its number,
language, the entry the bot matched and the worker's text or voice note, never
the worker's Telegram name, username or id. If the group has topics (a forum),
each case gets its own topic. A staff member's reply to a case's message, or a
message in its topic, is relayed to the worker; ``/close`` there ends the case,
``/cases`` lists the open ones. Only messages from the case chat itself are
read as staff messages, so only its members can reply or close; a reply to a
message that is not a case's is ignored.
"""

from __future__ import annotations

import datetime as dt
import logging

from telegram import Message as TgMessage, ReplyKeyboardRemove, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.stores.cases import Case, CaseStore
from bot.conversation.dialogue import Message
from bot.conversation.i18n import gettext_for
from bot.channels.telegram.render import split_text, to_html
from bot.channels.telegram.services import allowed, language_hint, send, services

log = logging.getLogger(__name__)

LANGUAGE_NAMES = {"en": "English", "ur": "Urdu", "sd": "Sindhi"}


def _urgent(case: Case) -> str:
    """The first line of an urgent case's posts: the worker wrote of immediate danger and got the emergency numbers."""
    return "URGENT: the worker wrote of immediate danger (they were shown the emergency numbers)\n" if case.urgent else ""


class TelegramDesk:
    """Posts cases to the case chat and links each post to its case (bot.conversation.referral.CaseDesk)."""

    def __init__(self, app: Application, chat_id: int, store: CaseStore):
        self.app, self.chat_id, self.store = app, chat_id, store
        self._forum: bool | None = None

    async def _is_forum(self) -> bool:
        if self._forum is None:
            try:
                self._forum = bool((await self.app.bot.get_chat(self.chat_id)).is_forum)
            except TelegramError as e:
                log.warning("could not tell whether the case chat has topics (%s); posting without topics", e)
                return False
        return self._forum

    async def _post(self, case: Case, text: str, voice: str | None = None) -> None:
        """Post to the case (in its topic if it has one) and link every message posted to it."""
        thread = case.thread_id
        posted: list[TgMessage] = []
        for piece in split_text(text):
            posted.append(await self.app.bot.send_message(self.chat_id, piece, message_thread_id=thread))
        if voice:
            posted.append(await self.app.bot.send_voice(self.chat_id, voice, caption=f"Case {case.number}: voice note",
                                                        message_thread_id=thread))
        for msg in posted:
            await self.store.link_post(case.number, msg.message_id)

    async def new_case(self, case: Case, entry_title: str | None, text: str | None, voice: str | None) -> None:
        if await self._is_forum():
            try:
                topic = await self.app.bot.create_forum_topic(self.chat_id, f"Case {case.number}")
            except TelegramError as e:  # the bot lacks the right to manage topics: the case goes to the general topic
                log.warning("could not open a topic for a case (%s); give the bot the 'Manage topics' right", e)
            else:
                await self.store.set_thread(case.number, topic.message_thread_id)
                case = await self.store.case(case.number) or case
        heading = (f"{_urgent(case)}New case {case.number}\nLanguage: {LANGUAGE_NAMES.get(case.lang, case.lang)}\n"
                   f"Matched: {entry_title or '(nothing matched)'}\n"
                   "Reply to this message to answer the worker; /close when done.")
        body = text if text else "(voice note below)"
        await self._post(case, f"{heading}\n\n{body}", voice)

    async def follow_up(self, case: Case, text: str | None, voice: str | None) -> None:
        await self._post(case, f"{_urgent(case)}Case {case.number}, the worker adds:\n\n{text or '(voice note below)'}", voice)

    async def withdrawn(self, case: Case) -> None:
        await self.app.bot.send_message(self.chat_id, f"Case {case.number} was ended by the worker (/forget) and "
                                                      "deleted. Replies to it no longer reach anyone.",
                                        message_thread_id=case.thread_id)

    async def contact(self, case: Case, name: str, phone: str) -> None:
        await self._post(case, f"Case {case.number}: the worker chose to share their contact for a call back.\n"
                               f"Name: {name}\nPhone: {phone}")


def register(app: Application, store: CaseStore | None, chat_id: int | None) -> TelegramDesk | None:
    """Voice notes from workers; with a case chat, its handlers and the worker's shared contact.

    Call before the general handlers: the first handler that takes an update wins.
    """
    private = filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(private & (filters.VOICE | filters.AUDIO), on_voice))
    if store is None or chat_id is None:
        return None
    desk = TelegramDesk(app, chat_id, store)
    app.bot_data["case_desk"] = desk
    case_chat = filters.Chat(chat_id=chat_id)
    app.add_handler(MessageHandler(case_chat & filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL, on_case_chat))
    app.add_handler(MessageHandler(case_chat, _ignore))  # edits and service messages in the case chat
    app.add_handler(MessageHandler(private & filters.CONTACT, on_contact))
    return desk


async def _ignore(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    return None


def _desk(context: ContextTypes.DEFAULT_TYPE) -> TelegramDesk:
    return context.application.bot_data["case_desk"]


def _command(msg: TgMessage, bot_username: str | None) -> str | None:
    """``close`` for /close or /close@thisbot; None for text, or a command for another bot."""
    if not msg.text or not msg.text.startswith("/"):
        return None
    name, _sep, target = msg.text.split()[0][1:].partition("@")
    if target and target.lower() != (bot_username or "").lower():
        return None
    return name.lower()


async def _case_of(msg: TgMessage, store: CaseStore) -> Case | None:
    """The case a staff message belongs to: its topic's, or that of the case message it replies to."""
    if msg.is_topic_message and msg.message_thread_id:
        case = await store.case_of_thread(msg.message_thread_id)
        if case is not None:
            return case
    if msg.reply_to_message is not None:
        return await store.case_of_post(msg.reply_to_message.message_id)
    return None


def _age(opened: dt.datetime, now: dt.datetime) -> str:
    hours = int((now - opened).total_seconds() // 3600)
    return f"{hours // 24} d {hours % 24} h" if hours >= 24 else f"{hours} h"


async def on_case_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A message in the case chat: /cases, /close in a case, or a staff reply to relay to the worker."""
    msg = update.effective_message
    desk = _desk(context)
    store = desk.store
    command = _command(msg, context.bot.username)
    if command == "cases":
        now = dt.datetime.now(dt.timezone.utc)
        cases = await store.open_cases()
        lines = [f"{c.number} · {LANGUAGE_NAMES.get(c.lang, c.lang)} · open {_age(c.opened, now)}" for c in cases]
        await msg.reply_text("Open cases:\n" + "\n".join(lines) if lines else "No open cases.")
        return
    case = await _case_of(msg, store)
    if case is None:
        if command == "close":
            await msg.reply_text("Send /close as a reply to a case's message (or inside the case's topic).")
        return  # staff talking among themselves, or a reply to something that is not a case
    _ = gettext_for(case.lang)
    if command == "close":
        if await store.close_case(case.number) is None:
            await msg.reply_text(f"Case {case.number} is already closed.")
            return
        await _tell_worker(context, case, _("NOWCommunities has closed your case {number}. To ask again, send "
                                            "/person.").format(number=case.number))
        await msg.reply_text(f"Case {case.number} closed; the worker has been told.")
        return
    if command is not None:
        return
    if case.status != "open":
        await msg.reply_text(f"Case {case.number} is closed: this reply was not sent.")
        return
    label = _("Reply from NOWCommunities (case {number}):").format(number=case.number)
    if msg.text:
        delivered = await _tell_worker(context, case, msg.text, title=label)
        body, kind = msg.text, "text"
    else:
        delivered = await _tell_worker(context, case, label) and await _copy(context, case, msg)
        body, kind = (msg.voice.file_id if msg.voice else "(attachment)"), "voice" if msg.voice else "text"
    if delivered:
        await store.add_message(case.number, "staff", kind, body)
        await store.link_post(case.number, msg.message_id)
    else:
        await msg.reply_text(f"Case {case.number}: the reply could not be delivered (the worker may have blocked the bot).")


async def _tell_worker(context: ContextTypes.DEFAULT_TYPE, case: Case, text: str, title: str | None = None) -> bool:
    try:
        for piece in to_html(Message(text, title=title)):
            await context.bot.send_message(int(case.chat_id), piece, parse_mode=ParseMode.HTML)
    except TelegramError as e:
        log.info("could not relay to a worker's chat (%s)", e)
        return False
    return True


async def _copy(context: ContextTypes.DEFAULT_TYPE, case: Case, msg: TgMessage) -> bool:
    try:
        await context.bot.copy_message(int(case.chat_id), msg.chat_id, msg.message_id)
    except TelegramError as e:
        log.info("could not copy a staff message to a worker's chat (%s)", e)
        return False
    return True


async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The worker pressed "Share my name and number": shown in their open case, and only their own contact."""
    msg = update.effective_message
    contact = msg.contact
    user = update.effective_user
    referral = services(context).conversation.referral
    if referral is None:
        return
    own = bool(contact and user and contact.user_id == user.id)
    case, replies = await referral.shared_contact(update.effective_chat.id, own)
    if case is not None and contact is not None:
        name = " ".join(n for n in (contact.first_name, contact.last_name) if n)
        await _desk(context).contact(case, name, contact.phone_number)
    for reply in replies:
        await context.bot.send_message(update.effective_chat.id, to_html(Message(reply.text))[0],
                                       parse_mode=ParseMode.HTML, reply_markup=ReplyKeyboardRemove())


async def on_voice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A voice note or audio from a worker: for their case, or the offer to make it one."""
    if not allowed(update, context):
        return
    msg = update.effective_message
    media = msg.voice or msg.audio
    if media is None:
        return
    conv = services(context).conversation
    await send(update, context, await conv.voice(update.effective_chat.id, media.file_id, language_hint(update)))

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

import asyncio
import datetime as dt
import functools
import logging

from telegram import InputFile, Message as TgMessage, ReplyKeyboardRemove, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.stores.cases import Case, CaseStore
from bot.conversation.dialogue import Message
from bot.conversation.files import HeldFiles, is_held
from bot.conversation.outbox import WorkerOutbox
from bot.conversation.i18n import gettext_for
from bot.channels.telegram.outbox import FOLLOW_UP, NEW_CASE, STAFF, Outbox
from bot.channels.telegram.render import split_text, to_html
from bot.channels.telegram.services import allowed, language_hint, send, services

log = logging.getLogger(__name__)

LANGUAGE_NAMES = {"en": "English", "ur": "Urdu", "sd": "Sindhi", "ur-Latn": "Roman Urdu"}
WAITING = ("Case {number}: the worker wrote on WhatsApp more than 24 hours ago, so WhatsApp does not let the bot send "
           "this now. It is kept and goes to the worker as soon as they write again.")
FILE_WINDOW = ("WhatsApp lets the bot send a worker a file only within 24 hours of their last message, and a file is not "
               "kept: send it again once they write")
NOTIFIED = " The worker agreed to a notice, so one short WhatsApp notice (with nothing of the case) was sent."


def _urgent(case: Case) -> str:
    """The first line of an urgent case's posts: the worker wrote of immediate danger and got the emergency numbers."""
    return "URGENT: the worker wrote of immediate danger (they were shown the emergency numbers)\n" if case.urgent else ""


class TelegramDesk:
    """Posts cases to the case chat and links each post to its case (bot.conversation.referral.CaseDesk).

    Every post goes through :class:`Outbox`, staff answers first. Posts and topics are kept with the chat they are in:
    when ``BOT_CASE_CHAT_ID`` names a new chat (Topics turned on gives a group a new id), :meth:`start` posts every
    open case again in the new chat with its messages so far and tells staff so; nothing written in the old chat
    reaches a worker any more.
    """

    def __init__(self, app: Application, chat_id: int, store: CaseStore, files: HeldFiles | None = None):
        self.app, self.chat_id, self.store = app, chat_id, store
        self.files = files or HeldFiles()  # what other channels' workers sent for their cases, until posted here
        self.outbox = Outbox()
        self._forum: bool | None = None
        self._restoring: asyncio.Task | None = None
        self._hourly: asyncio.Task | None = None

    async def start(self) -> None:
        """Note a move of the case chat; post again, in the background, whatever is not in this chat yet."""
        before = await self.store.use_case_chat(self.chat_id)
        if before is not None:
            log.warning("the case chat changed from %s to %s: open cases are posted again in the new chat",
                        before, self.chat_id)
        stranded = await self.store.undelivered("staff")  # before any new reply can be on its way
        self._restoring = asyncio.create_task(self._restore(before, stranded), name="case-chat-restore")
        self._hourly = asyncio.create_task(self._every_hour(), name="case-chat-hourly")

    async def stop(self) -> None:
        for task in (self._restoring, self._hourly):
            if task is not None:
                task.cancel()
        await self.outbox.stop()

    async def _every_hour(self, seconds: float = 3600) -> None:
        """The daily purge of closed cases past retention (also while the bot runs for weeks), and a word to staff
        about each case open longer than ``BOT_CASE_OPEN_DAYS``, once per case."""
        days = self.app.bot_data["services"].settings.case_open_days
        while True:
            try:
                await self.store.daily_purge()
                for case in await self.store.open_too_long(days):
                    await self.say(f"Case {case.number} has been open for more than {days} days "
                                   f"(since {case.opened:%Y-%m-%d}). Please answer the worker, then /close it.",
                                   thread=case.thread_in(self.chat_id))
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - tried again in an hour
                log.exception("the case store's hourly work failed")
            await asyncio.sleep(seconds)

    async def _is_forum(self) -> bool:
        if self._forum is None:
            try:
                self._forum = bool((await self.app.bot.get_chat(self.chat_id)).is_forum)
            except TelegramError as e:
                log.warning("could not tell whether the case chat has topics (%s); posting without topics", e)
                return False
        return self._forum

    async def _post(self, case: Case, text: str, voice: str | None = None) -> None:
        """Post to the case (in its topic here if it has one) and link every message posted to it."""
        thread = case.thread_in(self.chat_id)
        for piece in split_text(text):  # each linked at once: if a later piece fails, replies to this one are answered
            sent = await self.app.bot.send_message(self.chat_id, piece, message_thread_id=thread)
            await self.store.link_post(case.number, self.chat_id, sent.message_id)
        if voice:
            await self._send_file(case, "voice", voice)

    async def _topic(self, case: Case) -> Case:
        """In a forum, the case's own topic in this chat (opened if it has none here yet)."""
        if case.thread_in(self.chat_id) is not None or not await self._is_forum():
            return case
        try:
            topic = await self.app.bot.create_forum_topic(self.chat_id, f"Case {case.number}")
        except TelegramError as e:  # the bot lacks the right to manage topics: the case goes to the general topic
            log.warning("could not open a topic for a case (%s); give the bot the 'Manage topics' right", e)
            return case
        await self.store.set_thread(case.number, self.chat_id, topic.message_thread_id)
        return await self.store.case(case.number) or case

    async def say(self, text: str, reply_to: int | None = None, thread: int | None = None) -> None:
        """An answer to staff in the case chat: ahead of every case post waiting."""
        async def post() -> None:
            for piece in split_text(text):
                await self.app.bot.send_message(self.chat_id, piece, message_thread_id=thread,
                                                reply_to_message_id=reply_to, allow_sending_without_reply=True)
        await self.outbox.run(STAFF, post)

    async def new_case(self, case: Case, entry_title: str | None, text: str | None, voice: str | None) -> None:
        async def post() -> None:
            opened = await self._topic(case)
            heading = (f"{_urgent(opened)}New case {opened.number}\nLanguage: {language_name(opened.lang)}\n"
                       f"Matched: {entry_title or '(nothing matched)'}\n"
                       "Reply to this message to answer the worker; /close when done.")
            await self._post(opened, f"{heading}\n\n{text if text else '(voice note below)'}", voice)
        await self.outbox.run(NEW_CASE, post)

    async def follow_up(self, case: Case, text: str | None, voice: str | None) -> None:
        async def post() -> None:
            current = await self.store.case(case.number) or case  # its topic, if it got one since
            await self._post(current, f"{_urgent(current)}Case {case.number}, the worker adds:\n\n{text or '(voice note below)'}", voice)
        await self.outbox.run(FOLLOW_UP, post)

    async def withdrawn(self, case: Case) -> None:
        async def post() -> None:
            await self.app.bot.send_message(self.chat_id, f"Case {case.number} was ended by the worker (/forget) and "
                                                          "deleted. Replies to it no longer reach anyone.",
                                            message_thread_id=case.thread_in(self.chat_id))
        await self.outbox.run(FOLLOW_UP, post)

    async def attachment(self, case: Case, kind: str, file_id: str, caption: str | None) -> None:
        async def post() -> None:
            current = await self.store.case(case.number) or case
            await self._post(current, f"Case {case.number}, the worker adds a {kind} (below)"
                                      + (f":\n\n{caption}" if caption else "."))
            await self._send_file(current, kind, file_id)
        await self.outbox.run(FOLLOW_UP, post)

    async def _send_file(self, case: Case, kind: str, file_id: str) -> None:
        """A photo, document or voice note the worker sent, linked to the case: by its Telegram file id, or uploaded
        from the bytes another channel holds for it (bot/conversation/files.py), whose handle the case then keeps
        as the file id Telegram gives the upload."""
        held = self.files.get(file_id) if is_held(file_id) else None
        label = "voice note" if kind == "voice" else kind
        if is_held(file_id) and held is None:
            await self._post(case, f"Case {case.number}: a {label} the worker sent on WhatsApp was lost in a restart "
                                   "before it reached this chat. Please ask them to send it again.")
            return
        if kind == "photo":
            send = self.app.bot.send_photo
        elif kind == "voice" and (held is None or "ogg" in held.mime_type):
            send = self.app.bot.send_voice
        else:  # a document, or a WhatsApp audio file that is no OGG voice note (Telegram would refuse it as one)
            send = self.app.bot.send_document
        sent = await send(self.chat_id, InputFile(held.data, filename=held.name) if held else file_id,
                          caption=f"Case {case.number}: {label}", message_thread_id=case.thread_in(self.chat_id))
        await self.store.link_post(case.number, self.chat_id, sent.message_id)
        if held is not None:
            posted = sent.voice or sent.document or (sent.photo[-1] if sent.photo else None)
            if posted is not None:
                await self.store.replace_file(case.number, file_id, posted.file_id)
            self.files.release(file_id)

    async def contact(self, case: Case, name: str, phone: str) -> None:
        await self.outbox.run(FOLLOW_UP, lambda: self._post(
            case, f"Case {case.number}: the worker chose to share their contact for a call back.\n"
                  f"Name: {name}\nPhone: {phone}"))

    # -- after a restart or a move ------------------------------------------------------------------

    async def _restore(self, before: str | None, stranded: list[tuple[int, str, str, str]]) -> None:
        """Post what this chat lacks: every open case not posted here (the chat moved, or a restart cut its post
        off), with its messages so far; then workers' messages a restart kept from reaching staff. Staff replies a
        restart cut off are sent to the worker now, and staff told."""
        try:
            for message, number, kind, body in stranded:
                await self._resend(message, number, kind, body)
            missing = [c for c in await self.store.open_cases() if not await self.store.posted_in(c.number, self.chat_id)]
            if before is not None:
                listed = ", ".join(c.number for c in missing) or "none"
                await self.say(f"The case chat has moved here from chat {before}. Open cases ({listed}) are posted "
                               "again below, each with its messages so far: answer them here, by replying to those "
                               "posts or in their topics. Replies written in the old chat no longer reach workers.")
            for case in missing:
                await self.outbox.run(NEW_CASE, functools.partial(self._repost, case, moved=before is not None))
            for message, number, kind, body in await self.store.undelivered("worker"):
                if (kept := await self.store.case(number)) is None:
                    continue
                if kind in ("text", "voice"):
                    await self.follow_up(kept, body if kind == "text" else None, body if kind == "voice" else None)
                else:
                    await self.attachment(kept, kind, body, None)
                await self.store.delivered(message)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the bot keeps running; what was not posted is tried at the next start
            log.exception("could not post again the cases missing from the case chat")

    async def _resend(self, message: int, number: str, kind: str, body: str) -> None:
        case = await self.store.case(number)
        if case is None:
            return
        _ = gettext_for(case.lang)
        label = _("Reply from NOWCommunities (case {number}):").format(number=number)
        if kind == "text":
            try:
                for piece in to_html(Message(body, title=label)):
                    await self.app.bot.send_message(int(case.chat_id), piece, parse_mode=ParseMode.HTML)
            except TelegramError as e:
                log.info("could not relay a reply held up by a restart (%s)", e)
                said = "could not be delivered after a restart (the worker may have blocked the bot)"
            else:
                await self.store.delivered(message)
                said = "was held up by a restart; it has now reached the worker"
        else:
            said = "(a voice note or attachment) was cut off by a restart and did not reach the worker: please send it again"
        await self.say(f"Case {number}: a staff reply {said}.", thread=case.thread_in(self.chat_id))

    async def _repost(self, case: Case, moved: bool) -> None:
        case = await self._topic(case)
        why = "moved from the previous case chat" if moved else "its first post did not reach this chat"
        kb = self.app.bot_data["services"].knowledge.kb
        entry = kb.entry(case.entry_id) if case.entry_id else None
        lines = [f"Case {case.number} ({why})", f"Language: {language_name(case.lang)}",
                 f"Matched: {entry.title['en'] if entry else '(nothing matched)'}",
                 f"Opened: {case.opened:%Y-%m-%d %H:%M} UTC",
                 "Reply to this message to answer the worker; /close when done.", ""]
        files: list[tuple[str, str]] = []
        for sender, kind, body in await self.store.messages(case.number):
            who = "Worker" if sender == "worker" else "Staff"
            if kind == "text":
                lines.append(f"{who}: {body}")
            else:
                files.append((kind, body))
                lines.append(f"{who}: ({kind} {len(files)} below)")
        await self._post(case, "\n".join(lines))
        for kind, file_id in files:
            await self._send_file(case, kind, file_id)
        for message, number, _kind, _body in await self.store.undelivered("worker"):
            if number == case.number:
                await self.store.delivered(message)  # part of the history just posted


def language_name(lang: str) -> str:
    """The case's language as staff read it."""
    return LANGUAGE_NAMES.get(lang, lang)


def register(app: Application, store: CaseStore | None, chat_id: int | None,
             files: HeldFiles | None = None) -> TelegramDesk | None:
    """Voice notes from workers; with a case chat, its handlers and the worker's shared contact.

    Call before the general handlers: the first handler that takes an update wins.
    """
    private = filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(private & (filters.VOICE | filters.AUDIO), on_voice))
    if store is None or chat_id is None:
        return None
    desk = TelegramDesk(app, chat_id, store, files)
    app.bot_data["case_desk"] = desk
    case_chat = filters.Chat(chat_id=chat_id)
    app.add_handler(MessageHandler(case_chat & filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL, on_case_chat))
    app.add_handler(MessageHandler(case_chat & filters.UpdateType.EDITED_MESSAGE, on_case_chat_edit))
    app.add_handler(MessageHandler(case_chat, _ignore))  # service messages in the case chat
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


async def _case_of(msg: TgMessage, store: CaseStore) -> tuple[Case | None, str | None]:
    """The case a staff message belongs to (its topic's, or that of the case message it replies to), looked up in
    the chat the message is in; else why there is none any more (its case was deleted), if it had one."""
    chat = msg.chat_id
    if msg.is_topic_message and msg.message_thread_id:
        case = await store.case_of_thread(chat, msg.message_thread_id)
        if case is not None:
            return case, None
        if gone := await store.gone(chat, "topic", msg.message_thread_id):
            return None, gone
    if msg.reply_to_message is not None:
        case = await store.case_of_post(chat, msg.reply_to_message.message_id)
        if case is not None:
            return case, None
        return None, await store.gone(chat, "post", msg.reply_to_message.message_id)
    return None, None


GONE = {"forgotten": "the worker ended it with /forget and it was deleted",
        "expired": "it was closed long ago and has been deleted",
        "undelivered": "it never reached this chat whole, so it was deleted and the worker was asked to try again"}


def _age(opened: dt.datetime, now: dt.datetime) -> str:
    hours = int((now - opened).total_seconds() // 3600)
    return f"{hours // 24} d {hours % 24} h" if hours >= 24 else f"{hours} h"


async def on_case_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A message in the case chat: /cases, /close in a case, or a staff reply to relay to the worker."""
    msg = update.effective_message
    desk = _desk(context)
    store = desk.store
    command = _command(msg, context.bot.username)
    thread = msg.message_thread_id if msg.is_topic_message else None
    say = lambda text: desk.say(text, reply_to=msg.message_id, thread=thread)  # noqa: E731
    if command == "cases":
        now = dt.datetime.now(dt.timezone.utc)
        cases = await store.open_cases()
        lines = [f"{c.number} · {language_name(c.lang)} · open {_age(c.opened, now)}" for c in cases]
        await say(f"Open cases ({len(lines)}):\n" + "\n".join(lines) if lines else "No open cases.")
        return
    if await store.case_of_post(msg.chat_id, msg.message_id) is not None:
        return  # handled before a restart (kept and handled again): already relayed
    case, gone = await _case_of(msg, store)
    if case is None:
        if gone is not None:
            await say(f"This reply was not sent: {GONE.get(gone, 'its case was deleted')}.")
        elif command == "close":
            await say("Send /close as a reply to a case's message (or inside the case's topic).")
        return  # staff talking among themselves, or a reply to something that is not a case
    _ = gettext_for(case.lang)
    if command == "close":
        if await store.close_case(case.number) is None:
            await say(f"Case {case.number} is already closed.")
            return
        await _tell_worker(context, case, _("NOWCommunities has closed your case {number}. To ask again, send "
                                            "/person.").format(number=case.number))
        await say(f"Case {case.number} closed; the worker has been told.")
        return
    if command is not None:
        return
    if case.status != "open":
        await say(f"Case {case.number} is closed: this reply was not sent.")
        return
    kind = "voice" if msg.voice else "text"
    body = msg.text or (msg.voice.file_id if msg.voice else "(attachment)")
    kept = await store.add_message(case.number, "staff", kind, body, delivered=False)
    await store.link_post(case.number, msg.chat_id, msg.message_id)  # replies to a reply reach the worker too
    if await relay(context, case, msg):
        await store.delivered(kept)
    else:
        why = (FILE_WINDOW if not msg.text and services(context).core.outbox_for(case.chat_id) is not None
               else "the worker may have blocked the bot")
        await say(f"Case {case.number}: the reply could not be delivered ({why}).")


async def relay(context: ContextTypes.DEFAULT_TYPE, case: Case, msg: TgMessage, correction: bool = False) -> bool:
    """A staff message to the worker, labelled; ``correction``: an edit of one sent before, marked so."""
    _ = gettext_for(case.lang)
    label = (_("Correction from NOWCommunities (case {number}), instead of their earlier message:") if correction
             else _("Reply from NOWCommunities (case {number}):")).format(number=case.number)
    if msg.text:
        return await _tell_worker(context, case, msg.text, title=label)
    if (outbox := services(context).core.outbox_for(case.chat_id)) is not None:
        return await _pass_file(outbox, case, msg, label)  # the label with the file, or neither: nothing kept
    return await _tell_worker(context, case, label) and await _copy(context, case, msg)


async def on_case_chat_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A staff member edited a reply already relayed: the worker gets the new text as a correction."""
    msg = update.edited_message
    if msg is None or (msg.text or "").startswith("/"):
        return
    desk = _desk(context)
    case = await desk.store.case_of_post(msg.chat_id, msg.message_id)
    if case is None or case.status != "open":
        return  # not a relayed reply (a post of the bot's, or staff talking among themselves), or too late
    thread = msg.message_thread_id if msg.is_topic_message else None
    if await relay(context, case, msg, correction=True):
        await desk.store.add_message(case.number, "staff", "text", msg.text or "(attachment)")
        await desk.say(f"Case {case.number}: the corrected reply was sent to the worker, marked as a correction.",
                       reply_to=msg.message_id, thread=thread)
    else:
        await desk.say(f"Case {case.number}: the correction could not be delivered (the worker may have blocked "
                       "the bot).", reply_to=msg.message_id, thread=thread)


async def _tell_worker(context: ContextTypes.DEFAULT_TYPE, case: Case, text: str, title: str | None = None) -> bool:
    outbox = services(context).core.outbox_for(case.chat_id)  # a case opened on WhatsApp: answered there
    if outbox is not None:
        delivery = await outbox.deliver(case, text, title)
        if delivery in ("waiting", "notified"):
            await context.bot.send_message(_desk(context).chat_id, WAITING.format(number=case.number) + (
                NOTIFIED if delivery == "notified" else ""), message_thread_id=case.thread_id)
        return delivery != "failed"
    try:
        for piece in to_html(Message(text, title=title)):
            await context.bot.send_message(int(case.chat_id), piece, parse_mode=ParseMode.HTML)
    except TelegramError as e:
        log.info("could not relay to a worker's chat (%s)", e)
        return False
    return True


async def tell(app: Application, chat: int | str, text: str) -> None:
    """A late word to a worker (bot/conversation/referral.py's ``notify``): her message did not reach staff."""
    try:
        await app.bot.send_message(int(chat), to_html(Message(text))[0], parse_mode=ParseMode.HTML)
    except TelegramError as e:
        log.info("could not tell a worker that her message did not reach staff (%s)", e)


async def _copy(context: ContextTypes.DEFAULT_TYPE, case: Case, msg: TgMessage) -> bool:
    try:
        await context.bot.copy_message(int(case.chat_id), msg.chat_id, msg.message_id)
    except TelegramError as e:
        log.info("could not copy a staff message to a worker's chat (%s)", e)
        return False
    return True


async def _pass_file(outbox: WorkerOutbox, case: Case, msg: TgMessage, label: str) -> bool:
    """A staff voice note, photo or document for a worker on another channel (WhatsApp): its bytes fetched here and
    sent there. Anything else (a sticker, a video note) is not passed on, and staff are told."""
    photo = msg.photo[-1] if msg.photo else None
    media = msg.voice or photo or msg.document or msg.audio
    if media is None:
        return False
    kind = "voice" if msg.voice else "photo" if photo else "document"
    try:
        data = bytes(await (await media.get_file()).download_as_bytearray())
    except TelegramError as e:
        log.info("could not fetch a staff file for a worker on another channel (%s)", e)
        return False
    mime_type = getattr(media, "mime_type", None) or ("image/jpeg" if photo else "application/octet-stream")
    name = getattr(media, "file_name", None) or {"voice": "voice.ogg", "photo": "photo.jpg"}.get(kind, "file")
    return await outbox.deliver_file(case, kind, data, mime_type, name, label) == "sent"


async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The worker pressed "Share my name and number": shown in their open case, and only their own contact."""
    msg = update.effective_message
    contact = msg.contact
    user = update.effective_user
    referral = services(context).conversation.referral
    if referral is None:
        return
    own = bool(contact and user and contact.user_id == user.id)
    lang = await services(context).conversation.case_language(update.effective_chat.id, language_hint(update))
    case, replies = await referral.shared_contact(update.effective_chat.id, own, lang)
    for reply in replies:
        await context.bot.send_message(update.effective_chat.id, to_html(Message(reply.text))[0],
                                       parse_mode=ParseMode.HTML, reply_markup=ReplyKeyboardRemove())
    if case is not None and contact is not None:  # in the background: the worker's chat never waits for the case chat
        name = " ".join(n for n in (contact.first_name, contact.last_name) if n)
        context.application.create_task(_desk(context).contact(case, name, contact.phone_number), update=update)


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

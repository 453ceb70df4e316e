"""The staff chat's knowledge tools: /gaps (and /addto), /undo, /kbfile and uploads, and the weekly digest.

Registered by :func:`register` for the chats in ``BOT_STAFF_CHAT_IDS`` only; in any other chat these commands
are unknown ones and a document is a worker's attachment. The decisions themselves are in :mod:`bot.staff.review`
and :class:`bot.staff.changes.KnowledgeEditor`, shared with ``main.py gaps review``.

Buttons carry ``gap:<offer>:<choice>``: a random offer token (kept in memory for the latest offers) and the
index of a choice made when /gaps was sent, so their data stays far under Telegram's 64 bytes, and forged or
stale data (after a restart, or a second press) finds no offer and changes nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import secrets
import sqlite3
from collections import OrderedDict
from dataclasses import dataclass
from typing import Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot.channels.telegram.services import answer_press
from bot.staff import digest
from bot.config import Settings
from bot.research.gaps import printable
from bot.staff.changes import KnowledgeEditor, Outcome
from bot.knowledge.store import KnowledgeStore
from bot.stores.querylog import QueryLog
from bot.research.reports import Filters
from bot.staff.review import ReviewGroup, add_to, groups_to_review, owner_title, search, skip

log = logging.getLogger(__name__)

ROLE = "staff chat"  # who, in the change log: a role, never a Telegram id or name
GAPS_SHOWN = 5
MAX_OFFERS = 50  # /gaps offers whose buttons still work
MAX_UPLOAD_BYTES = 1_000_000  # the largest knowledge file is ~50 kB
MAX_REPLY = 4000  # Telegram refuses a message over 4,096 characters
_SKIP = "~skip"
_COPY_SUFFIX = re.compile(r"\s*\(\d+\)$")  # "wages (1).yaml": how phones name a second download


@dataclass
class Offer:
    group: ReviewGroup
    choices: list[str]  # entry or out-of-scope group ids, or _SKIP


class StaffTools:
    """What the staff handlers share: the editor, the open /gaps offers, the digest task."""

    def __init__(self, settings: Settings, knowledge: KnowledgeStore, querylog: QueryLog | None,
                 reload: Callable[[Application], Awaitable[str]],
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)):
        self.settings = settings
        self.knowledge = knowledge
        self.querylog = querylog
        self.reload = reload
        self.clock = clock
        self.editor = KnowledgeEditor(knowledge.root, settings.changes_path, clock=clock)
        self.offers: OrderedDict[str, Offer] = OrderedDict()
        self.digest_task: asyncio.Task | None = None

    async def start(self, app: Application) -> None:
        await self.editor.open()
        if self.settings.digest_day != "off":
            self.digest_task = asyncio.create_task(self.run_digest(app, self.clock), name="weekly-digest")

    async def stop(self) -> None:
        if self.digest_task is not None:
            self.digest_task.cancel()
            await asyncio.gather(self.digest_task, return_exceptions=True)
        await self.editor.close()

    # -- the query log, read-only -------------------------------------------------------------------

    async def _log_db(self) -> sqlite3.Connection | None:
        if self.querylog is not None:
            await self.querylog.flush()  # the latest questions too
        path = self.settings.log_path
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False) if path.is_file() else None

    async def gap_groups(self) -> list[ReviewGroup]:
        db = await self._log_db()
        if db is None:
            return []
        try:
            reviewed = await self.editor.reviewed()
            return await asyncio.to_thread(groups_to_review, db, Filters(), self.knowledge, reviewed,
                                           GAPS_SHOWN)
        finally:
            db.close()

    def offer(self, group: ReviewGroup, entries: list[str] | None = None) -> tuple[str, InlineKeyboardMarkup]:
        """The message for one gap group and its buttons: the likely entries (or ``entries``), not covered, skip."""
        kb = self.knowledge.kb
        choices = [entry_id for entry_id, _ in group.entries] if entries is None else entries
        labels = [f"➕ {_short(owner_title(kb, e))}" for e in choices]
        if group.groups and entries is None:
            choices.append(group.groups[0][0])
            labels.append(f"🚫 Not covered ({group.groups[0][0]})")
        choices.append(_SKIP)
        labels.append("Skip: nothing to learn")
        token = secrets.token_hex(4)
        self.offers[token] = Offer(group, choices)
        while len(self.offers) > MAX_OFFERS:
            self.offers.popitem(last=False)
        keyboard = [[InlineKeyboardButton(label, callback_data=f"gap:{token}:{i}")] for i, label in enumerate(labels)]
        forms = ", ".join(f"{f} {n}" for f, n in group.forms.most_common())
        lines = [f"{group.count} question(s) ({forms}):"]
        lines += [f"• {q.count} × {_short(printable(q.text), 200)}" for q in group.questions[:5]]
        if len(group.questions) > 5:
            lines.append(f"… and {len(group.questions) - 5} more")
        lines.append(f"Add them as examples of one of these, or of another entry: /addto {token} <words of its title>")
        return "\n".join(lines), InlineKeyboardMarkup(keyboard)

    async def choose(self, app: Application, data: str) -> str:
        """Act on a pressed button's data; the reply for the staff chat."""
        _, token, index = (data.split(":") + ["", ""])[:3]
        offer = self.offers.get(token)
        if offer is None or not index.isdigit() or int(index) >= len(offer.choices):
            return "These buttons are out of date (used already, or from before a restart): send /gaps again."
        del self.offers[token]  # before any wait: a second press finds nothing to do
        choice = offer.choices[int(index)]
        if choice == _SKIP:
            await skip(self.editor, offer.group)
            return "Skipped: this group will not be offered again."
        outcome = await add_to(self.editor, self.knowledge.kb, offer.group, choice, ROLE)
        if outcome.problems:  # refused by kb check: the other buttons still work once the errors are fixed
            self.offers[token] = offer
        return await self._applied(app, outcome)

    def search(self, token: str, words: str) -> tuple[str, InlineKeyboardMarkup | None]:
        """``/addto``: the entries whose title has ``words``, as buttons for the group of offer ``token``."""
        offer = self.offers.pop(token, None)
        if offer is None:
            return "That group's buttons are out of date: send /gaps again.", None
        kb = self.knowledge.kb
        found = [words.strip()] if kb.entry(words.strip()) else search(kb, words)
        if not found:
            self.offers[token] = offer
            return f"No entry has {words!r} in its title; try other words.", None
        return self.offer(offer.group, found[:8])

    async def _applied(self, app: Application, outcome: Outcome) -> str:
        if not outcome.ok:
            return outcome.report()
        return f"{outcome.report()}\n{await self.reload(app)}\nSend /undo to put the previous version back."

    async def undo(self, app: Application) -> str:
        return await self._applied(app, await self.editor.undo(ROLE))

    async def upload(self, app: Application, name: str, data: bytes) -> str:
        rel = self.editor.resolve(_COPY_SUFFIX.sub("", name.strip().removesuffix(".yaml")))
        if rel is None:
            return f"{name} is not a knowledge file; send back a file you got with /kbfile, under the same name."
        display = f"{self.knowledge.root.name}/{rel}"
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return f"{display}: not UTF-8 text; save the file as UTF-8 and send it again. Nothing was changed."
        outcome = await self.editor.apply(rel, text, who=ROLE, action="upload", summary=f"new version of {rel} uploaded")
        return await self._applied(app, outcome)

    # -- the weekly digest --------------------------------------------------------------------------

    async def digest(self, when: dt.datetime) -> str:
        """The digest due at ``when``."""
        db = await self._log_db()
        try:
            return await asyncio.to_thread(digest.digest_text, db, self.knowledge, when)
        finally:
            if db is not None:
                db.close()

    async def run_digest(self, app: Application, clock: Callable[[], dt.datetime],
                         sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        async def send(when: dt.datetime) -> None:
            text = _fit(await self.digest(when))
            for chat_id in self.settings.staff_chat_ids:
                try:
                    await app.bot.send_message(chat_id, text)
                except TelegramError as e:
                    log.warning("could not send the weekly digest to a staff chat (%s)", e)

        await digest.weekly(self.settings.digest_day, self.settings.digest_hour, send, clock, sleep)


def _fit(text: str) -> str:
    """A reply Telegram accepts (4,096 characters at most): a long list of errors is cut, saying where the rest is."""
    return text if len(text) <= MAX_REPLY else text[:MAX_REPLY - 80].rsplit("\n", 1)[0] + \
        "\n… and more: run `main.py kb check` for all of them."


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def tools(context: ContextTypes.DEFAULT_TYPE) -> StaffTools:
    return context.application.bot_data["staff"]


# -- handlers ---------------------------------------------------------------------------------------


async def on_gaps(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    t = tools(context)
    groups = await t.gap_groups()
    if not groups:
        await update.effective_message.reply_text("No declined or unsure questions left to review.")
        return
    await update.effective_message.reply_text(f"Questions the bot declined or was unsure of, not reviewed yet: the "
                                              f"{len(groups)} biggest group(s). Choose where each belongs:")
    for group in groups:
        text, markup = t.offer(group)
        await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)


async def on_gap_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await answer_press(update)
    if update.effective_chat is None or update.effective_chat.id not in tools(context).settings.staff_chat_ids:
        return  # forged: only staff chats are ever sent these buttons
    reply = await tools(context).choose(context.application, query.data or "")
    await context.bot.send_message(update.effective_chat.id, _fit(reply))


async def on_addto(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = context.args or []
    if len(args) < 2:
        await update.effective_message.reply_text("Send /addto CODE WORDS, with the code from a /gaps message and words "
                                                  "of the entry's title (or its id).")
        return
    text, markup = tools(context).search(args[0], " ".join(args[1:]))
    await update.effective_message.reply_text(text, reply_markup=markup)


async def on_undo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(_fit(await tools(context).undo(context.application)))


async def on_kbfile(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    t = tools(context)
    name = " ".join(context.args or [])
    rel = t.editor.resolve(name) if name else None
    if rel is None:
        files = ", ".join(f.removesuffix(".yaml").rsplit("/", 1)[-1] for f in t.editor.files())
        await update.effective_message.reply_text(f"Send /kbfile NAME, where NAME is one of: {files}")
        return
    await context.bot.send_document(
        update.effective_chat.id, document=(t.knowledge.root / rel).read_bytes(), filename=rel.rsplit("/", 1)[-1],
        caption=f"{rel}: edit it on a computer or phone (as plain text, UTF-8) and send it back here under the same "
                "name. I run kb check on it and apply it if it has no errors; /undo puts this version back.")


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    doc = update.effective_message.document
    too_large = "That file is too large to be a knowledge file; nothing was changed."
    if doc.file_size and doc.file_size > MAX_UPLOAD_BYTES:  # declared: refused before downloading
        await update.effective_message.reply_text(too_large)
        return
    data = bytes(await (await doc.get_file()).download_as_bytearray())
    if len(data) > MAX_UPLOAD_BYTES:  # the size may be missing from the message: the bytes decide
        await update.effective_message.reply_text(too_large)
        return
    await update.effective_message.reply_text(_fit(await tools(context).upload(context.application, doc.file_name or "",
                                                                                data)))


def register(app: Application, staff: filters.BaseFilter, reload: Callable[[Application], Awaitable[str]]) -> None:
    """Add the staff tools to ``app`` for the chats ``staff`` lets through (before the handlers for workers)."""
    s = app.bot_data["services"]
    app.bot_data["staff"] = StaffTools(s.settings, s.knowledge, s.querylog, reload)
    app.add_handler(CommandHandler("gaps", on_gaps, filters=staff))
    app.add_handler(CommandHandler("addto", on_addto, filters=staff))
    app.add_handler(CommandHandler("undo", on_undo, filters=staff))
    app.add_handler(CommandHandler("kbfile", on_kbfile, filters=staff))
    app.add_handler(CallbackQueryHandler(on_gap_button, pattern=r"^gap:"))
    app.add_handler(MessageHandler(staff & filters.Document.FileExtension("yaml"), on_document))

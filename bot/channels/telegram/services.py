"""What every Telegram handler shares: the services kept on the Application, sending the conversation's messages,
the per-chat flood check and the phone's language.

Both the main handlers (:mod:`bot.channels.telegram.app`) and the case chat's
(:mod:`bot.channels.telegram.cases`) use these; keeping them here lets neither import the other.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from telegram import Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.bootstrap import Core
from bot.conversation.flood import FloodGuard
from bot.channels.telegram.render import contact_keyboard, keyboard, to_html
from bot.channels.telegram.voice import VoiceCache
from bot.config import Settings
from bot.conversation.dialogue import Conversation, Message, Pressed
from bot.conversation.i18n import LANGUAGES, gettext_for
from bot.knowledge.store import KnowledgeStore
from bot.stores.querylog import QueryLog

log = logging.getLogger(__name__)


@dataclass
class BotServices:
    """What the handlers use; one per Application, kept in ``application.bot_data``."""

    core: Core
    conversation: Conversation
    flood: FloodGuard
    button_flood: FloodGuard  # presses have their own, larger allowance: browsing menus is not flooding
    voices: VoiceCache  # recorded answers' Telegram file ids

    @property
    def settings(self) -> Settings:
        return self.core.settings

    @property
    def knowledge(self) -> KnowledgeStore:
        return self.core.knowledge

    @property
    def querylog(self) -> QueryLog | None:
        return self.core.querylog


def services(context: ContextTypes.DEFAULT_TYPE) -> BotServices:
    return context.application.bot_data["services"]


async def send(update: Update, context: ContextTypes.DEFAULT_TYPE, messages: list[Message]) -> None:
    """The conversation's messages to the chat of ``update``: voice notes by cached file id, a button's menu edited
    in place where it can be, long text split at paragraphs."""
    chat_id = update.effective_chat.id
    query = update.callback_query
    in_group = update.effective_chat.type != ChatType.PRIVATE
    for msg in messages:
        if in_group:  # cases are opened in private chats only: no "Ask a person" button where it cannot work
            msg = replace(msg, buttons=tuple(row for row in msg.buttons
                                             if not any(Pressed.parse(b.action).kind == "person" for b in row)))
        if msg.voice is not None:
            await services(context).voices.send(context.bot, chat_id, msg.voice, caption=msg.text or None)
            continue
        pieces = to_html(msg)
        markup = keyboard(msg)
        if msg.edit and query is not None and query.message is not None and len(pieces) == 1:
            try:
                await query.edit_message_text(pieces[0], parse_mode=ParseMode.HTML, reply_markup=markup)
                continue
            except BadRequest as e:  # too old to edit, or unchanged: send it anew
                log.info("could not edit a message (%s); sending a new one", e)
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            extra = contact_keyboard(msg.contact) if msg.contact else markup  # the share-my-contact button
            await context.bot.send_message(chat_id, piece, parse_mode=ParseMode.HTML, reply_markup=extra if last else None)


def allowed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Per-chat flood control; a flooding chat is told once, then ignored for a while."""
    s = services(context)
    guard = s.button_flood if update.callback_query is not None else s.flood
    verdict = guard.check(update.effective_chat.id)
    if verdict == "warn":
        context.application.create_task(_slow_down(update, context))
    return verdict == "ok"


async def _slow_down(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _ = gettext_for(await services(context).conversation.lang(update.effective_chat.id))
    await context.bot.send_message(update.effective_chat.id, _("You are sending messages very fast. Please wait a minute, then ask again."))


def language_hint(update: Update) -> str | None:
    """The phone's interface language, where the bot speaks it: the language used until the worker chooses one."""
    user = update.effective_user
    code = (user.language_code or "")[:2] if user else ""
    return code if code in LANGUAGES else None


async def answer_press(update: Update) -> None:
    """Stop a pressed button's spinner. Nothing depends on it: a press too old to answer (after a restart or a
    backlog) is still acted on."""
    try:
        await update.callback_query.answer()
    except TelegramError as e:
        log.info("could not answer a button press (%s); acting on it anyway", e)

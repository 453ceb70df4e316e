"""The python-telegram-bot Application: handlers that turn updates into conversation calls."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import secrets
import sys
from contextlib import AbstractAsyncContextManager
from typing import Any, Callable
from urllib.parse import urlsplit

from telegram import BotCommand, Message as TgMessage, Update
from telegram.constants import ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.bootstrap import Core
from bot.conversation.dialogue import COMMANDS, REFERRAL_ACTIONS, Pressed
from bot.conversation.i18n import LANGUAGES, gettext_for
from bot.knowledge.store import KnowledgeStore
from bot.channels.telegram import alerts, cases
from bot.channels.telegram.services import BotServices, allowed, answer_press, language_hint, send, services
from bot.conversation.flood import FloodGuard
from bot.channels.telegram.lanes import ChatLanes
from bot.channels.telegram.polling import TolerantUpdatesRequest
from bot.channels.telegram.ratelimit import ChatRateLimiter
from bot.channels.telegram.runner import PENDING_FILE, serve
from bot.channels.telegram import staff as staff_tools
from bot.channels.telegram.voice import CACHE_FILE, VoiceCache

log = logging.getLogger(__name__)

STAFF_COMMANDS = ("reload", "stats")
EDIT_WINDOW_SECONDS = 300  # an edit this soon after sending fixes a question; a later one is not a new question


class _RedactToken(logging.Filter):
    """Keeps the bot token out of every log line (httpx logs request URLs, which contain it)."""

    def __init__(self, token: str):
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token and self.token in record.getMessage():
            record.msg = record.getMessage().replace(self.token, "<token>")
            record.args = ()
        if self.token and record.exc_info and not record.exc_text:  # tracebacks name URLs too
            record.exc_text = logging.Formatter().formatException(record.exc_info).replace(self.token, "<token>")
        return True


def build_application(core: Core, request=None, rate_limit: bool = True) -> Application:
    """The Application on the core's stores, ready to run by polling or webhook (or to be driven in tests and
    benchmarks). It starts the core after initialising and closes it at shutdown."""
    settings = core.settings
    conversation = core.conversation("telegram", sends_alerts=bool(settings.staff_chat_ids))  # staff press Send
    builder: ApplicationBuilder = (
        Application.builder().token(settings.token).base_url(settings.api_base_url)
        .base_file_url(_file_url(settings.api_base_url))
        .post_init(_post_init).post_shutdown(_post_shutdown).concurrent_updates(ChatLanes())
    )
    if rate_limit:
        builder = builder.rate_limiter(ChatRateLimiter())
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:
        builder = builder.get_updates_request(TolerantUpdatesRequest(connection_pool_size=1, read_timeout=5.0))
    app = builder.build()
    app.bot_data["services"] = BotServices(core, conversation,
                                           FloodGuard(settings.flood_messages, settings.flood_seconds),
                                           FloodGuard(3 * settings.flood_messages, settings.flood_seconds),
                                           VoiceCache(settings.data_dir / CACHE_FILE, core.knowledge.root))
    staff = filters.Chat(chat_id=list(settings.staff_chat_ids)) if settings.staff_chat_ids else None
    if staff is not None:
        app.add_handler(CommandHandler("reload", on_reload, filters=staff))
        app.add_handler(CommandHandler("stats", on_stats, filters=staff))
        staff_tools.register(app, staff, reload_knowledge)  # /gaps, /undo, /kbfile, uploads, the weekly digest
        alerts.register(app, core.alerts, settings.staff_chat_ids, core.alert_senders,  # Send and Cancel
                        frozenset({"whatsapp"}) if settings.whatsapp_alerts else frozenset())
    desk = cases.register(app, core.cases, settings.case_chat_id, core.files)  # "Ask a person": the case chat, voice notes
    if desk is not None and conversation.referral is not None:
        conversation.referral.desk = desk
        conversation.referral.notify = lambda chat, text: cases.tell(app, chat, text)
    core.desk = desk  # other channels' cases (WhatsApp) come to the same case chat
    messages = filters.UpdateType.MESSAGES  # new and edited messages alike
    app.add_handler(MessageHandler(messages & filters.COMMAND, on_command))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(messages & filters.TEXT, on_text))
    app.add_handler(MessageHandler(messages & ~filters.TEXT & ~filters.StatusUpdate.ALL, on_other))
    app.add_error_handler(on_error)
    return app


def _file_url(api_base_url: str) -> str:
    """Where files are downloaded from: https://api.telegram.org/file/bot for https://api.telegram.org/bot."""
    return api_base_url.removesuffix("/bot") + "/file/bot" if api_base_url.endswith("/bot") else "https://api.telegram.org/file/bot"


async def _post_init(app: Application) -> None:
    s: BotServices = app.bot_data["services"]
    await s.core.start()
    for lang in LANGUAGES:
        if len(lang) != 2:  # Telegram knows phones' languages by ISO 639-1 code; no phone is set to Roman Urdu
            continue
        _ = gettext_for(lang)
        commands = [BotCommand(name, _(desc)) for name, desc in COMMANDS.items()]
        await app.bot.set_my_commands(commands, language_code=lang)
    _ = gettext_for("en")
    await app.bot.set_my_commands([BotCommand(name, _(desc)) for name, desc in COMMANDS.items()])
    if "staff" in app.bot_data:
        await app.bot_data["staff"].start(app)
    if "case_desk" in app.bot_data:
        await app.bot_data["case_desk"].start()
    if "alerts" in app.bot_data:
        await app.bot_data["alerts"].start(app)  # resumes alerts being sent at the last stop
    if s.settings.watch_seconds > 0:
        app.bot_data["watcher"] = asyncio.create_task(_watch_knowledge(app), name="knowledge-watcher")


async def _post_shutdown(app: Application) -> None:
    s: BotServices = app.bot_data["services"]
    watcher = app.bot_data.pop("watcher", None)
    if watcher:
        watcher.cancel()
    if "staff" in app.bot_data:
        await app.bot_data["staff"].stop()
    if "case_desk" in app.bot_data:
        await app.bot_data["case_desk"].stop()
    if s.conversation.referral is not None:
        await s.conversation.referral.stop()
    if "alerts" in app.bot_data:
        await app.bot_data["alerts"].stop()  # messages going out finish; the rest wait for the next start
    await s.core.close()


def _in_group(update: Update) -> bool:
    return update.effective_chat.type != ChatType.PRIVATE


def _mention(context: ContextTypes.DEFAULT_TYPE) -> re.Pattern | None:
    """The bot's @username as a whole word: @nowrights_bot, not @nowrights_bot_evil."""
    name = context.bot.username
    return re.compile(rf"(?<![\w@])@{re.escape(name)}(?!\w)", re.I) if name else None


def _addressed_to_bot(msg: TgMessage, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """In groups the bot answers only when mentioned or replied to."""
    me = context.bot
    if msg.reply_to_message and msg.reply_to_message.from_user and msg.reply_to_message.from_user.id == me.id:
        return True
    mention = _mention(context)
    return bool(mention and mention.search(msg.text or msg.caption or ""))


def _names(update: Update) -> tuple[str, ...]:
    """The sender's own names, to keep out of the query log wherever the question repeats them."""
    user = update.effective_user
    return tuple(n for n in (user.first_name, user.last_name, user.username) if n) if user else ()


# -- handlers -------------------------------------------------------------------------------------


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    msg = update.effective_message
    name = msg.text.split()[0][1:].split("@")[0].lower()
    if _in_group(update) and "@" in msg.text.split()[0] and not msg.text.split()[0].lower().endswith(f"@{(context.bot.username or '').lower()}"):
        return  # a command for another bot in the group
    if not allowed(update, context):
        return
    conv = services(context).conversation
    chat, user = update.effective_chat.id, update.effective_user.id if update.effective_user else 0
    if name == "person" and _in_group(update):  # staff replies would be read by the whole group
        await send(update, context, await conv.person_in_group(chat, language_hint(update)))
    elif name == "start":
        await send(update, context, await conv.start(chat, language_hint(update)))
    else:
        await send(update, context, await conv.command(chat, user, name, language_hint(update)))


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A typed question, or the caption of a photo or document (a payslip with "is this legal?")."""
    msg = update.effective_message
    text = msg.text or msg.caption or ""
    if _in_group(update):
        if not _addressed_to_bot(msg, context):
            return
        if mention := _mention(context):
            text = mention.sub(" ", text)
    edited = update.edited_message is not None
    if edited and (msg.edit_date or msg.date) - msg.date > dt.timedelta(seconds=EDIT_WINDOW_SECONDS):
        return  # an old message edited: answering it now would puzzle the worker
    if not allowed(update, context):
        return
    user = update.effective_user.id if update.effective_user else 0
    # An edited question is answered again, but not logged again: the log counts questions, not keystrokes.
    await send(update, context, await services(context).conversation.text(update.effective_chat.id, user, text,
                                                                           language_hint(update), record=not edited,
                                                                           names=_names(update), group=_in_group(update)))


async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice notes, documents, locations..."""
    if _in_group(update) and not _addressed_to_bot(update.effective_message, context):
        return
    msg = update.effective_message
    media = ("photo", msg.photo[-1].file_id) if msg.photo else ("document", msg.document.file_id) if msg.document else None
    if media is not None and not _in_group(update) and update.message is not None and allowed(update, context):
        taken = await services(context).conversation.attachment(update.effective_chat.id, *media, msg.caption)
        if taken is not None:  # sent into an open case: staff get the file itself, with its caption
            return await send(update, context, taken)
    if update.effective_message.caption:
        return await on_text(update, context)
    if not allowed(update, context):
        return
    await send(update, context, await services(context).conversation.unsupported(update.effective_chat.id, "media", language_hint(update)))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await answer_press(update)
    if not allowed(update, context):
        return
    conv = services(context).conversation
    pressed = Pressed.parse(query.data or "")
    if _in_group(update) and pressed.kind in REFERRAL_ACTIONS:  # cases are for private chats only
        await send(update, context, await conv.person_in_group(update.effective_chat.id, pressed.lang or language_hint(update)))
        return
    await send(update, context, await conv.action(update.effective_chat.id, update.effective_user.id, query.data or "",
                                                  language_hint(update)))


async def on_reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(await reload_knowledge(context.application))


async def on_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    querylog = services(context).querylog
    if querylog is None:  # a core built without one (never by run_bot)
        await update.effective_message.reply_text("No query log is kept by this process.")
        return
    c = await querylog.today()
    await update.effective_message.reply_text(
        f"Today (UTC): {c['questions']} questions from {c['people']} people; answered {c['answered']}, "
        f"suggested {c['suggested']}, declined {c['declined']}; helpful {c['helpful']}, not helpful {c['not_helpful']}."
    )


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    if isinstance(context.error, Forbidden):  # blocked by the user, or removed from the group: nobody to tell
        log.info("a chat has blocked the bot or removed it; its update is not answered (%s)", context.error)
        return
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat:
        try:
            _ = gettext_for(await services(context).conversation.lang(update.effective_chat.id, language_hint(update)))
            await context.bot.send_message(update.effective_chat.id, _("Sorry, something went wrong. Please try again."))
        except TelegramError:
            log.exception("could not tell the user about the error")


# -- knowledge reloads -----------------------------------------------------------------------------


async def reload_knowledge(app: Application) -> str:
    """Reload from disk (in a thread: building the index takes a moment). Returns the report for staff."""
    s: BotServices = app.bot_data["services"]
    app.bot_data["knowledge_stamp"] = _knowledge_stamp(s.knowledge)  # the watcher need not reload this again
    old = s.knowledge.kb
    problems = await asyncio.to_thread(s.knowledge.reload)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        lines = "\n".join(str(p) for p in errors[:20])
        more = f"\n… and {len(errors) - 20} more" if len(errors) > 20 else ""
        return f"Reload refused: the bot keeps the previous knowledge base. Fix these and try again:\n{lines}{more}"
    if "alerts" in app.bot_data:  # the one place every reload passes: a changed alert fact is offered to staff
        await app.bot_data["alerts"].changed(app, old, s.knowledge.kb)
    return f"Knowledge base reloaded: {len(s.knowledge.kb.entries)} entries in {len(s.knowledge.kb.topics)} topics."


def _knowledge_stamp(knowledge: KnowledgeStore) -> tuple:
    return tuple(sorted((str(p), p.stat().st_mtime_ns) for p in knowledge.root.rglob("*.yaml")))


async def _watch_knowledge(app: Application) -> None:
    """Reload when a file under knowledge/ changes; tell the staff chats how it went."""
    s: BotServices = app.bot_data["services"]
    app.bot_data["knowledge_stamp"] = _knowledge_stamp(s.knowledge)
    while True:
        await asyncio.sleep(s.settings.watch_seconds)
        try:
            if _knowledge_stamp(s.knowledge) == app.bot_data["knowledge_stamp"]:
                continue
            if "staff" in app.bot_data and app.bot_data["staff"].editor.busy:
                continue  # a change from the staff chat, written but still being logged: its own reload follows
            report = await reload_knowledge(app)
            log.info("knowledge files changed: %s", report.splitlines()[0])
            for chat_id in s.settings.staff_chat_ids:
                await app.bot.send_message(chat_id, report)
        except Exception:  # noqa: BLE001 - the watcher must outlive any one failure
            log.exception("knowledge watcher")


# -- running -----------------------------------------------------------------------------------------


def run_bot(core: Core, webhook_url: str | None = None,
            beside: Callable[[], AbstractAsyncContextManager[Any]] | None = None) -> int:
    """Telegram until SIGTERM or SIGINT; ``beside``: another channel served in the same process (WhatsApp)."""
    settings = core.settings
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_RedactToken(settings.token))
    app = build_application(core)
    if webhook_url:
        secret = settings.webhook_secret or secrets.token_urlsafe(32)
        path = urlsplit(webhook_url).path.strip("/")
        start = lambda: app.updater.start_webhook(  # noqa: E731
            listen=settings.webhook_listen, port=settings.webhook_port, url_path=path, webhook_url=webhook_url,
            secret_token=secret, allowed_updates=Update.ALL_TYPES)
    else:
        start = lambda: app.updater.start_polling(allowed_updates=Update.ALL_TYPES)  # noqa: E731
    try:
        asyncio.run(serve(app, start, settings.data_dir / PENDING_FILE, drain_seconds=settings.stop_seconds,
                          beside=beside))
    except Exception as e:  # noqa: BLE001 - at start-up: one line, without the token, instead of a traceback
        reason = f"{type(e).__name__}: {e}".replace(settings.token, "<token>") if settings.token else str(e)
        print(f"The bot could not start ({reason}).\nCheck TELEGRAM_BOT_TOKEN, and TELEGRAM_API_BASE_URL if set "
              "(it ends in /bot, as in https://api.telegram.org/bot).", file=sys.stderr)
        return 1
    return 0

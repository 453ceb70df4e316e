"""Driving the real Application against the fake Bot API (tests/fake_telegram.py) inside a test's event loop."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from bot.bootstrap import bootstrap
from bot.config import Settings
from bot.knowledge.store import KnowledgeStore
from bot.channels.telegram.app import build_application
from tests.fake_telegram import FakeTelegram

STAFF_CHAT = 4242  # the staff chat in the ``settings`` fixture
CASE_CHAT = -1004343434343  # the case chat in the ``case_settings`` fixture


@asynccontextmanager
async def running(settings: Settings, knowledge: KnowledgeStore | None = None):
    """Start the Application as the bot's runner does, without taking over the event loop.

    ``knowledge`` saves rebuilding the index when a test does not change the knowledge files.
    """
    app = build_application(bootstrap(settings, knowledge))
    await app.initialize()
    await app.post_init(app)
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.post_shutdown(app)
        await app.shutdown()


async def wait(fake: FakeTelegram, chat: int, count: int, timeout: float = 10.0) -> list[dict]:
    return await asyncio.to_thread(fake.wait_sent, chat, count, timeout)


def buttons(call: dict) -> list[tuple[str, str]]:
    markup = call.get("reply_markup") or {}
    return [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row]


async def choose(fake: FakeTelegram, chat: int, lang: str) -> list[dict]:
    n = len(fake.sent(chat))
    fake.message(chat, "/start")
    await wait(fake, chat, n + 1)
    fake.press(chat, f"lang:{lang}")
    return await wait(fake, chat, n + 2)

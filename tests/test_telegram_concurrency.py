"""Many chats at once against a slow fake Bot API: each chat's replies in order, nobody held up, nothing lost."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from bot.config import Settings
from tests.telegram_harness import STAFF_CHAT, choose, running, wait

# Questions whose English answers are different entries, so a reply shows which question it answers.
QUESTIONS = {
    "What is the minimum wage?": "minimum-wage-amount",
    "how is overtime paid": "overtime",
    "how many days of maternity leave": "maternity-leave",
    "can my employer fire me without notice": "termination-notice",
    "how do I form a union": "union-right-to-join",
}


def answered_entries(store, replies: list[dict]) -> list[str]:
    """The entry each reply answers, by its bold title."""
    by_title = {f"<b>{store.kb.entry(e).title['en']}</b>": e for e in QUESTIONS.values()}
    return [next((e for title, e in by_title.items() if r["text"].startswith(title)), r["text"][:40]) for r in replies]


async def test_each_chats_replies_come_in_the_order_asked(fake, settings, store):
    fake.delay, fake.jitter = 0.01, 0.1  # round trips that overtake each other
    chats = [501, 502, 503, 504]
    async with running(settings, store):
        for _ in range(2):
            for chat in chats:
                for question in QUESTIONS:
                    fake.message(chat, question)
        for chat in chats:
            await wait(fake, chat, 2 * len(QUESTIONS))
    for chat in chats:
        assert answered_entries(store, fake.sent(chat)) == list(QUESTIONS.values()) * 2
    assert fake.errors == []


async def test_a_flooding_chat_does_not_hold_up_another(fake, settings, store):
    fake.delay = 0.05
    settings = Settings(**{**settings.__dict__, "flood_messages": 30})
    async with running(settings, store):
        for _ in range(30):
            fake.message(601, "What is the minimum wage?")
        fake.message(602, "how is overtime paid")
        await wait(fake, 602, 1)
        flooder_when_other_answered = len(fake.sent(601))
        await wait(fake, 601, 30)
    assert flooder_when_other_answered < 15, "the other chat waited for most of the flood"


async def test_a_429_pauses_only_its_chat_and_the_reply_still_arrives(fake, settings, store):
    fake.fail("sendMessage", 429, chat_id=701, retry_after=1)
    async with running(settings, store):
        fake.message(701, "What is the minimum wage?")
        await asyncio.sleep(0.3)  # the 429 has come back
        fake.message(702, "how is overtime paid")
        other = await wait(fake, 702, 1)
        assert fake.sent(701) == [], "the paused chat waits for retry_after"
        paused = await wait(fake, 701, 1)
    assert [m for m, _ in fake.errors] == ["sendMessage"]
    assert answered_entries(store, paused) == ["minimum-wage-amount"]
    assert answered_entries(store, other) == ["overtime"]


async def test_a_bad_gateway_is_retried_and_the_reply_delivered(fake, settings, store, caplog):
    fake.fail("sendMessage", 502, chat_id=711)
    with caplog.at_level(logging.WARNING):
        async with running(settings, store):
            fake.message(711, "What is the minimum wage?")
            reply = await wait(fake, 711, 1)
    assert answered_entries(store, reply) == ["minimum-wage-amount"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_user_who_blocked_the_bot_is_one_quiet_log_line(fake, settings, store, caplog):
    fake.fail("sendMessage", 403, chat_id=721)
    with caplog.at_level(logging.INFO):
        async with running(settings, store):
            fake.message(721, "What is the minimum wage?")
            fake.message(722, "how is overtime paid")
            await wait(fake, 722, 1)
            await asyncio.sleep(0.3)
    assert fake.errors == [("sendMessage", "Forbidden: bot was blocked by the user")]  # no "sorry" sent after it
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert any("blocked" in r.getMessage() for r in caplog.records)


async def test_an_update_ptb_cannot_read_does_not_stop_polling(fake, settings, store, caplog):
    fake.raw({"message": {"message_id": 1, "date": 0, "chat": {"id": 731}, "text": "no chat type"}})
    fake.message(732, "What is the minimum wage?")
    async with running(settings, store):
        reply = await wait(fake, 732, 1, timeout=5)
        await asyncio.sleep(0.2)
        assert fake.unconfirmed() == [] or all(u["update_id"] > 2 for u in fake.unconfirmed())
    assert answered_entries(store, reply) == ["minimum-wage-amount"]
    assert len([r for r in caplog.records if "cannot read" in r.getMessage()]) == 1


async def test_a_locked_preference_store_does_not_stall_new_chats(fake, settings, store):
    async with running(settings, store):
        await choose(fake, 741, "en")  # the store exists and is in use
        locker = sqlite3.connect(settings.prefs_path, timeout=0, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
        try:
            for chat in range(742, 748):
                fake.message(chat, "What is the minimum wage?")
            # Six new chats, all answered within 2.5 s of asking; before, each waited out a 2 s lock timeout in turn.
            await asyncio.gather(*(wait(fake, chat, 1, timeout=2.5) for chat in range(742, 748)))
        finally:
            locker.rollback()
            locker.close()


async def test_button_presses_do_not_count_towards_flood_control(fake, settings, store):
    settings = Settings(**{**settings.__dict__, "flood_messages": 3})
    async with running(settings, store):
        await choose(fake, 751, "en")  # /start and a press
        for n in range(6):
            fake.press(751, "topic:wages")
            await wait(fake, 751, 3 + n)
    texts = [m["text"] for m in fake.sent(751)]
    assert not any("very fast" in t for t in texts)


async def test_an_edited_question_is_answered_again_but_logged_once(fake, settings, store):
    async with running(settings, store):
        original = fake.message(761, "What is the minimum wag?")["message"]
        await wait(fake, 761, 1)
        fake.message(761, "What is the minimum wage?", edited=True, message_id=original["message_id"], date=original["date"])
        fake.message(761, "how is overtime paid", edited=True, date=original["date"] - 3600)  # an hour-old message
        fake.message(761, "how do I form a union")
        replies = await wait(fake, 761, 3)
        await asyncio.sleep(0.2)
    assert answered_entries(store, replies[1:]) == ["minimum-wage-amount", "union-right-to-join"]
    assert len(fake.sent(761)) == 3
    logged = sqlite3.connect(settings.log_path).execute("SELECT COUNT(*) FROM queries").fetchone()[0]
    assert logged == 2


async def test_stores_stay_right_when_many_chats_choose_ask_and_reload_at_once(fake, settings, store):
    fake.delay, fake.jitter = 0.005, 0.03
    langs = {800 + n: ("en", "ur", "sd")[n % 3] for n in range(12)}
    async with running(settings, store):
        for chat, lang in langs.items():  # each chat's three updates back to back; the lanes keep them in order
            fake.message(chat, "/start")
            fake.press(chat, f"lang:{lang}")
            fake.message(chat, "What is the minimum wage?")
        fake.message(STAFF_CHAT, "/reload")
        for chat in langs:
            await wait(fake, chat, 3)
        await wait(fake, STAFF_CHAT, 1)
    title = store.kb.entry("minimum-wage-amount").title
    for chat, lang in langs.items():
        assert fake.sent(chat)[-1]["text"].startswith(f"<b>{title[lang]}</b>"), (chat, lang)
    with sqlite3.connect(settings.prefs_path) as db:
        chosen = sorted(lang for (lang,) in db.execute("SELECT lang FROM chat_language"))
    assert chosen == sorted(langs.values())
    with sqlite3.connect(settings.log_path) as db:
        logged = sorted(lang for (lang,) in db.execute("SELECT reply_lang FROM queries WHERE kind = 'text'"))
    assert logged == sorted(langs.values())
    assert fake.sent(STAFF_CHAT)[-1]["text"].startswith("Knowledge base reloaded")

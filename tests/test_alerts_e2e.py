"""Alerts end to end on the fake Bot API: opting in, a fact change through each path, staff Send, paced sending,
a stop in the middle, blocked chats, and what stays on disk."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import time

from tests.helpers import raise_wage
from tests.telegram_harness import STAFF_CHAT, buttons, choose, running, wait

STAFF = STAFF_CHAT
WAGE = "minimum-wage-amount"
SLOW = 60.0  # a reload builds the index: seconds on a busy machine


async def opt_in(fake, chat: int, lang: str) -> None:
    """The worker reads the minimum wage answer in their form and presses "Tell me when this changes"."""
    await choose(fake, chat, lang)
    n = len(fake.sent(chat))
    fake.press(chat, f"entry:{WAGE}~{lang}")
    answer = (await wait(fake, chat, n + 1))[n]
    offer = next(data for _label, data in buttons(answer) if data.startswith("alert:"))
    fake.press(chat, offer)
    done = (await wait(fake, chat, n + 2))[n + 1]
    assert "/alerts" in done["text"]


def previews(fake) -> list[dict]:
    return [m for m in fake.sent(STAFF) if any(d.startswith("bcast:send:") for _l, d in buttons(m))]


async def wait_for(predicate, timeout: float = SLOW) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def press_send(fake, preview: dict) -> None:
    send = next(d for _l, d in buttons(preview) if d.startswith("bcast:send:"))
    fake.press(STAFF, send, group=False)


async def test_reload_previews_once_and_send_reaches_each_subscriber_in_their_form(fake, settings, kb_copy):
    async with running(settings) as app:
        await opt_in(fake, 11, "en")
        await opt_in(fake, 12, "sd")
        await opt_in(fake, 13, "ur")
        fake.fail("sendMessage", 403, chat_id=13)  # 13 has blocked the bot since
        raise_wage(kb_copy)
        fake.message(STAFF, "/reload")
        await wait_for(lambda: previews(fake))
        preview = previews(fake)[0]
        assert "3 chat(s)" in preview["text"] and "Rs 42,000" in preview["text"] and "42,000 رپيا" in preview["text"]
        assert not [m for m in fake.sent(11) if "42,000" in m["text"]]  # nothing goes out before Send
        await press_send(fake, preview)
        await wait_for(lambda: any("finished" in m["text"] for m in fake.sent(STAFF)))
        final = next(m for m in fake.sent(STAFF) if "finished" in m["text"])["text"]
        assert "sent to 2 chat(s), failed for 0, 1 removed" in final
        assert "The Sindh minimum wage for unskilled workers is now Rs 42,000 from 1 July 2026." in fake.sent(11)[-1]["text"]
        assert "42,000 رپيا" in fake.sent(12)[-1]["text"]
        assert len(previews(fake)) == 1
        await press_send(fake, preview)  # a second press sends nothing more
        await wait_for(lambda: any("already sent" in m["text"] for m in fake.sent(STAFF)))
        n = len(fake.sent(13))
        fake.message(13, "/alerts")
        assert "کوئی الرٹ نہیں" in (await wait(fake, 13, n + 1))[n]["text"]  # blocked: unsubscribed quietly
        assert app.bot_data["services"].knowledge.kb.facts["minimum_wage_unskilled"].value == 42000
    assert sum("42,000" in m["text"] for m in fake.sent(11)) == 1


async def test_an_upload_and_a_file_edit_each_give_one_preview_and_cancel_sends_nothing(fake, settings, kb_copy):
    async with running(dataclasses.replace(settings, watch_seconds=0.2)):
        await opt_in(fake, 21, "ur-Latn")
        fake.document(STAFF, "facts.yaml", raise_wage(kb_copy, 43000, write=False))
        await wait_for(lambda: len(previews(fake)) == 1)
        assert "Rs 43,000" in previews(fake)[0]["text"]
        cancel = next(d for _l, d in buttons(previews(fake)[0]) if d.startswith("bcast:cancel:"))
        fake.press(STAFF, cancel)
        await wait_for(lambda: any("cancelled" in m["text"] for m in fake.sent(STAFF)))
        await asyncio.sleep(1.0)  # the watcher has seen the upload's file by now: no second preview for it
        assert len(previews(fake)) == 1
        raise_wage(kb_copy, 44000)  # an edit of the file on disk
        await wait_for(lambda: len(previews(fake)) == 2)
        await asyncio.sleep(1.0)
        assert len(previews(fake)) == 2
        assert "Rs 44,000" in previews(fake)[1]["text"]
    assert not [m for m in fake.sent(21) if "43,000" in m["text"] or "44,000" in m["text"]]


async def test_forged_send_buttons_from_a_worker_do_nothing(fake, settings, kb_copy):
    async with running(settings):
        await opt_in(fake, 31, "en")
        raise_wage(kb_copy)
        fake.message(STAFF, "/reload")
        await wait_for(lambda: previews(fake))
        send = next(d for _l, d in buttons(previews(fake)[0]) if d.startswith("bcast:send:"))
        n = len(fake.sent(31))
        fake.press(31, send)
        fake.message(31, "/alerts")  # answered after the press: the press did nothing visible
        await wait(fake, 31, n + 1)
        await asyncio.sleep(0.5)
    assert not [m for m in fake.sent(31) if "42,000" in m["text"]]


async def _subscribe_many(settings, chats: range) -> None:
    """Subscriptions made directly in the store (as many workers would have, over months)."""
    from bot.stores.alerts import AlertStore

    store = AlertStore(settings.alerts_path)
    await store.open()
    for chat in chats:
        await store.subscribe("telegram", chat, ["minimum_wage_unskilled"], "ur")
    await store.close()


async def test_sending_is_paced_and_a_question_during_it_is_answered_promptly(fake, settings, kb_copy):
    chats = range(1000, 1060)
    await _subscribe_many(settings, chats)
    async with running(settings) as app:
        app.bot_data["alerts"].batch = 20
        fake.message(STAFF, "/reload")  # nothing changed yet: no preview
        await wait(fake, STAFF, 1, SLOW)
        raise_wage(kb_copy)
        fake.message(STAFF, "/reload")
        await wait_for(lambda: previews(fake))
        await press_send(fake, previews(fake)[0])
        await wait_for(lambda: len([1 for c in chats if fake.sent(c)]) >= 15)
        asked = time.monotonic()
        fake.message(77, "minimum wage kitni hai")
        await wait(fake, 77, 1)
        waited = time.monotonic() - asked
        await wait_for(lambda: any("finished" in m["text"] for m in fake.sent(STAFF)))
    times = sorted(t for t, method, p in fake.delivered if int(p.get("chat_id", 0)) in chats)
    assert len(times) == len(chats)
    assert times[-1] - times[0] >= (len(chats) - 1) / 30 * 0.9  # about 30 a second at most
    assert waited < 2.0


async def test_a_stop_in_the_middle_resumes_at_the_next_start_and_nobody_gets_it_twice(fake, settings, kb_copy):
    chats = range(2000, 2090)
    await _subscribe_many(settings, chats)
    fake.delay = 0.01
    async with running(settings):
        raise_wage(kb_copy)
        fake.message(STAFF, "/reload")
        await wait_for(lambda: previews(fake))
        await press_send(fake, previews(fake)[0])
        await wait_for(lambda: len([1 for c in chats if fake.sent(c)]) >= 30)
    # stopped (as at SIGTERM) with messages still to send
    first = len([1 for c in chats if fake.sent(c)])
    assert first < len(chats)
    async with running(settings):
        await wait_for(lambda: any("finished" in m["text"] for m in fake.sent(STAFF)))
    assert [len(fake.sent(c)) for c in chats] == [1] * len(chats)
    final = next(m for m in fake.sent(STAFF) if "finished" in m["text"])["text"]
    assert f"sent to {len(chats)} chat(s), failed for 0" in final


async def test_forget_and_a_finished_alert_leave_no_chat_id_in_any_store(fake, settings, kb_copy):
    async with running(settings):
        await opt_in(fake, 918273645, "ur")
        await opt_in(fake, 918273646, "en")
        raise_wage(kb_copy)
        fake.message(STAFF, "/reload")
        await wait_for(lambda: previews(fake))
        await press_send(fake, previews(fake)[0])
        await wait_for(lambda: any("finished" in m["text"] for m in fake.sent(STAFF)))
        n = len(fake.sent(918273645))
        fake.message(918273645, "/forget")
        await wait(fake, 918273645, n + 1)
    rows = sqlite3.connect(settings.alerts_path).execute("SELECT COUNT(*) FROM subscription").fetchone()[0]
    assert rows == len(("minimum_wage_unskilled", "hourly", "daily", "semi", "skilled", "highly"))  # 918273646 still
    gone = 918273645
    patterns = [str(gone).encode(), gone.to_bytes(8, "big"), gone.to_bytes(4, "big")]
    files = [p for p in settings.data_dir.rglob("*") if p.is_file()]
    assert settings.alerts_path in files and settings.prefs_path in files and settings.log_path in files
    assert [(p.name, b) for p in files for b in patterns if b in p.read_bytes()] == []
    assert str(918273646).encode() in settings.alerts_path.read_bytes()  # the scan finds a chat id that is kept

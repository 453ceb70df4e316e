"""Alerts on WhatsApp: offered only with an approved template; a staff Send reaches WhatsApp followers as that
template (the news as its parameter, in English or Urdu), paced, within the daily limit, once across a restart."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import sqlite3
import time

import pytest

from bot.bootstrap import bootstrap
from bot.channels.whatsapp.alerts import DAY, PER_SECOND, Pace, WhatsAppAlerts
from bot.channels.whatsapp.channel import WhatsAppChannel
from bot.channels.whatsapp.client import GraphClient
from bot.config import Settings
from bot.conversation.alerts import alert_text
from bot.knowledge.model import ANSWER_LANGUAGES
from bot.stores.alerts import AlertStore, Recipient
from tests.fake_whatsapp import PHONE_NUMBER_ID, FakeGraph, check_limits
from tests.helpers import raise_wage
from tests.whatsapp_harness import options, start_bot, stop_bot, text_of

WAGE = "minimum-wage-amount"
STAFF = 4242
WHATSAPP = {"WHATSAPP_ACCESS_TOKEN": "EAAtoken", "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
            "WHATSAPP_APP_SECRET": "appsecret", "WHATSAPP_VERIFY_TOKEN": "verifytoken"}


@pytest.fixture
def graph():
    fake = FakeGraph().start()
    yield fake
    fake.stop()


def news_texts(kb) -> dict[str, str]:
    """The alert staff approve when the unskilled minimum wage rises to Rs 42,000 from 1 July 2026."""
    facts = dict(kb.facts)
    facts["minimum_wage_unskilled"] = dataclasses.replace(facts["minimum_wage_unskilled"], value=42000,
                                                          effective=dt.date(2026, 7, 1))
    new = dataclasses.replace(kb, facts=facts)
    return {lang: alert_text(new, ("minimum_wage_unskilled",), lang) for lang in ANSWER_LANGUAGES}


@pytest.mark.parametrize("env, offered", [
    ({**WHATSAPP, "TELEGRAM_BOT_TOKEN": "1:t", "BOT_STAFF_CHAT_IDS": str(STAFF)}, False),  # no template
    ({**WHATSAPP, "TELEGRAM_BOT_TOKEN": "1:t", "BOT_STAFF_CHAT_IDS": str(STAFF), "WHATSAPP_ALERT_TEMPLATE": "t"}, True),
    ({**WHATSAPP, "WHATSAPP_ALERT_TEMPLATE": "t"}, False),  # WhatsApp alone: no staff chat to press Send
])
async def test_whatsapp_workers_are_offered_alerts_only_with_a_template_and_a_staff_chat(store, prefs, env, offered):
    settings = Settings.from_env(env)
    assert settings.whatsapp_alerts is offered
    core = bootstrap(settings, store, prefs=prefs, alerts=AlertStore(":memory:"), log_questions=False)
    channel = WhatsAppChannel(core, GraphClient("http://127.0.0.1:9", "t", PHONE_NUMBER_ID))
    entry = store.kb.entry(WAGE)
    for lang in ANSWER_LANGUAGES:
        message = channel.conversation.answer_message(entry, lang)
        assert any(b.action.startswith("alert:") for row in message.buttons for b in row) is offered
    await channel.client.close()


async def test_an_alert_goes_as_the_template_with_the_news_in_english_or_urdu(store, graph):
    texts = news_texts(store.kb)
    sending = WhatsAppAlerts(GraphClient(graph.base_url, graph.token, PHONE_NUMBER_ID), "rights_update",
                             Pace(PER_SECOND, 250))
    try:
        assert await sending.send(Recipient("whatsapp", "wa:+923001110001", "en"), texts) == "sent"
        assert await sending.send(Recipient("whatsapp", "wa:PK.5550001", "sd"), texts) == "sent"
        assert await sending.send(Recipient("whatsapp", "wa:+923001110003", "ur-Latn"), texts) == "sent"
    finally:
        await sending.client.close()
    english, sindhi, roman = graph.sent
    assert english["to"] == "923001110001" and sindhi["recipient"] == "PK.5550001"  # a BSUID at recipient
    for message in graph.sent:
        check_limits(message)
        assert message["type"] == "template" and message["template"]["name"] == "rights_update"
    [body] = english["template"]["components"]
    news = body["parameters"][0]["text"]
    assert news.startswith("The Sindh minimum wage for unskilled workers is now Rs 42,000 from 1 July 2026.")
    assert "Ask me about your rights" not in news  # the template says it in its own words
    assert english["template"]["language"]["code"] == "en"
    for message in (sindhi, roman):  # Meta has no Sindhi templates; Roman Urdu readers get Urdu too
        assert message["template"]["language"]["code"] == "ur"
        urdu = message["template"]["components"][0]["parameters"][0]["text"]
        assert "42,000 روپے" in urdu and "\n" not in urdu and urdu in texts["ur"].replace("\n", " ")


async def test_a_refused_template_fails_and_a_worker_who_stopped_such_messages_is_removed(store, graph):
    texts = news_texts(store.kb)
    sending = WhatsAppAlerts(GraphClient(graph.base_url, graph.token, PHONE_NUMBER_ID, attempts=1), "t",
                             Pace(PER_SECOND, 250))
    graph.fail((400, 131026), (400, 131050))
    try:
        assert await sending.send(Recipient("whatsapp", "wa:+923001110004", "en"), texts) == "failed"
        assert await sending.send(Recipient("whatsapp", "wa:+923001110005", "en"), texts) == "removed"
    finally:
        await sending.client.close()


async def test_a_stop_while_an_alert_takes_its_slot_waits_for_it_and_the_worker_gets_it():
    """The slot's bookkeeping (the alert store) is slow on a busy machine: a stop that begins meanwhile must wait for
    the send, not close the client under it (the worker was counted failed and never got the alert)."""
    sent, closed_client = [], []

    class SlowStore:
        async def limited_since(self, channel, since):
            return []

        async def limited_sent(self, channel, at, before):
            await asyncio.sleep(0.2)

    class Client:
        async def send(self, address, payload):
            assert not closed_client, "sent on a closed client"
            sent.append(address)

    sending = WhatsAppAlerts(Client(), "t", Pace(PER_SECOND, 250, store=SlowStore()))
    going = asyncio.create_task(sending.send(Recipient("whatsapp", "wa:+923001110006", "en"), {"en": "news"}))
    await asyncio.sleep(0.05)  # the slot is being written down
    await sending.close()
    closed_client.append(True)  # the client closes once close() returns
    assert await going == "sent" and len(sent) == 1


async def test_alert_templates_are_paced_and_stop_at_the_daily_limit_until_it_frees():
    now = [1000.0]
    pace = Pace(per_second=50, per_day=5, clock=lambda: now[0] + time.monotonic())
    closed = asyncio.Event()
    started = time.monotonic()
    assert all([await pace.take(closed) for _ in range(5)])
    assert time.monotonic() - started >= 4 / 50 * 0.9  # 50 a second at most
    sixth = asyncio.create_task(pace.take(closed))
    await asyncio.sleep(0.3)
    assert not sixth.done()  # the sixth in 24 hours waits
    now[0] += DAY
    assert await asyncio.wait_for(sixth, 3)  # ...until the first is a day old
    assert all([await pace.take(closed) for _ in range(4)])  # five in the new 24 hours
    eleventh = asyncio.create_task(pace.take(closed))
    await asyncio.sleep(0.3)
    assert not eleventh.done()
    closed.set()  # the bot stops: the waiting send is given back, not sent
    assert await asyncio.wait_for(eleventh, 3) is False


async def test_the_daily_limit_holds_across_a_restart_and_keeps_only_times(tmp_path):
    store = AlertStore(tmp_path / "alerts.sqlite3")
    await store.open()
    try:
        closed = asyncio.Event()
        before = Pace(50, 3, store=store)  # the bot as it ran before a restart
        assert all([await before.take(closed) for _ in range(3)])
        after = Pace(50, 3, store=store)  # the next start: three already went out today
        fourth = asyncio.create_task(after.take(closed))
        await asyncio.sleep(0.3)
        assert not fourth.done()
        closed.set()
        assert await asyncio.wait_for(fourth, 3) is False
        rows = await store._rows("SELECT * FROM limited")
        assert len(rows) == 3 and {channel for channel, _at in rows} == {"whatsapp"}  # when, and nothing of whom
        assert await Pace(50, 3, clock=lambda: time.time() + DAY, store=store).take(asyncio.Event())  # a day on
        assert len(await store._rows("SELECT * FROM limited")) == 1  # older times are deleted
    finally:
        await store.close()


async def test_the_staff_desk_holds_whatsapp_followers_until_whatsapp_runs_and_fails_them_without_a_template():
    from bot.channels.telegram.alerts import AlertDesk

    follower, texts = Recipient("whatsapp", "wa:+923001110006", "ur"), {"en": "EN", "ur": "UR"}
    got: list[str] = []

    async def whatsapp(r: Recipient, t: dict[str, str]) -> str:
        got.append(t[r.lang])
        return "sent"

    others: dict = {}
    desk = AlertDesk(AlertStore(":memory:"), frozenset({STAFF}), others=others, expected=frozenset({"whatsapp"}))
    held = asyncio.create_task(desk._elsewhere(follower, texts))  # Telegram starts first, and resumes alerts
    await asyncio.sleep(0.3)
    assert not held.done()
    others["whatsapp"] = whatsapp  # WhatsApp has started
    assert await asyncio.wait_for(held, 3) == "sent" and got == ["UR"]
    del others["whatsapp"]  # WhatsApp stopped first, at a SIGTERM
    held = asyncio.create_task(desk._elsewhere(follower, texts))
    await asyncio.sleep(0.3)
    desk.stopping.set()
    assert await asyncio.wait_for(held, 3) == "waiting"  # given back to the outbox for the next start
    no_template = AlertDesk(AlertStore(":memory:"), frozenset({STAFF}), others={})
    assert await no_template._elsewhere(follower, texts) == "failed"  # counted, never waited for forever


# -- end to end: main.py with Telegram (the staff chat) and WhatsApp, on the fake Bot API and the fake Graph API ----


def _subscribe(data, chats: range) -> None:
    """WhatsApp followers made directly in the store, as months of workers would have (every other one in Sindhi)."""
    async def run() -> None:
        store = AlertStore(data / "alerts.sqlite3")
        await store.open()
        for n in chats:
            await store.subscribe("whatsapp", f"wa:+92300{n:07d}", ["minimum_wage_unskilled"], "sd" if n % 2 else "en")
        await store.close()
    asyncio.run(run())


def _until(predicate, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _staff_texts(telegram) -> list[str]:
    return [m["text"] for m in telegram.sent(STAFF)]


def test_a_staff_send_reaches_every_whatsapp_follower_once_as_the_template_across_a_sigterm(tmp_path, kb_copy):
    from tests.fake_telegram import FakeTelegram

    graph, telegram = FakeGraph().start(), FakeTelegram().start()
    data, chats = tmp_path / "data", range(1, 201)  # 10 s of sending at 20 a second: a stop lands midway on a busy machine
    env = {"TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_API_BASE_URL": telegram.base_url,
           "BOT_STAFF_CHAT_IDS": str(STAFF), "BOT_KNOWLEDGE_DIR": str(kb_copy), "BOT_DIGEST_DAY": "off",
           "WHATSAPP_ALERT_TEMPLATE": "rights_update"}
    worker = {"phone": "923009990001", "name": "Worker"}
    data.mkdir()
    _subscribe(data, chats)
    followers = [{"phone": f"92300{n:07d}"} for n in chats] + [worker]
    try:
        process, _url = start_bot(graph, data, **env)
        try:  # a worker opts in on WhatsApp with one tap under the minimum wage answer
            graph.text(worker, "/language")
            graph.tap(worker, "lang:en", kind="list_reply")
            graph.tap(worker, f"entry:{WAGE}~en", kind="list_reply")
            offer = next(i for _t, i in options(graph.wait(worker, 3)[-1]) if i.startswith("alert:"))
            graph.tap(worker, offer, kind="list_reply")
            assert "/alerts" in text_of(graph.wait(worker, 4)[-1])
            graph.text(worker, "/alerts")  # typed: what they follow, each with a Stop row
            listing = graph.wait(worker, 5)[-1]
            assert len([i for _t, i in options(listing) if i.startswith("unalert:")]) == 7  # 6 wages, and all
            raise_wage(kb_copy)
            telegram.message(STAFF, "/reload")
            _until(lambda: any("bcast:send:" in str(m.get("reply_markup")) for m in telegram.sent(STAFF)))
            preview = next(m for m in telegram.sent(STAFF) if "bcast:send:" in str(m.get("reply_markup")))
            assert f"{len(chats) + 1} chat(s)" in preview["text"]
            assert not [m for m in graph.sent if m["type"] == "template"]  # nothing before Send
            send = next(b["callback_data"] for row in preview["reply_markup"]["inline_keyboard"] for b in row
                        if b["callback_data"].startswith("bcast:send:"))
            telegram.press(STAFF, send)
            _until(lambda: len([m for m in graph.sent if m["type"] == "template"]) >= 15)
        finally:
            stop_bot(process)  # SIGTERM in the middle of the alert
        first = len([m for m in graph.sent if m["type"] == "template"])
        assert first < len(followers)
        process, _url = start_bot(graph, data, **env)
        try:
            _until(lambda: any("finished" in t for t in _staff_texts(telegram)))
            n = len(graph.to(worker))
            graph.text(worker, "/forget")
            graph.wait(worker, n + 1)
        finally:
            stop_bot(process)
    finally:
        graph.stop()
        telegram.stop()
    assert graph.refused == [] and graph.dropped == []  # nothing Meta refuses
    templates = [m for m in graph.sent if m["type"] == "template"]
    assert sorted(m["user"] for m in templates) == sorted(f["phone"] for f in followers)  # everyone, once
    final = next(t for t in _staff_texts(telegram) if "finished" in t)
    assert f"sent to {len(followers)} chat(s), failed for 0, 0 removed" in final
    times = sorted(m["at"] for m in templates[first:])
    assert times[-1] - times[0] >= (len(times) - 1) / 20 * 0.9  # paced: 20 a second at most
    mine = next(m for m in templates if m["user"] == worker["phone"])
    assert mine["template"]["language"]["code"] == "en" and "Rs 42,000" in str(mine["template"]["components"])
    assert {m["template"]["language"]["code"] for m in templates} == {"en", "ur"}
    with sqlite3.connect(data / "alerts.sqlite3") as db:  # done: no chat id left in the outbox
        assert db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
    files = [f for f in data.rglob("*") if f.is_file()]  # after /forget, the worker's number is in no store
    assert [f.name for f in files if worker["phone"].encode() in f.read_bytes()] == []
    assert followers[0]["phone"].encode() in (data / "alerts.sqlite3").read_bytes()  # the scan sees a kept one

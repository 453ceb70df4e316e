"""Alerts when a fact changes: the offer under an answer, /alerts, /forget, the plan, and sending with resume."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from bot.conversation.alerts import alert_facts, fact_name
from bot.conversation.dialogue import Conversation
from bot.conversation.i18n import LANGUAGES
from bot.knowledge.store import KnowledgeStore
from bot.research.alert_reports import alert_tables
from bot.research.reports import Filters
from bot.staff.alerts import changed_facts, deliver, plan, preview
from bot.stores.alerts import AlertStore, Recipient

WAGE = "minimum-wage-amount"
WAGE_FACTS = ("minimum_wage_unskilled", "minimum_wage_hourly", "minimum_wage_daily", "minimum_wage_semi_skilled",
              "minimum_wage_skilled", "minimum_wage_highly_skilled")  # all shown in the minimum wage answer


@pytest.fixture
async def alerts(tmp_path: Path):
    store = AlertStore(tmp_path / "data" / "alerts.sqlite3")
    await store.open()
    yield store
    await store.close()


@pytest.fixture
def talk(store: KnowledgeStore, prefs, alerts) -> Conversation:
    return Conversation(store, prefs, alerts=alerts, sends_alerts=True)


def _actions(message) -> list[str]:
    return [b.action for row in message.buttons for b in row]


def _offer(message) -> str | None:
    return next((a for a in _actions(message) if a.startswith("alert:")), None)


def raised(kb, **values):
    """The knowledge base with these facts' values changed (a new notification)."""
    facts = dict(kb.facts)
    for fact_id, value in values.items():
        facts[fact_id] = dataclasses.replace(facts[fact_id], value=value, effective=dt.date(2026, 7, 1))
    return dataclasses.replace(kb, facts=facts)


def test_the_facts_that_change_yearly_are_alert_facts(store):
    facts = store.kb.facts
    assert all(facts[f].alert for f in (*WAGE_FACTS, "eobi_minimum_pension"))
    assert not facts["police_emergency"].alert


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_opt_in_and_out_in_each_form(talk, alerts, lang):
    chat = 501
    await talk.prefs.set_language(chat, lang)
    answer = (await talk.action(chat, chat, f"entry:{WAGE}~{lang}"))[0]
    offer = _offer(answer)
    assert offer == f"alert:{WAGE}~{lang}+"  # one tap, in the worker's form, and the answer stays
    label = next(b.label for row in answer.buttons for b in row if b.action == offer)
    assert label != "🔔 Tell me when this changes" or lang == "en"  # translated
    assert await alerts.following("telegram", chat) == []  # never by default
    done = (await talk.action(chat, chat, offer))[0]
    assert "/alerts" in done.text
    assert sorted(await alerts.following("telegram", chat)) == sorted(WAGE_FACTS)
    listing = (await talk.command(chat, chat, "alerts"))[0]
    stops = [a for a in _actions(listing) if a.startswith("unalert:")]
    assert len(stops) == len(WAGE_FACTS) + 1  # one per fact, and stop all
    await talk.action(chat, chat, stops[0])
    assert len(await alerts.following("telegram", chat)) == len(WAGE_FACTS) - 1
    emptied = (await talk.action(chat, chat, f"unalert:*~{lang}"))[0]
    assert await alerts.following("telegram", chat) == []
    assert emptied.edit and "/alerts" not in emptied.text


async def test_answers_without_a_changing_fact_or_without_a_sending_channel_offer_nothing(store, prefs, alerts):
    talk = Conversation(store, prefs, alerts=alerts, sends_alerts=True)
    assert _offer((await talk.action(1, 1, "entry:overtime~en"))[0]) is None
    whatsapp = Conversation(store, prefs, alerts=alerts, channel="whatsapp", sends_alerts=False)  # no template
    assert _offer((await whatsapp.action(1, 1, f"entry:{WAGE}~en"))[0]) is None
    assert _offer((await talk.action(1, 1, "entry:eobi-pension~en"))[0]) == "alert:eobi-pension~en+"


async def test_forget_removes_every_subscription_and_privacy_says_so(talk, alerts):
    await talk.action(7, 7, f"alert:{WAGE}~ur")
    await talk.action(7, 7, "alert:eobi-pension~ur")
    await talk.action(8, 8, f"alert:{WAGE}~ur")
    await talk.command(7, 7, "forget")
    assert await alerts.following("telegram", 7) == []
    assert len(await alerts.following("telegram", 8)) == len(WAGE_FACTS)
    privacy = (await talk.command(7, 7, "privacy", "en"))[0].text
    assert "chat id" in privacy and "/alerts" in privacy


def test_only_a_changed_figure_or_date_of_an_alert_fact_counts(store):
    kb = store.kb
    assert changed_facts(kb, kb) == ()
    assert changed_facts(kb, raised(kb, minimum_wage_unskilled=42000)) == ("minimum_wage_unskilled",)
    noted = dict(kb.facts)
    noted["minimum_wage_unskilled"] = dataclasses.replace(noted["minimum_wage_unskilled"], note="checked again")
    assert changed_facts(kb, dataclasses.replace(kb, facts=noted)) == ()
    assert changed_facts(kb, raised(kb, police_emergency="16")) == ()  # not an alert fact


async def test_a_change_nobody_follows_offers_nothing_and_a_followed_one_is_previewed_in_each_form(store, alerts):
    kb = store.kb
    new = raised(kb, minimum_wage_unskilled=42000)
    assert await plan(alerts, kb, new) is None
    await alerts.subscribe("telegram", 1, WAGE_FACTS, "sd")
    await alerts.subscribe("telegram", 2, ["eobi_minimum_pension"], "en")
    planned = await plan(alerts, kb, new)
    assert planned is not None and planned.subscribers == 1 and planned.facts == ("minimum_wage_unskilled",)
    assert "Rs 42,000" in planned.texts["en"] and "1 July 2026" in planned.texts["en"]
    assert "42,000 رپيا" in planned.texts["sd"]
    text = preview(new, planned)
    assert "1 chat(s)" in text and all(f"[{form}]" in text for form in ("English", "Urdu", "Sindhi", "Roman Urdu"))
    assert (await alerts.alert(planned.alert_id)).state == "offered"  # waits for staff


async def test_a_fact_staff_mark_alert_true_is_offered_named_by_its_answer_and_previewed_when_it_changes(store, alerts):
    facts = dict(store.kb.facts)
    facts["workers_compensation_death"] = dataclasses.replace(facts["workers_compensation_death"], alert=True)
    marked = dataclasses.replace(store.kb, facts=facts)
    entry = next(e for e in marked.entries if "{workers_compensation_death}" in e.answer["en"])
    assert alert_facts(entry, store.kb) == () and alert_facts(entry, marked) == ("workers_compensation_death",)
    assert all(fact_name(marked, "workers_compensation_death", lang) == entry.title[lang] for lang in LANGUAGES)
    await alerts.subscribe("telegram", 1, ["workers_compensation_death"], "en")
    planned = await plan(alerts, marked, raised(marked, workers_compensation_death=600000))
    assert planned is not None and f"{entry.title['en']} is now Rs 600,000 from 1 July 2026." in planned.texts["en"]


def test_alert_must_be_true_or_false_in_facts_yaml(fee, kb_copy, add_fact):
    from bot.knowledge.loader import load_with_problems

    add_fact("test_fee", fee + "alert: maybe\n")
    _kb, problems = load_with_problems(kb_copy)
    assert any("`alert:` must be true" in str(p) for p in problems)


async def _approved(alerts: AlertStore, chats: int) -> int:
    for chat in range(1, chats + 1):
        await alerts.subscribe("telegram", chat, ["minimum_wage_unskilled"], "ur" if chat % 2 else "en")
    alert_id = await alerts.offer(["minimum_wage_unskilled"], {"en": "EN", "ur": "UR"})
    assert await alerts.approve(alert_id) == chats
    return alert_id


async def test_send_reaches_every_subscriber_once_across_a_stop_in_the_middle(tmp_path, alerts):
    alert_id = await _approved(alerts, 50)
    got: list[tuple[str, str]] = []
    stop = asyncio.Event()

    async def send(r: Recipient, text: str) -> str:
        got.append((r.chat, text))
        if len(got) == 23:
            stop.set()  # SIGTERM while messages are going out
        await asyncio.sleep(0)
        return "sent"

    assert await deliver(alerts, alert_id, send, stop, batch=10, concurrency=3) is None
    await alerts.close()
    again = AlertStore(alerts.path)  # the next start
    await again.open()
    try:
        assert await again.sending() == [alert_id]
        assert await again.settle_unknown(alert_id) == 0  # a clean stop gave every unsent claim back
        done = await deliver(again, alert_id, send, asyncio.Event(), batch=10, concurrency=3)
        assert done is not None and (done.sent, done.failed, done.removed) == (50, 0, 0)
    finally:
        await again.close()
    chats = [c for c, _ in got]
    assert sorted(chats, key=int) == [str(c) for c in range(1, 51)]  # everyone, once
    assert dict(got)["1"] == "UR" and dict(got)["2"] == "EN"  # each in their form


async def test_a_claim_left_by_a_crash_is_never_sent_again(alerts):
    alert_id = await _approved(alerts, 5)
    claimed = await alerts.claim(alert_id, 2)  # the process died before marking them
    assert await alerts.settle_unknown(alert_id) == 2
    sent: list[str] = []

    async def send(r: Recipient, text: str) -> str:
        sent.append(r.chat)
        return "sent"

    done = await deliver(alerts, alert_id, send, asyncio.Event())
    assert not {r.chat for r in claimed} & set(sent) and len(sent) == 3
    assert done is not None and (done.sent, done.failed) == (3, 2)


async def test_a_blocked_chat_is_unsubscribed_and_the_outbox_is_emptied(alerts):
    alert_id = await _approved(alerts, 4)

    async def send(r: Recipient, text: str) -> str:
        return "removed" if r.chat == "3" else "sent"

    done = await deliver(alerts, alert_id, send, asyncio.Event())
    assert done is not None and (done.sent, done.removed) == (3, 1)
    assert await alerts.following("telegram", 3) == [] and await alerts.following("telegram", 4)
    assert await alerts.progress(alert_id) == {}  # no chat id kept once it is done
    assert await alerts.approve(alert_id) is None  # a second Send sends nothing


async def test_cancel_sends_nothing(alerts):
    await alerts.subscribe("telegram", 1, ["minimum_wage_unskilled"], "en")
    alert_id = await alerts.offer(["minimum_wage_unskilled"], {"en": "EN"})
    assert await alerts.cancel(alert_id)
    assert await alerts.approve(alert_id) is None
    assert not await alerts.cancel(alert_id)


async def test_the_report_counts_subscriptions_per_fact_per_week_and_alerts_sent_with_small_counts_hidden(alerts):
    monday = dt.date(2026, 7, 6)
    for chat in range(7):
        await alerts.subscribe("telegram", chat, ["minimum_wage_unskilled"], "ur", today=monday + dt.timedelta(days=2))
    await alerts.subscribe("telegram", 99, ["eobi_minimum_pension"], "sd", today=monday)
    await alerts.subscribe("telegram", 0, ["minimum_wage_unskilled"], "en", today=monday)  # again: not counted twice
    alert_id = await alerts.offer(["minimum_wage_unskilled"], {"ur": "UR", "en": "EN"})
    await alerts.approve(alert_id)

    async def send(r: Recipient, text: str) -> str:
        return "sent"

    await deliver(alerts, alert_id, send, asyncio.Event())
    weekly, sent = alert_tables(alerts.path, Filters())
    assert weekly.suppressed(5) == [["2026-07-06", "eobi_minimum_pension", "<5"],
                                    ["2026-07-06", "minimum_wage_unskilled", 7]]
    assert sent.suppressed(5)[0][1:] == ["minimum_wage_unskilled", 7, 0, 0]
    assert alert_tables(alerts.path, Filters(end=dt.date(2026, 7, 1)))[0].rows == []
    assert "99" not in repr(weekly.rows + sent.rows)  # counts only


async def test_bulk_messages_give_way_to_a_reply_waiting_for_its_slot():
    from bot.channels.telegram.ratelimit import BULK, ChatRateLimiter

    limiter = ChatRateLimiter(per_second=50)
    loop = asyncio.get_running_loop()
    done: list[tuple[str, float]] = []

    def call(kind: str):
        async def callback() -> bool:
            done.append((kind, loop.time()))
            return True
        return callback

    async def bulk_worker() -> None:  # as deliver() sends: a few at a time, one after another
        for _ in range(5):
            await limiter.process_request(call("bulk"), (), {}, "sendMessage", {"chat_id": 5}, BULK)

    workers = [asyncio.create_task(bulk_worker()) for _ in range(20)]
    await asyncio.sleep(0.5)
    asked = loop.time()
    await limiter.process_request(call("live"), (), {}, "sendMessage", {"chat_id": 6}, None)
    waited = loop.time() - asked
    await asyncio.gather(*workers)
    times = [t for _k, t in done]
    assert (times[-1] - times[0]) >= (len(times) - 1) / 50 * 0.9  # every message paced, bulk or not
    assert waited <= 3 / 50  # the next slot or so, not behind the 20 bulk messages waiting


@pytest.mark.parametrize("lang", LANGUAGES)
def test_alerts_is_in_the_help_and_the_command_menu(talk, lang):
    from bot.conversation.dialogue import COMMANDS
    from bot.conversation.i18n import gettext_for

    assert "/alerts – " + gettext_for(lang)(COMMANDS["alerts"]) in talk.help_text(lang)

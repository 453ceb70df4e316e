"""The case store, the worker's side of a case without Telegram, and the report's case tables."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3

import pytest

from bot.research.case_reports import case_tables
from bot.stores.cases import Case, CaseStore
from bot.stores.querylog import QueryLog
from bot.conversation.referral import Referral
from bot.research.reports import Filters
from tests.helpers import UTC, Clock


class Desk:
    """Collects what would go to the case chat."""

    def __init__(self, fail: bool = False):
        self.posts: list[tuple[str, str | None, str | None]] = []
        self.fail = fail

    async def new_case(self, case: Case, entry_title: str | None, text: str | None, voice: str | None) -> None:
        if self.fail:
            raise ConnectionError("Telegram is unreachable")
        self.posts.append((case.number, text, voice))

    async def follow_up(self, case: Case, text: str | None, voice: str | None) -> None:
        self.posts.append((case.number, text, voice))

    async def withdrawn(self, case: Case) -> None:
        self.posts.append((case.number, "withdrawn", None))


async def test_closed_cases_are_purged_after_retention_and_open_ones_stay(cases):
    store, clock = cases
    old = await store.open_case(1, "ur", None)
    await store.add_message(old.number, "worker", "text", "purane case ka sawal")
    await store.close_case(old.number)
    still_open = await store.open_case(2, "sd", None)
    clock.now += dt.timedelta(days=60)
    recent = await store.open_case(3, "en", None)
    await store.close_case(recent.number)
    clock.now += dt.timedelta(days=31)  # the first closed 91 days ago, the other 31
    assert await store.purge() == 1
    assert await store.case(old.number) is None and await store.messages(old.number) == []
    assert (await store.case(still_open.number)).status == "open"
    assert (await store.case(recent.number)).status == "closed"
    assert b"purane case ka sawal" not in store.path.read_bytes()


async def test_case_numbers_are_random_and_unique(cases):
    store, _clock = cases
    numbers = [(await store.open_case(i, "en", None)).number for i in range(60)]
    assert len(set(numbers)) == 60 and all(n.startswith("K-") and len(n) == 6 for n in numbers)
    assert numbers != sorted(numbers)


async def test_forget_deletes_every_case_of_the_chat_only(cases):
    store, _clock = cases
    mine = await store.open_case(7, "en", None)
    await store.link_post(mine.number, -100, 1001)
    other = await store.open_case(8, "en", None)
    assert [c.number for c in await store.forget(7)] == [mine.number]
    assert await store.case_of_post(-100, 1001) is None and await store.open_case_of(7) is None
    assert await store.gone(-100, "post", 1001) == "forgotten"  # staff who answer it are told why
    assert (await store.open_case_of(8)).number == other.number


async def test_a_case_forgotten_while_its_post_was_on_its_way_is_not_linked_and_staff_are_told_why(cases):
    store, _clock = cases
    case = await store.open_case(7, "en", None)
    await store.forget(7)  # /forget lands before the case chat answered the post
    await store.link_post(case.number, -100, 1002)  # raised a foreign-key error, and the worker heard "not delivered"
    assert await store.case_of_post(-100, 1002) is None
    assert await store.gone(-100, "post", 1002) == "forgotten"


@pytest.mark.parametrize("message", [
    "the owner beat me and locked us in the factory",
    "seth ne mujhe maara aur dhamki di ke jaan se maar dega",
    "مالک نے مجھے مارا اور جان سے مارنے کی دھمکی دی",
    "مالڪ مون کي ماريو ۽ ڌمڪي ڏني",
    "بچے کو مارا جا رہا ہے",
])
async def test_danger_while_a_case_waits_for_its_message_brings_the_numbers_first_and_an_urgent_case(
        store, prefs, cases, message):
    from bot.conversation.dialogue import Conversation

    desk = Desk()
    conversation = Conversation(store, prefs, referral=Referral(store, cases[0], desk))
    await conversation.command(10, 10, "person")
    replies = await conversation.text(10, 10, message)
    assert replies[0].danger and "1122" in replies[0].text and "15" in replies[0].text
    assert "K-" in replies[-1].text
    case = await cases[0].open_case_of(10)
    assert case.urgent and desk.posts == [(case.number, message, None)]


def _actions(message) -> list[str]:
    return [b.action for row in message.buttons for b in row]


async def test_danger_typed_in_an_open_case_brings_the_numbers_first_and_an_offer_to_send_it_as_urgent(
        store, prefs, cases):
    from bot.conversation.dialogue import Conversation

    desk = Desk()
    referral = Referral(store, cases[0], desk)
    conversation = Conversation(store, prefs, referral=referral)
    await conversation.command(10, 10, "person")
    await conversation.text(10, 10, "my salary is three months late")
    number = (await cases[0].open_case_of(10)).number
    assert not (await cases[0].open_case_of(10)).urgent
    replies = await conversation.text(10, 10, "he is beating me now")
    assert replies[0].danger == "violence" and "15" in replies[0].text
    offer = replies[-1]
    assert offer.danger is None and number in offer.text and "urgent" in offer.text
    await referral.settle()
    assert len(desk.posts) == 1 and not (await cases[0].open_case_of(10)).urgent  # nothing sent before she says so
    send = next(a for a in _actions(offer) if a.startswith("purgent"))
    sent = await conversation.action(10, 10, send)
    await referral.settle()
    assert number in sent[0].text and "urgent" in sent[0].text
    assert (await cases[0].open_case_of(10)).urgent and desk.posts[-1] == (number, "he is beating me now", None)


async def test_with_a_case_open_a_typed_question_is_answered_and_only_add_to_my_case_sends_one_message_to_it(
        store, prefs, cases):
    from bot.conversation.dialogue import Conversation

    desk = Desk()
    referral = Referral(store, cases[0], desk)
    conversation = Conversation(store, prefs, referral=referral)
    await conversation.command(10, 10, "person")
    opened = (await conversation.text(10, 10, "my salary is three months late"))[-1]
    number = (await cases[0].open_case_of(10)).number
    assert "Add to my case" in opened.text
    answer = (await conversation.text(10, 10, "what is the minimum wage"))[-1]
    assert answer.title and "Added to your case" not in answer.text  # a question, answered
    add = next(a for a in _actions(opened) if a.startswith("padd"))
    ready = await conversation.action(10, 10, add)
    assert number in ready[0].text
    added = await conversation.text(10, 10, "the owner also cut my overtime pay")
    assert added[0].text.startswith(f"Added to your case {number}")
    assert any(a.startswith("padd") for a in _actions(added[0]))  # she may add more, one message a press
    again = (await conversation.text(10, 10, "how many days of annual leave"))[-1]
    assert "Added to your case" not in again.text
    voiced = await conversation.voice(10, "voice-file-1")  # a voice note cannot be a question: straight to the case
    assert number in voiced[0].text
    assert not any(a.startswith("topic:") for r in voiced for a in _actions(r))  # no menu inviting a question (G22)
    await referral.settle()
    assert desk.posts == [(number, "my salary is three months late", None),
                          (number, "the owner also cut my overtime pay", None), (number, None, "voice-file-1")]


async def test_the_emergency_message_offers_ask_a_person_and_a_case_from_it_is_urgent(store, prefs, cases):
    from bot.conversation.dialogue import Conversation

    conversation = Conversation(store, prefs, referral=Referral(store, cases[0], Desk()))
    first = (await conversation.text(11, 11, "the supervisor slapped me and said he will kill me"))[0]
    person = [b.action for row in first.buttons for b in row if b.action.startswith("person:")]
    assert first.danger and person
    await conversation.action(11, 11, person[0])
    await conversation.text(11, 11, "please call me back")
    assert (await cases[0].open_case_of(11)).urgent


async def test_an_ordinary_complaint_opens_a_case_without_the_emergency_numbers(store, cases):
    desk = Desk()
    referral = Referral(store, cases[0], desk)
    await referral.offer(10, "en")
    replies = await referral.take(10, "my salary is three months late")
    assert len(replies) == 1 and "1122" not in replies[0].text
    await referral.settle()
    assert desk.posts == [(replies[0].title.split()[-1], "my salary is three months late", None)]


async def test_a_case_staff_never_received_is_not_kept_and_the_worker_is_told(store, cases):
    told: list[tuple[int | str, str]] = []

    async def notify(chat: int | str, text: str) -> None:
        told.append((chat, text))

    referral = Referral(store, cases[0], Desk(fail=True), notify=notify)
    await referral.offer(10, "en")
    replies = await referral.take(10, "my salary is late")
    assert "K-" in replies[0].text  # answered at once, before the case chat is tried
    await referral.settle()
    assert told and told[0][0] == "10" and "could not reach" in told[0][1] and "021-34325500" in told[0][1]
    assert await cases[0].open_case_of(10) is None


def test_report_counts_cases_per_week_by_topic_and_hides_small_medians(tmp_path, store):
    clock = Clock(dt.datetime(2026, 3, 2, 9, tzinfo=UTC))
    log = QueryLog(tmp_path / "queries.sqlite3", clock=clock)
    case_store = CaseStore(tmp_path / "cases.sqlite3", clock=clock)

    async def fill() -> None:
        await log.start()
        await case_store.open()
        for i in range(6):
            log.case_opened(topic="wages", lang="ur")
            case = await case_store.open_case(i, "ur", None)
            clock.now += dt.timedelta(hours=i + 1)
            await case_store.add_message(case.number, "staff", "text", "jawab")
            clock.now -= dt.timedelta(hours=i + 1)
        log.case_opened(topic=None, lang="sd")
        clock.now += dt.timedelta(days=7)
        await case_store.open_case(99, "sd", None)  # the next week: one case, no reply yet
        await log.close()
        await case_store.close()

    asyncio.run(fill())
    db = sqlite3.connect(tmp_path / "queries.sqlite3")
    weekly, replies = case_tables(db, tmp_path / "cases.sqlite3", Filters(), 5, store.kb)
    assert weekly.rows == [["2026-03-02", "(nothing matched)", 1], ["2026-03-02", "Wages and pay", 6]]
    assert weekly.suppressed(5)[0][2] == "<5"
    assert replies.rows == [["2026-03-02", 6, 6, 3.5], ["2026-03-09", 1, 0, "-"]]
    assert b"K-" not in (tmp_path / "queries.sqlite3").read_bytes()


async def test_a_cue_staff_add_to_the_danger_file_brings_the_numbers(kb_copy, prefs):
    from bot.conversation.dialogue import Conversation
    from bot.knowledge.store import KnowledgeStore

    text = "someone zorblaxed my face"
    assert not (await Conversation(KnowledgeStore(kb_copy), prefs).text(9, 9, text))[0].danger
    path = kb_copy / "danger.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("cues: [acid,", "cues: [zorblaxed, acid,", 1), encoding="utf-8")
    conversation = Conversation(KnowledgeStore(kb_copy), prefs)
    replies = await conversation.text(10, 10, text)
    assert replies[0].danger == "acid" and "1122" in replies[0].text


@pytest.mark.parametrize("question, kind", [
    ("what is the minimum wage", "answer"),
    ("leave", "did you mean"),
    ("who won the cricket match yesterday", "decline"),
])
async def test_ask_a_person_is_under_answers_suggestions_and_declines(store, prefs, cases, question, kind):
    from bot.conversation.dialogue import Conversation

    on = Conversation(store, prefs, referral=Referral(store, cases[0], Desk()))
    off = Conversation(store, prefs, referral=Referral(store))  # no case chat
    actions = [b.action for m in await on.text(1, 1, question) for row in m.buttons for b in row]
    assert any(a.startswith("person:") and a.endswith("~en+") for a in actions), (kind, actions)
    actions = [b.action for m in await off.text(1, 1, question) for row in m.buttons for b in row]
    assert not any(a.startswith("person:") for a in actions)

"""Ask a person: workers' cases through the real Application, the fake Bot API and a case chat."""

from __future__ import annotations

import asyncio
import sqlite3

from tests.case_helpers import (ARABIC, NUMBER, OTHER, PROFILE, WORKER, add_to_case, ask_for_a_person, case_posts, open_case,
                                open_case_by_command, post_of, texts, wait_posts)
from tests.telegram_harness import CASE_CHAT, buttons, choose, running, wait

async def test_a_case_opened_in_urdu_reaches_staff_and_their_reply_reaches_the_worker(fake, case_settings):
    fake.profiles[WORKER] = PROFILE
    async with running(case_settings):
        await choose(fake, WORKER, "ur")
        fake.message(WORKER, "کم از کم تنخواہ کتنی ہے")
        answer = (await wait(fake, WORKER, 3))[-1]
        labels = dict((data.partition(":")[0], label) for label, data in buttons(answer))
        assert labels["person"] == "کسی انسان سے پوچھیں"
        fake.press(WORKER, next(d for _, d in buttons(answer) if d.startswith("person:")))
        explained = (await wait(fake, WORKER, 4))[-1]
        assert ARABIC.search(explained["text"]) and "/forget" in explained["text"]
        assert "دو کاروباری دنوں کے اندر" in explained["text"]  # when staff usually answer, from facts.yaml
        assert ("یہی سوال بھیج دیں", "psend~ur+") in buttons(explained)
        fake.message(WORKER, "میرے سیٹھ نے تین مہینے سے تنخواہ نہیں دی")
        opened = (await wait(fake, WORKER, 5))[-1]
        number = NUMBER.search(opened["text"]).group(0)
        assert "کیس" in opened["text"]
        post = (await wait_posts(fake, 1))[0]
        assert number in post[1]["text"] and "Urdu" in post[1]["text"]
        assert "The minimum wage in Sindh" in post[1]["text"]  # the entry the bot matched
        assert "میرے سیٹھ نے تین مہینے سے تنخواہ نہیں دی" in post[1]["text"]

        fake.staff(CASE_CHAT, "Ji, hum aap ko kal call karenge. Apna CNIC tayyar rakhein.", reply_to=post[0])
        relayed = (await wait(fake, WORKER, 6))[-1]
        assert "نو کمیونٹیز کا جواب" in relayed["text"] and number in relayed["text"]
        assert "Apna CNIC tayyar rakhein" in relayed["text"]  # staff write in any language; no translation

        added = await add_to_case(fake, WORKER, "شکریہ، میں انتظار کروں گی")  # while the case is open: to the same case
        assert number in added["text"]
        follow = (await wait_posts(fake, 2))[-1]
        assert number in follow[1]["text"] and "میں انتظار کروں گی" in follow[1]["text"]
    db = sqlite3.connect(case_settings.cases_path)
    assert [r[0] for r in db.execute("SELECT sender FROM case_messages ORDER BY id")] == ["worker", "staff", "worker"]
    assert db.execute("SELECT first_reply IS NOT NULL FROM cases").fetchone() == (1,)


async def test_the_question_just_asked_can_be_sent_as_it_is(fake, case_settings):
    async with running(case_settings):
        await choose(fake, WORKER, "en")
        fake.message(WORKER, "my employer has not paid overtime for two months")
        answer = (await wait(fake, WORKER, 3))[-1]
        fake.press(WORKER, next(d for _, d in buttons(answer) if d.startswith("person:")))
        await wait(fake, WORKER, 4)
        fake.press(WORKER, "psend~en+")
        opened = (await wait(fake, WORKER, 5))[-1]
        assert NUMBER.search(opened["text"])
        post = (await wait_posts(fake, 1))[0][1]["text"]
        assert "has not paid overtime for two months" in post


async def test_two_workers_replies_never_cross(fake, case_settings):
    async with running(case_settings):
        first = await open_case(fake, WORKER, "ur", "overtime ka rate kya hai", "mujhe overtime nahi mila")
        second = await open_case(fake, OTHER, "sd", "گهٽ ۾ گهٽ پگهار ڪيتري آهي", "منهنجي پگهار گهٽ آهي")
        assert first != second
        n1, n2 = len(fake.sent(WORKER)), len(fake.sent(OTHER))
        fake.staff(CASE_CHAT, "answer for the second worker", reply_to=post_of(fake, second))
        fake.staff(CASE_CHAT, "answer for the first worker", reply_to=post_of(fake, first))
        got1 = (await wait(fake, WORKER, n1 + 1))[-1]
        got2 = (await wait(fake, OTHER, n2 + 1))[-1]
    assert "answer for the first worker" in got1["text"] and first in got1["text"]
    assert "answer for the second worker" in got2["text"] and second in got2["text"]
    assert len(fake.sent(WORKER)) == n1 + 1 and len(fake.sent(OTHER)) == n2 + 1
    assert "ڪيس" in got2["text"]  # labelled in the second worker's Sindhi


async def test_close_tells_the_worker_and_later_replies_are_not_sent(fake, case_settings):
    async with running(case_settings):
        number = await open_case(fake, WORKER, "en", "what is the minimum wage", "my wage is below the minimum")
        post = post_of(fake, number)
        n = len(fake.sent(WORKER))
        fake.staff(CASE_CHAT, "/cases")
        listed = (await wait(fake, CASE_CHAT, len(fake.sent(CASE_CHAT)) + 1))[-1]
        assert number in listed["text"] and "open 0 h" in listed["text"]
        fake.staff(CASE_CHAT, "/close", reply_to=post)
        told = (await wait(fake, WORKER, n + 1))[-1]
        assert "closed your case" in told["text"] and number in told["text"]
        staff_n = len(fake.sent(CASE_CHAT))
        fake.staff(CASE_CHAT, "one more thing", reply_to=post)
        refused = (await wait(fake, CASE_CHAT, staff_n + 2))[-1]  # /close's confirmation, then this
        assert "is closed" in refused["text"]
        fake.message(WORKER, "what is the minimum wage")  # a question again, not a case message
        answered = (await wait(fake, WORKER, n + 2))[-1]
        assert "Added to your case" not in answered["text"]
    assert len([t for t in texts(fake.sent(WORKER)) if "one more thing" in t]) == 0


async def test_forget_closes_and_deletes_the_case_at_once(fake, case_settings):
    async with running(case_settings):
        number = await open_case(fake, WORKER, "en", "what is the minimum wage", "I was not paid")
        post = post_of(fake, number)
        n, staff_n = len(fake.sent(WORKER)), len(fake.sent(CASE_CHAT))
        fake.message(WORKER, "/forget")
        forgot = await wait(fake, WORKER, n + 2)
        assert number in forgot[n]["text"] and "deleted" in forgot[n]["text"]
        told = (await wait(fake, CASE_CHAT, staff_n + 1))[-1]
        assert number in told["text"] and "deleted" in told["text"]
        fake.staff(CASE_CHAT, "are you there?", reply_to=post)  # no case any more: staff are told why (G9)
        fake.staff(CASE_CHAT, "/cases")
        why, listed = (await wait(fake, CASE_CHAT, staff_n + 3))[-2:]
        assert "not sent" in why["text"] and "/forget" in why["text"] and number not in why["text"]
        assert listed["text"] == "No open cases."
    assert not any("are you there" in t for t in texts(fake.sent(WORKER)))
    db = sqlite3.connect(case_settings.cases_path)
    assert db.execute("SELECT COUNT(*) FROM cases").fetchone() == (0,)
    assert db.execute("SELECT COUNT(*) FROM case_messages").fetchone() == (0,)
    assert db.execute("SELECT COUNT(*) FROM case_posts").fetchone() == (0,)
    assert b"I was not paid" not in case_settings.cases_path.read_bytes()


async def test_identity_reaches_staff_only_after_the_worker_shares_it(fake, case_settings):
    fake.profiles[WORKER] = PROFILE
    async with running(case_settings):
        number = await open_case(fake, WORKER, "en", "what is the minimum wage", "please call me back")
        before = len(case_posts(fake))
        assert not any("Zarmeena" in str(p) or "03217654329" in str(p) for _, p in case_posts(fake))
        opened = fake.sent(WORKER)[-1]
        assert ("Share my name and number with staff", "pshare~en+") in buttons(opened)
        n = len(fake.sent(WORKER))
        fake.press(WORKER, "pshare~en+")
        offer = (await wait(fake, WORKER, n + 1))[-1]
        keyboard = offer["reply_markup"]["keyboard"]
        assert keyboard[0][0]["request_contact"] is True
        fake.contact(WORKER, "+923001112233", user_id=OTHER, first_name="Somebody")  # someone else's contact
        refused = (await wait(fake, WORKER, n + 2))[-1]
        assert "own number" in refused["text"]
        fake.contact(WORKER, "03217654329", first_name="Zarmeena", last_name="Khaskheli")
        sent = (await wait(fake, WORKER, n + 3))[-1]
        assert number in sent["text"] and sent["reply_markup"] == {"remove_keyboard": True}
        shared = (await wait_posts(fake, before + 1))[-1][1]["text"]
    assert "Zarmeena Khaskheli" in shared and "03217654329" in shared and number in shared
    assert not any("+923001112233" in str(p) or "Somebody" in str(p) for _, p in case_posts(fake))


async def test_replies_from_outside_the_case_chat_or_to_other_messages_are_ignored(fake, case_settings):
    async with running(case_settings):
        number = await open_case(fake, WORKER, "en", "what is the minimum wage", "I was not paid")
        post = post_of(fake, number)
        n, staff_n = len(fake.sent(WORKER)), len(fake.sent(CASE_CHAT))
        fake.staff(-100777, "I am not staff", reply_to=post)  # another group, replying to the same message id
        fake.staff(CASE_CHAT, "chatting among staff", reply_to=post + 10_000)  # not a case message
        fake.staff(CASE_CHAT, "no reply at all")
        fake.message(OTHER, "hello from another worker", reply_to_message={
            "message_id": post, "date": 0, "chat": {"id": OTHER, "type": "private"}, "text": "..."})
        await wait(fake, OTHER, 1)
        fake.staff(CASE_CHAT, "/cases")  # processed after the others: they have been handled
        await wait(fake, CASE_CHAT, staff_n + 1)
    assert len(fake.sent(WORKER)) == n
    assert not any("not staff" in t or "among staff" in t or "no reply" in t or "another worker" in t
                   for t in texts(fake.sent(WORKER)))


async def test_danger_shows_the_emergency_numbers_before_anything_else(fake, case_settings):
    async with running(case_settings):
        await ask_for_a_person(fake, WORKER, "ur")
        fake.message(WORKER, "seth ne humein factory mein band kar rakha hai aur jaan se maarne ki dhamki di")
        replies = (await wait(fake, WORKER, 5))[-2:]
        assert "1122" in replies[0]["text"] and "15" in replies[0]["text"]
        assert NUMBER.search(replies[1]["text"])
        await wait_posts(fake, 1)


async def test_a_voice_note_outside_a_case_can_become_one(fake, case_settings):
    async with running(case_settings):
        await choose(fake, WORKER, "sd")
        fake.voice(WORKER, "AwACAgQAAxkBAAIBsome-voice")
        offer = (await wait(fake, WORKER, 4))[-2:]
        assert "وائس نوٽ" in offer[0]["text"] and "I can only read text" not in offer[0]["text"]
        assert ("عملي ڏانهن موڪليو", "pvoice~sd+") in buttons(offer[0])
        assert any(d.startswith("topic:") for _, d in buttons(offer[1]))  # the topic menu
        fake.press(WORKER, "pvoice~sd+")
        opened = (await wait(fake, WORKER, 5))[-1]
        number = NUMBER.search(opened["text"]).group(0)
        await wait(fake, CASE_CHAT, 1)
        for _ in range(200):
            voices = fake.posts(CASE_CHAT, methods=("sendVoice",))
            if voices:
                break
            await asyncio.sleep(0.05)
        assert voices[0][1]["voice"] == "AwACAgQAAxkBAAIBsome-voice" and number in voices[0][1]["caption"]
        fake.staff(CASE_CHAT, "We heard you; we will call the labour office.", reply_to=voices[0][0])
        relayed = (await wait(fake, WORKER, 6))[-1]
    assert "We heard you" in relayed["text"]


async def test_each_case_gets_its_own_topic_where_the_group_has_topics(fake, case_settings):
    fake.forums.add(CASE_CHAT)
    async with running(case_settings):
        number = await open_case(fake, WORKER, "en", "what is the minimum wage", "I was not paid")
        topic = next(p for _, m, p in fake.delivered if m == "createForumTopic")
        assert topic["name"] == f"Case {number}"
        thread = case_posts(fake)[0][1]["message_thread_id"]
        n = len(fake.sent(WORKER))
        fake.staff(CASE_CHAT, "Written inside the case's topic", thread=thread)
        relayed = (await wait(fake, WORKER, n + 1))[-1]
        assert "Written inside the case's topic" in relayed["text"]
        fake.staff(CASE_CHAT, "/close", thread=thread)
        closed = (await wait(fake, WORKER, n + 2))[-1]
    assert "closed your case" in closed["text"]


async def test_the_case_chat_and_query_log_never_hold_the_workers_identity(fake, case_settings):
    fake.profiles[WORKER] = PROFILE
    async with running(case_settings):
        number = await open_case(fake, WORKER, "ur", "kam se kam tankhwa kitni hai", "mujhe pura paisa nahi milta")
        fake.staff(CASE_CHAT, "hum dekhte hain", reply_to=post_of(fake, number))
        await wait(fake, WORKER, 6)
        fake.voice(WORKER)
        await wait(fake, WORKER, 7)
    to_staff = repr([p for _m, p in fake.calls if str(p.get("chat_id", "")) == str(CASE_CHAT)]).encode()
    log_bytes = case_settings.log_path.read_bytes()
    for secret in ("Zarmeena", "zarmeena", "Khaskheli", "zarmeena_kh77", str(WORKER)):
        assert secret.encode() not in to_staff
        assert secret.encode() not in log_bytes
    assert WORKER.to_bytes(8, "big") not in log_bytes and WORKER.to_bytes(4, "big") not in log_bytes
    assert number.encode() not in log_bytes and b"pura paisa" not in log_bytes
    events = sqlite3.connect(case_settings.log_path).execute("SELECT topic, lang FROM case_events").fetchall()
    assert events == [("wages", "ur")]


async def test_cases_are_limited_per_chat(fake, case_settings):
    async with running(case_settings):
        await choose(fake, WORKER, "en")
        for i in range(3):
            number = await open_case_by_command(fake, WORKER, f"case number {i}")
            n = len(fake.sent(WORKER))
            fake.staff(CASE_CHAT, "/close", reply_to=post_of(fake, number))
            await wait(fake, WORKER, n + 1)
        n = len(fake.sent(WORKER))
        fake.message(WORKER, "/person")
        refused = (await wait(fake, WORKER, n + 1))[-1]
    assert "several cases today" in refused["text"] and "021-34325500" in refused["text"]


async def test_without_a_case_chat_there_is_no_button_and_person_gives_the_phone(fake, settings):
    async with running(settings):
        await choose(fake, WORKER, "en")
        fake.message(WORKER, "what is the minimum wage")
        answer = (await wait(fake, WORKER, 3))[-1]
        assert not any(d.startswith("person:") for _, d in buttons(answer))
        fake.message(WORKER, "/person")
        person = (await wait(fake, WORKER, 4))[-1]
        assert "021-34325500" in person["text"]
        fake.press(WORKER, "psend~en+")  # a forged or stale button
        forged = (await wait(fake, WORKER, 5))[-1]
        assert "021-34325500" in forged["text"]
        fake.voice(WORKER)
        voice = (await wait(fake, WORKER, 7))[-2]
    assert "cannot listen" in voice["text"] and "021-34325500" in voice["text"]
    assert not settings.cases_path.exists()


async def test_forged_case_buttons_are_harmless(fake, case_settings):
    async with running(case_settings):
        await choose(fake, WORKER, "en")
        for n, data in enumerate(["person:../../etc~en", "psend~zz", "pvoice~en+", "pshare~en", "pcancel"], 3):
            fake.press(WORKER, data)
            await wait(fake, WORKER, n)
    assert case_posts(fake) == []
    assert not fake.errors


async def test_cases_are_never_opened_in_a_group(fake, case_settings):
    group = -1001987654321
    async with running(case_settings):
        fake.message(group, "/person@nowrights_test_bot", user_id=WORKER, group=True)
        told = (await wait(fake, group, 1))[-1]
        fake.press(group, "person:~en+", user_id=WORKER, group=True)
        fake.message(group, "@nowrights_test_bot my salary is late", user_id=WORKER, group=True)
        pressed = (await wait(fake, group, 3))[1]
    assert "private chat" in pressed["text"]  # the button's language
    assert "نجی چیٹ" in told["text"]  # in a private chat
    assert case_posts(fake) == []


async def test_going_elsewhere_after_ask_a_person_sends_nothing_to_staff(fake, case_settings):
    async with running(case_settings):
        await ask_for_a_person(fake, WORKER, "en")
        fake.message(WORKER, "/topics")
        await wait(fake, WORKER, 4)
        fake.message(WORKER, "what is the minimum wage")
        answer = (await wait(fake, WORKER, 5))[-1]
    assert "Law:" in answer["text"] and case_posts(fake) == []


async def test_closed_cases_past_retention_are_purged_and_their_replies_go_nowhere(fake, case_settings):
    import datetime as dt

    from bot.stores.cases import CaseStore
    from tests.helpers import UTC, Clock

    clock = Clock(dt.datetime.now(UTC) - dt.timedelta(days=91))
    old = CaseStore(case_settings.cases_path, clock=clock)
    await old.open()
    stale = await old.open_case(WORKER, "en", None)
    await old.add_message(stale.number, "worker", "text", "an old complaint about wages")
    await old.link_post(stale.number, CASE_CHAT, 4242)
    await old.close_case(stale.number)
    kept = await old.open_case(OTHER, "en", None)  # opened as long ago, but still open: kept
    await old.close()
    async with running(case_settings):
        fake.staff(CASE_CHAT, "late answer to the old case", reply_to=4242)
        fake.staff(CASE_CHAT, "/cases")
        for _ in range(200):  # also posted now: the open case never posted, and a word that it is old
            said = texts(fake.sent(CASE_CHAT))
            if any("not sent" in t for t in said) and any(t.startswith("Open cases") for t in said):
                break
            await asyncio.sleep(0.05)
    why, listed = next(t for t in said if "not sent" in t), next(t for t in said if t.startswith("Open cases"))
    assert "deleted" in why and kept.number in listed and stale.number not in listed
    assert fake.sent(WORKER) == []
    db = sqlite3.connect(case_settings.cases_path)
    assert db.execute("SELECT number FROM cases").fetchall() == [(kept.number,)]
    assert b"an old complaint about wages" not in case_settings.cases_path.read_bytes()


async def test_a_staff_voice_note_reaches_the_worker_with_its_label(fake, case_settings):
    async with running(case_settings):
        number = await open_case(fake, WORKER, "en", "what is the minimum wage", "I was not paid")
        n = len(fake.sent(WORKER))
        fake.staff(CASE_CHAT, None, reply_to=post_of(fake, number),
                   voice={"file_id": "AwACstaffvoice", "file_unique_id": "sv1", "duration": 5})
        label = (await wait(fake, WORKER, n + 1))[-1]
        for _ in range(100):
            copies = fake.posts(WORKER, methods=("copyMessage",))
            if copies:
                break
            await asyncio.sleep(0.05)
    assert "Reply from NOWCommunities" in label["text"] and number in label["text"]
    assert int(copies[0][1]["from_chat_id"]) == CASE_CHAT


async def test_with_a_case_open_the_worker_still_asks_the_bot_and_adds_to_her_case_only_when_she_says(
        fake, case_settings):
    async with running(case_settings):
        number = await open_case(fake, WORKER, "en", "what is the minimum wage", "my wage is below the minimum")
        posted = len(case_posts(fake))
        n = len(fake.sent(WORKER))
        fake.message(WORKER, "how many days of annual leave do I get")
        answer = (await wait(fake, WORKER, n + 1))[-1]
        assert "Added to your case" not in answer["text"] and number not in answer["text"]  # answered as a question
        added = await add_to_case(fake, WORKER, "they also cut two days of my pay")
        assert added["text"].startswith(f"Added to your case {number}")
        await wait_posts(fake, posted + 1)
        assert "cut two days of my pay" in case_posts(fake)[-1][1]["text"]
        n = len(fake.sent(WORKER))
        fake.message(WORKER, "is sunday a holiday")  # one message per press: this one is a question again
        await wait(fake, WORKER, n + 1)
        await asyncio.sleep(0.3)
        assert len(case_posts(fake)) == posted + 1

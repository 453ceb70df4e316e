"""Staff always know what reached the worker (QA G9, G10, G11, G16, G17)."""

from __future__ import annotations


import asyncio
import sqlite3

from bot.stores.cases import CaseStore
from tests.case_helpers import NUMBER, WORKER, open_case, open_case_by_command, post_of, posted_case, texts
from tests.telegram_harness import CASE_CHAT, choose, running, wait


async def test_an_edited_staff_reply_reaches_the_worker_as_a_correction(fake, case_settings):
    async with running(case_settings):
        number = await open_case(fake, WORKER, "ur", "kam se kam tankhwa kitni hai", "mujhe tankhwa nahi mili")
        n, staff_n = len(fake.sent(WORKER)), len(fake.sent(CASE_CHAT))
        reply = fake.staff(CASE_CHAT, "Come on Tuesday at 10", reply_to=post_of(fake, number))
        await wait(fake, WORKER, n + 1)
        edited = dict(reply["message"], text="Sorry, come on THURSDAY at 10 (not Tuesday)")
        fake.raw({"edited_message": {**edited, "edit_date": edited["date"] + 30}})
        corrected = (await wait(fake, WORKER, n + 2))[-1]
        told = (await wait(fake, CASE_CHAT, staff_n + 1))[-1]
    assert "THURSDAY" in corrected["text"] and number in corrected["text"]
    assert "درستی" in corrected["text"]  # marked as a correction, in the case's Urdu
    assert "correct" in told["text"] and number in told["text"]


async def test_a_roman_urdu_case_is_called_roman_urdu_in_the_case_chat(fake, case_settings):
    async with running(case_settings):
        number = await open_case(fake, WORKER, "ur-Latn", "kam se kam tankhwa kitni hai", "meri tankhwa minimum se kam hai")
        heading = (await wait(fake, CASE_CHAT, 1))[0]
    assert number in heading["text"] and "Language: Roman Urdu" in heading["text"]  # G16: it said "ur-Latn"
    assert "ur-Latn" not in heading["text"]


async def test_cases_lists_every_open_case_within_telegrams_limit(fake, case_settings):
    store = CaseStore(case_settings.cases_path)
    await store.open()
    numbers = [(await store.open_case(i, "ur-Latn", None)).number for i in range(1, 202)]
    await store.close()
    async with running(case_settings):
        fake.staff(CASE_CHAT, "/cases")
        pages = await wait(fake, CASE_CHAT, 2)
    listed = "\n".join(texts(pages))
    assert "Open cases (201)" in listed and all(n in listed for n in numbers)
    assert all(len(p["text"]) <= 4096 for p in pages)
    assert "Roman Urdu" in listed and "ur-Latn" not in listed  # G16
    assert not any(m == "sendMessage" and "went wrong" in d for m, d in fake.errors)


async def test_a_long_case_message_reaches_staff_whole(fake, case_settings):
    long = " ".join(f"word{i}" for i in range(650)) + " END-OF-MESSAGE"  # about 4,000 characters
    async with running(case_settings):
        await choose(fake, WORKER, "en")
        number = await open_case_by_command(fake, WORKER, long)
        for _ in range(100):
            posted = "\n".join(texts(fake.sent(CASE_CHAT)))
            if "END-OF-MESSAGE" in posted:
                break
            await wait(fake, CASE_CHAT, len(fake.sent(CASE_CHAT)) + 1)
    assert number in posted and "END-OF-MESSAGE" in posted and "word0 " in posted and "word649" in posted


async def test_a_worker_message_cut_off_by_a_restart_reaches_staff_at_the_next_start(fake, case_settings):
    async with running(case_settings):
        number = await open_case(fake, WORKER, "en", "what is the minimum wage", "first message")
    store = CaseStore(case_settings.cases_path)
    await store.open()
    await store.add_message(number, "worker", "text", "written just before the restart", delivered=False)
    await store.close()
    async with running(case_settings):
        for _ in range(100):
            undelivered = sqlite3.connect(case_settings.cases_path).execute(
                "SELECT COUNT(*) FROM case_messages WHERE delivered = 0").fetchone()
            if any("written just before the restart" in t for t in texts(fake.sent(CASE_CHAT))) and undelivered == (0,):
                break
            await asyncio.sleep(0.1)
    assert any(number in t and "written just before the restart" in t for t in texts(fake.sent(CASE_CHAT)))
    assert undelivered == (0,)  # marked delivered once posted: not posted again at the next start


async def test_a_case_whose_post_failed_halfway_tells_staff_who_answer_it(fake, case_settings):
    async with running(case_settings):
        await choose(fake, WORKER, "en")
        fake.fail("sendVoice", 400, chat_id=CASE_CHAT, description="Bad Request: wrong file identifier")
        fake.message(WORKER, "/person")
        await wait(fake, WORKER, 3)
        fake.voice(WORKER, "AwACbroken")
        opened, sorry = (await wait(fake, WORKER, 5))[-2:]
        heading = await posted_case(fake, NUMBER.search(opened["text"]).group(0))
        assert "could not reach" in sorry["text"]
        staff_n = len(fake.sent(CASE_CHAT))
        fake.staff(CASE_CHAT, "we are listening", reply_to=heading)
        why = (await wait(fake, CASE_CHAT, staff_n + 1))[-1]
    assert "not sent" in why["text"] and "try again" in why["text"]
    assert not any("we are listening" in t for t in texts(fake.sent(WORKER)))



async def test_a_staff_reply_cut_off_by_a_restart_reaches_the_worker_and_staff_are_told(fake, case_settings):
    async with running(case_settings):
        number = await open_case(fake, WORKER, "en", "what is the minimum wage", "first message")
        n = len(fake.sent(WORKER))
    store = CaseStore(case_settings.cases_path)
    await store.open()
    await store.add_message(number, "staff", "text", "Please come on Thursday", delivered=False)  # then kill -9
    await store.close()
    async with running(case_settings):
        relayed = (await wait(fake, WORKER, n + 1))[-1]
        for _ in range(100):
            if any("restart" in t for t in texts(fake.sent(CASE_CHAT))):
                break
            await wait(fake, CASE_CHAT, len(fake.sent(CASE_CHAT)) + 1)
    assert "Please come on Thursday" in relayed["text"] and number in relayed["text"]
    assert any(number in t and "reached the worker" in t for t in texts(fake.sent(CASE_CHAT)))


async def test_photos_and_documents_sent_into_a_case_reach_staff_with_their_caption(fake, case_settings):
    async with running(case_settings):
        number = await open_case(fake, WORKER, "en", "what is the minimum wage", "my wages were cut")
        n = len(fake.sent(WORKER))
        fake.photo(WORKER, "AgACpayslip", caption="this is my payslip, see the deductions")
        added = (await wait(fake, WORKER, n + 1))[-1]
        fake.document(WORKER, "appointment-letter.pdf", b"%PDF-1.4")
        again = (await wait(fake, WORKER, n + 2))[-1]
        for _ in range(200):
            files = fake.posts(CASE_CHAT, methods=("sendPhoto", "sendDocument"))
            if len(files) == 2:
                break
            await asyncio.sleep(0.05)
        fake.staff(CASE_CHAT, "Thank you, we see the deductions.", reply_to=files[0][0])
        relayed = (await wait(fake, WORKER, n + 3))[-1]
    assert number in added["text"] and "Added to your case" in added["text"] and number in again["text"]
    assert files[0][1]["photo"] == "AgACpayslip" and files[1][1]["document"] == "DOC1"
    assert any("this is my payslip" in t and number in t for t in texts(fake.sent(CASE_CHAT)))
    assert "we see the deductions" in relayed["text"]


async def test_a_message_typed_after_ask_a_person_reaches_staff_across_a_restart(fake, case_settings):
    async with running(case_settings):
        await choose(fake, WORKER, "en")
        fake.message(WORKER, "/person")
        await wait(fake, WORKER, 3)  # "Type your message now"; then the bot is restarted (a deploy)
    async with running(case_settings):
        fake.message(WORKER, "my wages are two months late")
        opened = (await wait(fake, WORKER, 4))[-1]
        number = NUMBER.search(opened["text"]).group(0)
        await posted_case(fake, number)
        fake.message(WORKER, "/topics")  # going elsewhere ends the wait, as before
        await wait(fake, WORKER, 5)
    assert any("my wages are two months late" in t for t in texts(fake.sent(CASE_CHAT)))


async def test_a_whatsapp_workers_file_lost_in_a_restart_is_asked_for_again(fake, case_settings):
    store = CaseStore(case_settings.cases_path)
    await store.open()
    case = await store.open_case("wa:+923001234567", "ur", None)
    await store.add_message(case.number, "worker", "text", "my payslip follows")
    await store.add_message(case.number, "worker", "photo", "held:0123abcd", delivered=False)  # only ever in memory
    await store.close()
    async with running(case_settings):
        for _ in range(100):
            if any("was lost in a restart" in t for t in texts(fake.sent(CASE_CHAT))):
                break
            await asyncio.sleep(0.1)
    posted = texts(fake.sent(CASE_CHAT))
    assert any(case.number in t and "my payslip follows" in t for t in posted)
    assert any(case.number in t and "photo the worker sent on WhatsApp was lost in a restart" in t and "send it again" in t
               for t in posted)
    assert not fake.documents and not any(method == "sendPhoto" for _, method, _ in fake.posted)

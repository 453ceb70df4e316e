"""Roman Urdu and recorded answers through the real Application, against the fake Bot API on loopback."""

from __future__ import annotations

import asyncio
import re

from tests.helpers import FIXTURES
from tests.telegram_harness import buttons, choose, running, wait

ARABIC = re.compile(r"[\u0600-\u06FF]")


def _latin(text: str) -> bool:
    return not ARABIC.search(text)


async def test_roman_urdu_end_to_end_picker_menus_answers_help_privacy_and_errors(fake, settings):
    async with running(settings):
        sent = await choose(fake, 60, "ur-Latn")
        assert [label for label, _ in buttons(sent[0])] == ["English", "اردو", "سنڌي", "Roman Urdu"]
        welcome = sent[-1]
        assert welcome["text"].startswith("Assalam o Alaikum!") and "Roman Urdu" in welcome["text"]
        topics = buttons(welcome)
        assert topics[0] == ("Tankhwa aur mazdoori", "topic:wages~ur-Latn") and all(_latin(t) for t, _ in topics)
        fake.press(60, topics[0][1])
        menu = (await wait(fake, 60, 3))[-1]
        assert menu["text"] == "Tankhwa aur mazdoori ke baare mein sawal:"
        assert ("Sindh mein kam se kam tankhwa (minimum wage)", "entry:minimum-wage-amount~ur-Latn") in buttons(menu)
        fake.press(60, "entry:minimum-wage-amount~ur-Latn")
        answer = (await wait(fake, 60, 4))[-1]
        assert "Rs 40,000 mahana" in answer["text"] and "Agla qadam" in answer["text"] and _latin(answer["text"])
        assert ("Haan", "yes:") == (buttons(answer)[0][0], buttons(answer)[0][1][:4])
        for n, command in enumerate(["/help", "/privacy", "/nonsense"], 5):
            fake.message(60, command)
            await wait(fake, 60, n)
        fake.sticker(60)
        help_text, privacy, unknown, sticker = [m["text"] for m in (await wait(fake, 60, 8))[-4:]]
    assert "/topics – Topics dekhein" in help_text and "qanooni mashwara nahi" in help_text
    assert "Hum kya rakhte hain" in privacy and "180 din" in privacy
    assert unknown.startswith("Main ye command nahi jaanta")
    assert sticker.startswith("Main sirf likha hua parh sakta hoon")
    assert fake.errors == []


async def test_a_chat_that_chose_nothing_and_writes_roman_urdu_is_answered_in_roman_urdu(fake, settings):
    async with running(settings):
        fake.message(61, "meri tankhwa 3 mahine se nahi mili", lang="ur")  # a phone set to Urdu
        [reply] = await wait(fake, 61, 1)
    assert "Tankhwa der se ya na milna" in reply["text"] and _latin(reply["text"])
    assert all(data.endswith("~ur-Latn") or data.endswith("~ur-Latn+") for _, data in buttons(reply) if "~" in data)


async def test_three_messages_in_another_form_bring_a_one_tap_offer_never_a_silent_switch(fake, settings):
    async with running(settings):
        await choose(fake, 62, "ur")
        for n, text in enumerate(["overtime ka rate kya hai", "meri tankhwa nahi mili", "chutti kitni milti hai"]):
            fake.message(62, text)
            await wait(fake, 62, 3 + n)
        replies = await wait(fake, 62, 6)
        assert all(ARABIC.search(r["text"]) for r in replies[2:5])  # still answered in the chosen Urdu script
        offer = replies[-1]
        assert offer["text"] == "Aap Roman Urdu mein likh rahe hain. Kya ab se jawab Roman Urdu mein doon?"
        assert buttons(offer) == [("Ji haan, Roman Urdu mein jawab dein", "lang:ur-Latn")]
        fake.press(62, "lang:ur-Latn")
        await wait(fake, 62, 7)
        fake.message(62, "overtime ka rate kya hai")
        after = (await wait(fake, 62, 8))[-1]
    assert _latin(after["text"]) and "Overtime ki had aur paise" in after["text"]


async def test_listen_sends_the_recording_once_then_its_file_id(fake, settings, add_recording):
    recording = add_recording("overtime", "ur-Latn")
    async with running(settings):
        await choose(fake, 63, "ur-Latn")
        fake.press(63, "entry:overtime~ur-Latn")
        answer = (await wait(fake, 63, 3))[-1]
        listen = [data for label, data in buttons(answer) if label == "Sunein"]
        assert listen == ["listen:overtime~ur-Latn+"]
        fake.press(63, listen[0])
        [first] = await asyncio.to_thread(fake.wait_sent, 63, 1, 10.0, ("sendVoice",))
        fake.press(63, listen[0])
        voices = await asyncio.to_thread(fake.wait_sent, 63, 2, 10.0, ("sendVoice",))
    assert first["voice"]["uploaded"] == "overtime.ur-Latn.ogg" and first["caption"] == "Overtime ki had aur paise"
    file_id = first["voice"]["file_id"]
    assert fake.voices[file_id] == recording.read_bytes() == (FIXTURES / "audio" / "overtime.ur-Latn.ogg").read_bytes()
    assert voices[1]["voice"] == {"file_id": file_id}  # not uploaded again
    assert fake.errors == []

    async with running(settings):  # after a restart the id is still known
        fake.press(63, listen[0])
        voices = await asyncio.to_thread(fake.wait_sent, 63, 3, 10.0, ("sendVoice",))
    assert voices[2]["voice"] == {"file_id": file_id}

    recording.write_bytes((FIXTURES / "audio" / "minimum-wage.en.ogg").read_bytes())  # recorded again
    async with running(settings):
        fake.press(63, listen[0])
        voices = await asyncio.to_thread(fake.wait_sent, 63, 4, 10.0, ("sendVoice",))
    assert voices[3]["voice"]["uploaded"] == "overtime.ur-Latn.ogg" and voices[3]["voice"]["file_id"] != file_id

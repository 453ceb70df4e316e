"""What only Telegram shows: button presses Telegram refuses to answer, which message a button
replaces, captions and mentions in groups (the fake Bot API on loopback, tests/fake_telegram.py)."""

from __future__ import annotations

import asyncio

from tests.telegram_harness import buttons, choose, running, wait


async def test_an_expired_button_press_still_does_what_it_says(fake, settings):
    fake.fail("answerCallbackQuery", 400,
              description="Bad Request: query is too old and response timeout expired or query ID is invalid")
    async with running(settings):
        sent = await choose(fake, 43, "sd")
    assert buttons(sent[-1])[0] == ("پگهار ۽ اجرت", "topic:wages~sd")  # the Sindhi welcome, not an apology
    assert [m for m, _ in fake.errors] == ["answerCallbackQuery"]


async def test_back_under_an_answer_leaves_the_answer_in_the_chat(fake, settings):
    async with running(settings):
        fake.message(44, "What is the minimum wage?")
        answer = (await wait(fake, 44, 1))[-1]
        back = next(data for label, data in buttons(answer) if label == "« Back")
        fake.press(44, back, message_id=answer["message_id"] if "message_id" in answer else 1)
        menu = (await wait(fake, 44, 2))[-1]
    assert menu["text"] == "Questions about Wages and pay:"  # in the question's language
    assert not any(m == "editMessageText" for m, _ in fake.calls), "the answer was overwritten"


async def test_photo_caption_is_answered(fake, settings):
    photo = [{"file_id": "AgAD", "file_unique_id": "p1", "width": 800, "height": 600}]
    async with running(settings):
        fake.message(45, photo=photo, caption="what is the minimum wage?")
        reply = (await wait(fake, 45, 1))[-1]
        fake.message(45, photo=photo)
        bare = (await wait(fake, 45, 2))[-1]
    assert reply["text"].startswith("<b>The minimum wage in Sindh</b>")
    assert "/topics" in bare["text"]


async def test_in_groups_a_longer_username_is_not_a_mention(fake, settings):
    async with running(settings):
        fake.message(-101, "@nowrights_test_bot_evil minimum wage kitni hai", group=True, user_id=53)
        fake.message(-101, "@nowrights_test_bot, minimum wage kitni hai", group=True, user_id=53)
        await wait(fake, -101, 1)
        await asyncio.sleep(0.3)
    assert len(fake.sent(-101)) == 1


async def test_commands_use_the_phones_language_before_a_choice(fake, settings):
    async with running(settings):
        fake.message(46, "/help", lang="en")
        reply = (await wait(fake, 46, 1))[-1]
    assert "/forget – Delete everything stored about this chat" in reply["text"]

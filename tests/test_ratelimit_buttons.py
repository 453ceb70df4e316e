"""A 429 on a call without a chat (answering a button press) pauses no other chat (QA G15)."""

from __future__ import annotations

import asyncio
import time

from tests.telegram_harness import running, wait


async def test_a_429_on_a_button_answer_does_not_stop_other_chats(fake, settings, store):
    fake.fail("answerCallbackQuery", 429, retry_after=4)
    async with running(settings, store):
        fake.press(801, "lang:en")
        for _ in range(100):  # the 429 has come back
            if fake.errors:
                break
            await asyncio.sleep(0.05)
        asked = time.monotonic()
        fake.message(802, "how is overtime paid")
        await wait(fake, 802, 1)
        waited = time.monotonic() - asked
        pressed = await wait(fake, 801, 1)  # the press itself is still acted on, after its wait
    assert waited < 2, f"another chat waited {waited:.1f} s"
    assert pressed and [m for m, _ in fake.errors] == ["answerCallbackQuery"]

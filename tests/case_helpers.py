"""Opening cases and finding their posts, for the "Ask a person" suites against the fake Bot API."""

from __future__ import annotations

import asyncio
import re

from tests.fake_telegram import FakeTelegram
from tests.telegram_harness import CASE_CHAT, buttons, choose, wait

NUMBER = re.compile(r"K-\d{4,6}")
ARABIC = re.compile(r"[\u0600-\u06FF]")
WORKER, OTHER = 918273645, 918273646
PROFILE = {"first_name": "Zarmeena", "last_name": "Khaskheli", "username": "zarmeena_kh77"}


def texts(calls: list[dict]) -> list[str]:
    return [c.get("text", "") for c in calls]


def case_posts(fake: FakeTelegram) -> list[tuple[int, dict]]:
    return fake.posts(CASE_CHAT)


async def wait_posts(fake: FakeTelegram, count: int) -> list[tuple[int, dict]]:
    await wait(fake, CASE_CHAT, count)
    return case_posts(fake)


async def open_case(fake: FakeTelegram, chat: int, lang: str, question: str, message: str) -> str:
    """The worker chooses a language, asks, presses "Ask a person" under the answer and types their message."""
    await choose(fake, chat, lang)
    n = len(fake.sent(chat))
    fake.message(chat, question)
    reply = (await wait(fake, chat, n + 1))[-1]
    person = [data for _label, data in buttons(reply) if data.startswith("person:")]
    assert person, f"no Ask a person button under {reply}"
    fake.press(chat, person[0])
    explained = (await wait(fake, chat, n + 2))[-1]
    assert "/forget" in explained["text"]
    posted = len(case_posts(fake))
    fake.message(chat, message)
    opened = (await wait(fake, chat, n + 3))[-1]
    await wait(fake, CASE_CHAT, posted + 1)
    number = NUMBER.search(opened["text"]).group(0)
    await posted_case(fake, number)
    return number


async def ask_for_a_person(fake: FakeTelegram, chat: int, lang: str) -> dict:
    """The worker chooses a language and sends /person; the bot's explanation."""
    await choose(fake, chat, lang)
    fake.message(chat, "/person")
    return (await wait(fake, chat, 3))[-1]


def post_of(fake: FakeTelegram, number: str) -> int:
    return next(i for i, p in case_posts(fake) if number in str(p.get("text", "")))


async def open_case_by_command(fake: FakeTelegram, chat: int, message: str) -> str:
    n, posted = len(fake.sent(chat)), len(case_posts(fake))
    fake.message(chat, "/person")
    await wait(fake, chat, n + 1)
    fake.message(chat, message)
    opened = (await wait(fake, chat, n + 2))[-1]
    await wait(fake, CASE_CHAT, posted + 1)
    number = NUMBER.search(opened["text"]).group(0)
    await posted_case(fake, number)
    return number


async def posted_case(fake: FakeTelegram, number: str, timeout: float = 10.0) -> int:
    """Wait until the case's first post is in the case chat (posts come in the background); its message id."""
    for _ in range(int(timeout / 0.05)):
        found = [i for i, p in case_posts(fake) if number in str(p.get("text", "")) and "New case" in str(p.get("text"))]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"case {number} never reached the case chat: {case_posts(fake)}")


async def add_to_case(fake: FakeTelegram, chat: int, message: str) -> dict:
    """The worker presses "Add to my case" (the latest one the bot showed) and types ``message``; the bot's last reply.

    With a case open, a typed message is a question unless she says it is for her case (G22)."""
    add = next((data for call in reversed(fake.sent(chat)) for _label, data in buttons(call)
                if data.startswith("padd")), None)
    assert add, f"no Add to my case button in {texts(fake.sent(chat))}"
    n = len(fake.sent(chat))
    fake.press(chat, add)
    ready = (await wait(fake, chat, n + 1))[-1]
    assert NUMBER.search(ready["text"]), ready
    fake.message(chat, message)
    return (await wait(fake, chat, n + 2))[-1]

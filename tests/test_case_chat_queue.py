"""The case chat's budget (QA G2, G8): Telegram takes about 20 messages a minute in one group, and the case chat is
one group for every case. Workers never wait for it, and staff commands go ahead of queued case posts."""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque

from bot.channels.telegram.outbox import FOLLOW_UP, NEW_CASE, STAFF, Outbox
from tests.telegram_harness import CASE_CHAT, choose, running, wait
from tests.case_helpers import NUMBER, WORKER, add_to_case, open_case


async def test_staff_answers_go_first_then_new_cases_then_follow_ups():
    outbox, done, gate = Outbox(), [], asyncio.Event()

    async def post(name: str) -> None:
        if name == "busy":
            await gate.wait()
        done.append(name)

    jobs = [asyncio.create_task(outbox.run(NEW_CASE, lambda: post("busy")))]
    await asyncio.sleep(0)
    for priority, name in [(FOLLOW_UP, "follow-up 1"), (NEW_CASE, "case 2"), (FOLLOW_UP, "follow-up 2"),
                           (STAFF, "/cases"), (NEW_CASE, "case 3")]:
        jobs.append(asyncio.create_task(outbox.run(priority, lambda name=name: post(name))))
        await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(*jobs)
    await outbox.stop()
    assert done == ["busy", "/cases", "case 2", "case 3", "follow-up 1", "follow-up 2"]


async def test_workers_posts_leave_part_of_the_minute_for_staff():
    outbox, done = Outbox(per_minute=3, reserve=1), []

    async def post(name: str) -> None:
        done.append(name)

    workers = [asyncio.create_task(outbox.run(FOLLOW_UP, lambda i=i: post(f"worker {i}"))) for i in range(3)]
    await asyncio.sleep(0.05)
    assert done == ["worker 0", "worker 1"]  # the third waits for the next minute
    await asyncio.wait_for(outbox.run(STAFF, lambda: post("/cases")), 1)  # staff do not
    assert done == ["worker 0", "worker 1", "/cases"]
    for job in workers:
        job.cancel()
    await outbox.stop()


async def test_the_emergency_numbers_and_the_case_number_never_wait_for_a_full_case_chat(fake, case_settings):
    async with running(case_settings) as app:
        await choose(fake, WORKER, "ur")
        limiter = app.bot.rate_limiter
        now = asyncio.get_running_loop().time()
        limiter._group_sends[CASE_CHAT] = deque([now] * limiter.group_per_minute)  # 20 posts in the last second
        fake.message(WORKER, "/person")
        await wait(fake, WORKER, 3)
        asked = time.monotonic()
        fake.message(WORKER, "وہ مجھے مار رہا ہے، میں ڈری ہوئی ہوں")
        numbers, opened = (await wait(fake, WORKER, 5))[-2:]
        waited = time.monotonic() - asked
        assert re.search(r"(?<!\d)15(?!\d)", numbers["text"]) and NUMBER.search(opened["text"])  # police first
        assert waited < 3, f"the worker waited {waited:.1f} s"
        assert fake.posts(CASE_CHAT) == []  # the case itself waits its turn for the case chat
        added = await add_to_case(fake, WORKER, "وہ ابھی بھی دروازے پر ہے")  # "he is still at the door"
        while not NUMBER.search(added["text"]):  # read as danger, the numbers come again before the confirmation
            added = (await wait(fake, WORKER, len(fake.sent(WORKER)) + 1))[-1]
        assert NUMBER.search(added["text"]).group(0) == NUMBER.search(opened["text"]).group(0)


async def test_staff_commands_go_ahead_of_queued_case_posts(fake, case_settings):
    async with running(case_settings) as app:
        number = await open_case(fake, WORKER, "en", "what is the minimum wage", "first message")
        limiter = app.bot.rate_limiter
        limiter.group_per_minute = 2
        now = asyncio.get_running_loop().time()
        limiter._group_sends[CASE_CHAT] = deque([now - 59.0, now - 58.0])  # the next posts in 1 s, then in 2 s
        before = len(fake.posts(CASE_CHAT))
        for i in range(4):
            await add_to_case(fake, WORKER, f"follow-up number {i}")
        await asyncio.sleep(0.3)
        fake.staff(CASE_CHAT, "/cases")
        await wait(fake, CASE_CHAT, before + 2, timeout=15)
    posted = [p.get("text", "") for _i, p in fake.posts(CASE_CHAT)[before:before + 2]]
    assert "follow-up number 0" in posted[0]  # already waiting for its slot when staff asked
    assert posted[1].startswith("Open cases (1)") and number in posted[1]

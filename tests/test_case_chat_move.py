"""The case chat moves to a new group (QA G3): nothing written there reaches an old case's worker by accident.

Turning on Topics gives a group a new id; staff then set ``BOT_CASE_CHAT_ID`` to it and restart. Message and topic ids
start again in the new chat, so a post is known by (chat, message) and a topic by (chat, topic).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools

from tests.fake_telegram import FakeTelegram
from tests.telegram_harness import CASE_CHAT, running, wait
from tests.case_helpers import NUMBER, OTHER, WORKER, add_to_case, open_case, post_of, texts

NEW_CHAT = -1009191919191  # the same staff group after Topics was turned on: a forum with another id


async def posts_containing(fake: FakeTelegram, chat: int, words: str, count: int = 1,
                           timeout: float = 10.0) -> list[tuple[int, dict]]:
    for _ in range(int(timeout / 0.05)):
        found = [(i, p) for i, p in fake.posts(chat) if words in str(p.get("text", ""))]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"no post with {words!r} in {chat}: {fake.posts(chat)}")


async def test_a_case_chat_moved_to_a_forum_mid_case_gets_the_case_again_and_old_ids_reach_nobody(fake, case_settings):
    async with running(case_settings):
        number = await open_case(fake, WORKER, "en", "what is the minimum wage", "my wage is below the minimum")
        old_post = post_of(fake, number)
        fake.staff(CASE_CHAT, "We will call the labour office for you.", reply_to=old_post)
        await wait(fake, WORKER, len(fake.sent(WORKER)) + 1)
        await add_to_case(fake, WORKER, "thank you, they also cut my overtime")
        await posts_containing(fake, CASE_CHAT, "cut my overtime")
    fake.forums.add(NEW_CHAT)
    moved = dataclasses.replace(case_settings, case_chat_id=NEW_CHAT)
    async with running(moved):
        notice = (await posts_containing(fake, NEW_CHAT, "moved here"))[0][1]
        assert number in notice["text"] and str(CASE_CHAT) in notice["text"]
        repost_id, repost = (await posts_containing(fake, NEW_CHAT, f"Case {number} (moved"))[0]
        for said in ("my wage is below the minimum", "Staff: We will call the labour office", "cut my overtime"):
            assert said in repost["text"]  # the case's history so far
        topic = repost["message_thread_id"]  # the case got its own topic in the new forum
        assert any(m == "createForumTopic" and int(p["chat_id"]) == NEW_CHAT for _t, m, p in fake.delivered)
        n = len(fake.sent(WORKER))
        # Staff talk among themselves in the new chat; message ids there start again and meet the old post's id.
        fake.staff(NEW_CHAT, "Salaam everyone, this is our new group")
        fake.staff(NEW_CHAT, "Sure, I will come with you", reply_to=old_post)
        fake.staff(NEW_CHAT, "/close", reply_to=old_post)
        fake.staff(CASE_CHAT, "written in the old chat", reply_to=old_post)  # the old chat is no case chat now
        fake.staff(NEW_CHAT, "Written in the case's new topic", thread=topic)
        relayed = (await wait(fake, WORKER, n + 1))[-1]
        assert "Written in the case's new topic" in relayed["text"] and number in relayed["text"]
        fake.staff(NEW_CHAT, "And a reply to the case's new post", reply_to=repost_id)
        again = (await wait(fake, WORKER, n + 2))[-1]
        assert "And a reply to the case's new post" in again["text"]
        fake.staff(NEW_CHAT, "/close", thread=topic)
        closed = (await wait(fake, WORKER, n + 3))[-1]
        assert "closed your case" in closed["text"]
    got = texts(fake.sent(WORKER))
    assert not any("Sure, I will come" in t or "new group" in t or "old chat" in t for t in got)
    assert sum("closed your case" in t for t in got) == 1


async def test_a_new_cases_topic_with_an_old_cases_topic_id_reaches_only_its_own_worker(fake, case_settings):
    fake.forums.add(CASE_CHAT)
    async with running(case_settings):
        first = await open_case(fake, WORKER, "en", "what is the minimum wage", "case in the first forum")
        topic = next(p for _t, m, p in fake.delivered if m == "createForumTopic")
        thread = fake.posts(CASE_CHAT)[0][1]["message_thread_id"]
        fake.staff(CASE_CHAT, "/close", thread=thread)
        await wait(fake, WORKER, len(fake.sent(WORKER)) + 1)
    assert first in topic["name"]
    fake.forums.add(NEW_CHAT)
    fake._thread_ids = itertools.count(thread)  # the new forum numbers its topics from the same start
    async with running(dataclasses.replace(case_settings, case_chat_id=NEW_CHAT)):
        fake.message(OTHER, "/person", lang="en")
        await wait(fake, OTHER, 1)
        fake.message(OTHER, "case in the second forum", lang="en")
        second = NUMBER.search((await wait(fake, OTHER, 2))[-1]["text"]).group(0)
        same = (await posts_containing(fake, NEW_CHAT, f"New case {second}"))[0][1]["message_thread_id"]
        assert same == thread
        n1, n2 = len(fake.sent(WORKER)), len(fake.sent(OTHER))
        fake.staff(NEW_CHAT, "Reply for the second case: bring your appointment letter", thread=same)
        got = (await wait(fake, OTHER, n2 + 1))[-1]
    assert "appointment letter" in got["text"] and second in got["text"]
    assert len(fake.sent(WORKER)) == n1


async def test_a_case_chat_moved_to_a_plain_group_reaches_no_old_case_from_a_reply_to_an_old_message_id(
        fake, case_settings):
    """QA G3 part A: a new plain group (no topics); staff talk there, and a colleague's reply and /close to message
    ids the old post also had reached the old case's worker."""
    async with running(case_settings):
        number = await open_case(fake, WORKER, "en", "what is the minimum wage", "my wage is below the minimum")
        old_post = post_of(fake, number)
    async with running(dataclasses.replace(case_settings, case_chat_id=NEW_CHAT)):
        repost_id, repost = (await posts_containing(fake, NEW_CHAT, f"Case {number} (moved"))[0]
        assert "my wage is below the minimum" in repost["text"]
        n = len(fake.sent(WORKER))
        fake.staff(NEW_CHAT, "Ayesha from Landhi called about her husband, I will visit her tomorrow")
        fake.staff(NEW_CHAT, "Sure, I will come with you", reply_to=old_post)
        fake.staff(NEW_CHAT, "/close", reply_to=old_post)
        fake.staff(NEW_CHAT, "Please bring your payslips", reply_to=repost_id)
        relayed = (await wait(fake, WORKER, n + 1))[-1]
        assert "Please bring your payslips" in relayed["text"] and number in relayed["text"]
        await asyncio.sleep(0.3)
    got = texts(fake.sent(WORKER)[n:])
    assert not any("Sure, I will come" in t or "Landhi" in t or "closed your case" in t for t in got), got

"""The staff chat closes the loop: /gaps with buttons, /addto, /kbfile and uploads, /undo, the weekly digest."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re

from bot.knowledge.check import due_for_review
from bot.staff.yamledit import add_examples
from bot.stores.querylog import QueryLog
from tests.helpers import UTC, WEEK1, Clock, ask
from tests.telegram_harness import STAFF_CHAT, buttons, running, wait

STAFF = STAFF_CHAT
WORKER = 60
SLOW = 60.0  # a change runs the full kb check: seconds on a busy machine


async def says(fake, chat: int, text: str, replies: int = 1, timeout: float = SLOW) -> list[dict]:
    """Send ``text`` in ``chat``; the bot's next ``replies`` messages there."""
    n = len(fake.sent(chat))
    fake.message(chat, text)
    return (await wait(fake, chat, n + replies, timeout))[n:]


async def press(fake, chat: int, data: str) -> dict:
    n = len(fake.sent(chat))
    fake.press(chat, data)
    return (await wait(fake, chat, n + 1, SLOW))[n]


async def upload(fake, chat: int, name: str, content: bytes) -> dict:
    n = len(fake.sent(chat))
    fake.document(chat, name, content)
    return (await wait(fake, chat, n + 1, SLOW))[n]


def knowledge(app):
    return app.bot_data["services"].knowledge


def entertainment(app) -> tuple[str, ...]:
    """The Roman Urdu examples of the out-of-scope group for games and entertainment, as the bot has them loaded."""
    return next(g for g in knowledge(app).kb.out_of_scope if g.id == "everyday-and-entertainment").examples["ur-Latn"]


async def test_gaps_buttons_add_examples_reload_and_undo_puts_the_file_back(fake, settings, kb_copy, gap_log):
    path = kb_copy / "out-of-scope.yaml"
    old = path.read_bytes()
    async with running(settings) as app:
        intro, *offers = await says(fake, STAFF, "/gaps", replies=3)
        assert "the 2 biggest group(s)" in intro["text"]
        assert "experience letter nahi de rahe" in offers[0]["text"]  # most asked first
        cricket = offers[1]
        assert "cricket match kab hai bhai" in cricket["text"]
        assert all(len(data.encode()) <= 64 for offer in offers for _, data in buttons(offer))
        labels = dict(buttons(cricket))
        assert "Skip: nothing to learn" in labels
        assert "cricket match kab hai bhai" not in entertainment(app)

        reply = await press(fake, STAFF, labels["🚫 Not covered (everyday-and-entertainment)"])
        assert "Applied to out-of-scope.yaml" in reply["text"] and "Knowledge base reloaded" in reply["text"]
        assert "- cricket match kab hai bhai  # added" in path.read_text(encoding="utf-8")
        assert "cricket match kab hai bhai" in entertainment(app)  # reloaded

        again = await press(fake, STAFF, labels["🚫 Not covered (everyday-and-entertainment)"])
        assert "out of date" in again["text"]  # a second press changes nothing

        (undone,) = await says(fake, STAFF, "/undo")
        assert "undo of #1" in undone["text"] and "reloaded" in undone["text"]
        assert path.read_bytes() == old
        assert "cricket match kab hai bhai" not in entertainment(app)
    assert fake.errors == []


async def test_addto_finds_an_entry_by_title_and_a_review_failing_kb_check_is_refused_with_file_and_line(
        fake, settings, kb_copy, gap_log):
    path = kb_copy / "entries" / "employment.yaml"
    async with running(settings):
        _, letters, _ = await says(fake, STAFF, "/gaps", replies=3)
        token = re.search(r"/addto (\w+)", letters["text"])[1]
        # Meanwhile someone adds one of the questions to another entry by hand (the bot has not reloaded yet).
        original = path.read_text(encoding="utf-8")
        by_hand = add_examples(original, "appointment-letter", "ur-Latn",
                               ["experience letter nahi de rahe"], dt.date(2026, 11, 28))
        path.write_text(by_hand, encoding="utf-8")

        (found,) = await says(fake, STAFF, f"/addto {token} dismissal")
        choice = dict(buttons(found))["➕ Dismissal and notice"]
        reply = await press(fake, STAFF, choice)
        assert "Refused" in reply["text"]
        assert re.search(r"knowledge/entries/employment\.yaml:\d+: error: example 'experience letter nahi de rahe'",
                         reply["text"]), reply["text"]
        assert path.read_text(encoding="utf-8") == by_hand

        path.write_text(original, encoding="utf-8")  # the hand edit is taken back: the same button now works
        reply = await press(fake, STAFF, choice)
        assert "Applied to entries/employment.yaml" in reply["text"], reply["text"]


async def test_kbfile_sends_the_file_a_broken_upload_is_refused_with_file_and_line_a_good_one_applied_and_undone(
        fake, settings, kb_copy, line_of):
    path = kb_copy / "entries" / "wages.yaml"
    original = path.read_bytes()
    async with running(settings) as app:
        fake.message(STAFF, "/kbfile wages")
        for _ in range(200):
            if fake.documents:
                break
            await asyncio.sleep(0.05)
        (sent,) = fake.documents
        assert (sent["chat_id"], sent["filename"], sent["content"]) == (STAFF, "wages.yaml", original)
        assert "/undo" in sent["caption"]

        broken = original.replace(b"  - id: overtime\n", b"  - id: overtime\n    colour: blue\n", 1)
        reply = await upload(fake, STAFF, "wages.yaml", broken)
        line = broken.decode().splitlines().index("    colour: blue") + 1
        assert f"knowledge/entries/wages.yaml:{line}: error: entry 'overtime': unknown field `colour`" in reply["text"]
        assert path.read_bytes() == original

        many = (kb_copy / "facts.yaml").read_bytes()  # the wrong file under this name: errors by the dozen
        reply = await upload(fake, STAFF, "wages.yaml", many)
        assert reply["text"].startswith("Refused") and len(reply["text"]) <= 4096
        assert path.read_bytes() == original

        reply = await upload(fake, STAFF, "wages.yaml", b"\xff\xfe not text")
        assert "not UTF-8" in reply["text"] and path.read_bytes() == original

        good = original.replace(b"en: The minimum wage in Sindh", b"en: Minimum wage in Sindh", 1)
        reply = await upload(fake, STAFF, "wages (1).yaml", good)  # as a phone names a second download
        assert "Applied to entries/wages.yaml" in reply["text"] and "reloaded" in reply["text"]
        assert path.read_bytes() == good
        assert knowledge(app).kb.entry("minimum-wage-amount").title["en"] == "Minimum wage in Sindh"

        (undone,) = await says(fake, STAFF, "/undo")
        assert "undo of #1" in undone["text"]
        assert path.read_bytes() == original
        assert knowledge(app).kb.entry("minimum-wage-amount").title["en"] == "The minimum wage in Sindh"
        (nothing,) = await says(fake, STAFF, "/undo")
        assert "Nothing to undo" in nothing["text"]


async def test_the_staff_tools_do_nothing_outside_staff_chats(fake, settings, kb_copy, gap_log):
    files = {p: p.read_bytes() for p in kb_copy.rglob("*.yaml")}
    async with running(settings):
        for command in ("/gaps", "/kbfile wages", "/undo", "/addto abc final dues"):
            (reply,) = await says(fake, WORKER, command)
            assert "biggest group" not in reply["text"] and "addto" not in reply["text"]
        await upload(fake, WORKER, "wages.yaml", b"topic: wages\nentries: []\n")
        fake.press(WORKER, "gap:00000000:0")  # forged: buttons only staff chats were sent
        (helped,) = await says(fake, WORKER, "/help")
        assert "out of date" not in helped["text"]
        for forged in ("gap:00000000:0", "gap:", "gap:x:y:z", "gap:" + "9" * 58):
            assert "out of date" in (await press(fake, STAFF, forged))["text"]
    assert not fake.documents
    assert {p: p.read_bytes() for p in kb_copy.rglob("*.yaml")} == files


async def test_the_weekly_digest_reaches_the_staff_chat_at_the_set_hour_with_counts_only(fake, settings):
    log = QueryLog(settings.log_path, clock=(log_clock := Clock()))
    await log.start()
    await ask(log, log_clock, WEEK1, 7, "kam se kam tankhwa", "minimum-wage-amount")
    await ask(log, log_clock, WEEK1, 3, "mera naam Shabana hai, 0300 7654321, factory band ho gayi", None)
    await ask(log, log_clock, WEEK1, 2, "cricket match kab hai bhai", None, first_user=918273645)
    await log.close()

    settings = dataclasses.replace(settings, digest_day="mon", digest_hour=9)
    clock = Clock(dt.datetime(2026, 3, 7, 22, 30, tzinfo=UTC))  # Saturday night
    async with running(settings) as app:
        n = len(fake.sent(STAFF))

        async def sleep(seconds: float) -> None:
            if len(fake.sent(STAFF)) > n:
                await asyncio.Event().wait()  # the digest is out: hold the clock where it was sent
            clock.now += dt.timedelta(seconds=seconds)
            await asyncio.sleep(0.01)

        task = asyncio.create_task(app.bot_data["staff"].run_digest(app, clock, sleep))
        try:
            digest = (await wait(fake, STAFF, n + 1, SLOW))[n]["text"]
            await asyncio.sleep(0.1)
            assert clock.now == dt.datetime(2026, 3, 9, 4, tzinfo=UTC)  # Monday 09:00 in Pakistan (UTC+5)
            due, _ = due_for_review(knowledge(app).kb, clock.now.date())
        finally:
            task.cancel()
    assert "Mon 02 Mar to Sun 08 Mar 2026" in digest
    assert "Questions: 12; answered 7 (58%)" in digest
    assert f"Facts due for review ({len(due)}): {', '.join(due)}." in digest
    for private in ("Shabana", "<name>", "0300", "7654321", "<phone>", "band ho", "cricket", "918273645", "tankhwa"):
        assert private not in digest, private


async def test_a_change_from_the_chat_is_reloaded_once_not_again_by_the_file_watcher(fake, settings, kb_copy):
    await _reloaded_once(fake, settings, kb_copy)


async def test_a_change_logged_slowly_is_still_reloaded_once(fake, settings, kb_copy, monkeypatch):
    """On a busy disk the change's log entry takes a while after the file is written: the watcher, which sees the
    file at once, leaves the reload to the change."""
    import aiosqlite

    commit = aiosqlite.Connection.commit

    async def slow_commit(self):
        await asyncio.sleep(0.5)  # five rounds of the watcher
        return await commit(self)

    monkeypatch.setattr(aiosqlite.Connection, "commit", slow_commit)
    await _reloaded_once(fake, settings, kb_copy)


async def _reloaded_once(fake, settings, kb_copy) -> None:
    path = kb_copy / "entries" / "wages.yaml"
    good = path.read_bytes().replace(b"en: The minimum wage in Sindh", b"en: Minimum wage in Sindh", 1)
    async with running(dataclasses.replace(settings, watch_seconds=0.1)):
        reply = await upload(fake, STAFF, "wages.yaml", good)
        assert "Applied to entries/wages.yaml" in reply["text"]
        n = len(fake.sent(STAFF))
        await asyncio.sleep(1.0)  # ten rounds of the watcher
        assert len(fake.sent(STAFF)) == n
        path.write_bytes(path.read_bytes().replace(b"en: Minimum wage in Sindh", b"en: The minimum wage", 1))
        (by_hand,) = (await wait(fake, STAFF, n + 1, SLOW))[n:]  # an edit by hand is still noticed
        assert "Knowledge base reloaded" in by_hand["text"]


async def test_a_skipped_group_is_not_offered_again(fake, settings, gap_log):
    async with running(settings):
        _, _, cricket = await says(fake, STAFF, "/gaps", replies=3)
        reply = await press(fake, STAFF, dict(buttons(cricket))["Skip: nothing to learn"])
        assert "will not be offered again" in reply["text"]
        intro, letters = await says(fake, STAFF, "/gaps", replies=2)
        assert "the 1 biggest group(s)" in intro["text"] and "experience letter nahi de rahe" in letters["text"]
        await asyncio.sleep(0.3)
        assert "cricket" not in fake.sent(STAFF)[-1]["text"]

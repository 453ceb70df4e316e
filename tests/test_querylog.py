"""The anonymous query log: what is kept, for how long, and that it never stops the bot."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3

import aiosqlite
import pytest

from bot.conversation.dialogue import Conversation
from bot.stores.preferences import Preferences
from bot.stores.querylog import MIGRATIONS, QueryLog
from bot.stores.sqlite import migrate
from tests.helpers import Clock


def rows(path, sql="SELECT * FROM queries ORDER BY id"):
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    return [dict(r) for r in db.execute(sql).fetchall()]


async def until(condition, seconds: float = 10) -> None:
    """Wait for the background writer (it waits up to a second on a lock before it gives up)."""
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def fill_disk(db: aiosqlite.Connection) -> None:
    """Cap the file at its current size and fill the questions table's free space, as a full disk would.

    The filler rows' tokens start with "filler" so that the test can leave them out.
    """
    await db.execute("PRAGMA max_page_count = 1")  # clamps to the current size
    n = 0
    for size in (2000, 200, 20, 1):
        try:
            while True:
                n += 1
                await db.execute(
                    "INSERT INTO queries (token, hour, day, channel, kind, reply_lang, confidence, outcome, text, user_key) "
                    "VALUES (?, '', '', '', '', '', 0, '', ?, '')", (f"filler{n}", "x" * size))
                await db.commit()
        except sqlite3.OperationalError as e:
            assert "full" in str(e)
            await db.rollback()


def record(log: QueryLog, user: int, text: str | None = "tankhwa", **kw) -> str:
    args = dict(channel="telegram", kind="text", detected_lang="ur-Latn", reply_lang="ur", entry_id="overtime",
                confidence=0.9, outcome="answered", text=text)
    args.update(kw)
    return log.record(user=user, **args)


async def test_rows_hold_the_hour_not_the_minute_and_a_daily_key(tmp_path):
    clock = Clock(dt.datetime(2026, 3, 5, 14, 37, tzinfo=dt.timezone.utc))
    log = QueryLog(tmp_path / "q.sqlite3", topic_of=lambda e: "wages", clock=clock)
    await log.start()
    record(log, 1001)
    record(log, 1001)
    record(log, 2002)
    clock.now += dt.timedelta(days=1)
    record(log, 1001)
    await log.close()
    got = rows(tmp_path / "q.sqlite3")
    assert [r["hour"] for r in got[:3]] == ["2026-03-05 14:00"] * 3
    assert got[0]["topic"] == "wages"
    assert got[0]["user_key"] == got[1]["user_key"] != got[2]["user_key"]  # same person, same day: one key
    assert got[3]["user_key"] != got[0]["user_key"]  # next day: cannot be linked
    assert {"1001", "2002"}.isdisjoint({r["user_key"] for r in got})


async def test_feedback_reaches_its_row(tmp_path):
    log = QueryLog(tmp_path / "q.sqlite3")
    await log.start()
    token = record(log, 1)
    record(log, 2)
    log.feedback(token, helpful=False)
    await log.close()
    assert [r["helpful"] for r in rows(tmp_path / "q.sqlite3")] == [0, None]


async def test_text_is_scrubbed_before_it_is_queued(tmp_path):
    log = QueryLog(tmp_path / "q.sqlite3")
    await log.start()
    record(log, 1, text="mera number 0300-1234567 hai, tankhwa nahi mili")
    await log.close()
    assert rows(tmp_path / "q.sqlite3")[0]["text"] == "mera number <phone> hai, tankhwa nahi mili"


async def test_retention_clears_old_text_and_keeps_counts(tmp_path):
    clock = Clock(dt.datetime(2026, 1, 1, 9, tzinfo=dt.timezone.utc))
    log = QueryLog(tmp_path / "q.sqlite3", retention_days=180, clock=clock)
    await log.start()
    record(log, 1, text="old question")
    clock.now = dt.datetime(2026, 8, 1, 9, tzinfo=dt.timezone.utc)
    record(log, 1, text="new question")
    await log.flush()
    assert await log.purge() == 1
    await log.close()
    assert [(r["day"], r["text"]) for r in rows(tmp_path / "q.sqlite3")] == [("2026-01-01", None), ("2026-08-01", "new question")]


async def test_migrations_run_once(tmp_path):
    path = tmp_path / "q.sqlite3"
    for _ in range(2):
        async with aiosqlite.connect(path) as db:
            await migrate(db, MIGRATIONS)
    assert rows(path, "SELECT version FROM schema_version") == [{"version": v} for v in range(1, len(MIGRATIONS) + 1)]


async def test_a_log_made_before_redirects_keeps_its_rows_and_gains_the_group(tmp_path):
    """A database as the code before migration 2 left it: version 1 only, one question in it."""
    path = tmp_path / "q.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(f"CREATE TABLE schema_version (version INTEGER NOT NULL); {MIGRATIONS[0]}"
                         "INSERT INTO schema_version VALUES (1);")
        db.execute("INSERT INTO queries (token, hour, day, channel, kind, reply_lang, confidence, outcome, text, user_key) "
                   "VALUES ('t', '2026-01-01 09:00', '2026-01-01', 'telegram', 'text', 'ur', 0.9, 'answered', 'old', 'k')")
    db.close()
    log = QueryLog(path)
    await log.start()
    record(log, 2, text="new question")
    await log.close()
    assert [(r["text"], r["out_of_scope"]) for r in rows(path)] == [("old", None), ("new question", None)]
    assert rows(path, "SELECT version FROM schema_version") == [{"version": v} for v in range(1, len(MIGRATIONS) + 1)]


@pytest.mark.parametrize("how", ["locked", "read-only", "full"])
async def test_unwritable_database_mid_conversation(tmp_path, store, how, caplog):
    path = tmp_path / "q.sqlite3"
    log = QueryLog(path, flush_seconds=0.05)
    prefs = Preferences(":memory:")
    await prefs.open()
    await log.start()
    conv = Conversation(store, prefs, log=log)
    assert (await conv.text(1, 1, "kam se kam tankhwa"))[0].title
    await log.flush()

    blocker = None
    if how == "locked":  # another program holds the database
        blocker = sqlite3.connect(path, timeout=5)  # waits out a write of the log's own that may be under way
        blocker.execute("BEGIN EXCLUSIVE")
    elif how == "read-only":  # the file cannot be written
        await log._db.execute("PRAGMA query_only = 1")  # noqa: SLF001
    else:  # the disk is full
        await fill_disk(log._db)  # noqa: SLF001

    for question in ["overtime double milta hai", "maternity leave kitni hai", "union kaise banayen"]:
        reply = await conv.text(2, 2, question)
        assert reply[0].title, "the bot must keep answering"
    await until(lambda: log.stats.failures >= 1)
    assert sum("query log cannot write" in r.message for r in caplog.records) == 1  # logged once

    if blocker is not None:
        blocker.rollback()
        blocker.close()
    elif how == "read-only":
        await log._db.execute("PRAGMA query_only = 0")  # noqa: SLF001
    else:
        await log._db.execute("PRAGMA max_page_count = 1073741823")  # noqa: SLF001
    await conv.text(3, 3, "eid ki chutti")
    await log.close()
    await prefs.close()
    kept = [r["entry_id"] for r in rows(path) if not r["token"].startswith("filler")]
    assert kept == ["minimum-wage-amount", "overtime", "maternity-leave", "union-right-to-join", "festival-holidays"]
    assert log.stats.lost == 0


async def test_close_right_after_a_full_batch_writes_everything_and_returns(tmp_path):
    """The bot's shutdown must not hang when the writer has just been woken by a full batch."""
    for attempt in range(20):
        path = tmp_path / f"q{attempt}.sqlite3"
        log = QueryLog(path, batch_size=10)
        await log.start()
        for i in range(25):  # no await in between: the writer is woken but has not run yet
            record(log, i)
        done, _ = await asyncio.wait({asyncio.ensure_future(log.close())}, timeout=10)
        assert done, "close() hung"
        assert len(rows(path)) == 25


async def test_a_restart_keeps_the_days_user_key_and_a_new_day_changes_it(tmp_path):
    """People per day stay right across a restart (F13); the next day cannot be linked to this one."""
    path = tmp_path / "queries.sqlite3"
    clock = Clock(dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone.utc))
    for hour in (9, 15):  # the bot restarts at noon
        clock.now = clock.now.replace(hour=hour)
        log = QueryLog(path, clock=clock)
        await log.start()
        log.record(user=42, channel="telegram", kind="text", detected_lang="en", reply_lang="en", entry_id=None,
                   confidence=0.0, outcome="declined", text="hello")
        await log.close()
    first = path.with_suffix(".daykey").read_bytes()
    clock.now = dt.datetime(2026, 3, 3, 9, tzinfo=dt.timezone.utc)
    log = QueryLog(path, clock=clock)
    await log.start()
    log.record(user=42, channel="telegram", kind="text", detected_lang="en", reply_lang="en", entry_id=None,
               confidence=0.0, outcome="declined", text="hello")
    await log.close()
    keys = [r["user_key"] for r in rows(path)]
    assert keys[0] == keys[1] != keys[2]
    assert path.with_suffix(".daykey").read_bytes() != first  # yesterday's secret is gone
    assert path.with_suffix(".daykey").stat().st_mode & 0o077 == 0


async def test_a_log_from_before_redirects_gains_the_group_column_and_keeps_its_rows(tmp_path):
    path = tmp_path / "q.sqlite3"
    async with aiosqlite.connect(path) as db:  # a log written by the first schema only
        await db.executescript(f"BEGIN; CREATE TABLE schema_version (version INTEGER NOT NULL); {MIGRATIONS[0]} "
                               "INSERT INTO schema_version VALUES (1); COMMIT;")
    log = QueryLog(path)
    await log.start()
    log.record(user=1, channel="telegram", kind="text", detected_lang="ur-Latn", reply_lang="ur", entry_id=None,
               confidence=0.0, outcome="redirected", text="shanakhti card gum ho gaya", out_of_scope="identity-documents")
    await log.close()
    assert [(r["outcome"], r["out_of_scope"]) for r in rows(path)] == [("redirected", "identity-documents")]

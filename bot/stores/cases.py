"""The case store: workers' cases referred to NOWCommunities staff ("Ask a person").

Cases live in their own SQLite file (``cases.sqlite3``), apart from the
anonymous query log, because a case is *not* anonymous to the bot: to relay a
staff member's reply, the bot must know which chat to send it to, so each case
keeps the worker's chat id. Nothing else about the worker is kept: no name,
username or phone number (a worker who shares their contact with staff has it
posted to the case chat, not stored here). The chat id, the case and its
messages are deleted when the worker sends /forget, and a closed case is
deleted ``retention_days`` after it was closed.

Case numbers (``K-4821``) are random, not sequential, so a number says nothing
about how many cases there are, and one case's number does not lead to another.

Messages in the case chat are linked to their case (``case_posts``) so that a
staff member's reply to any of them, or a message in the case's forum topic,
reaches the right worker.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import aiosqlite

from bot.stores.sqlite import connect, migrate

log = logging.getLogger(__name__)

MIGRATIONS: list[str] = [
    # 1: cases, their messages, and the case chat's messages that belong to each case
    """
    CREATE TABLE cases (
        number TEXT PRIMARY KEY,            -- K-4821: random, not sequential
        chat_id TEXT NOT NULL,              -- the worker's chat: needed to relay staff replies; gone on /forget
        lang TEXT NOT NULL,                 -- the language the worker was answered in
        entry_id TEXT,                      -- the entry the bot had matched, if any
        status TEXT NOT NULL,               -- open | closed
        opened TEXT NOT NULL,               -- UTC, ISO 8601
        closed TEXT,
        first_reply TEXT,                   -- when staff first replied (for the report's median)
        thread_id INTEGER                   -- the case's forum topic in the case chat, if the chat has topics
    );
    CREATE INDEX cases_chat ON cases(chat_id);
    CREATE TABLE case_messages (
        id INTEGER PRIMARY KEY,
        number TEXT NOT NULL REFERENCES cases(number) ON DELETE CASCADE,
        at TEXT NOT NULL,
        sender TEXT NOT NULL,               -- worker | staff
        kind TEXT NOT NULL,                 -- text | voice
        body TEXT NOT NULL                  -- the text, or the voice note's Telegram file_id
    );
    CREATE INDEX case_messages_number ON case_messages(number);
    CREATE TABLE case_posts (
        message_id INTEGER PRIMARY KEY,     -- a message in the case chat
        number TEXT NOT NULL REFERENCES cases(number) ON DELETE CASCADE
    );
    """,
    # 2: a case opened or added to by a worker in danger (knowledge/danger.yaml) is urgent; the case chat says so
    """
    ALTER TABLE cases ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;  -- 1: the worker wrote of immediate danger
    """,
]


@dataclass(frozen=True)
class Case:
    number: str
    chat_id: str
    lang: str
    entry_id: str | None
    status: str
    opened: dt.datetime
    closed: dt.datetime | None = None
    thread_id: int | None = None
    urgent: bool = False


def _utc(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _case(row) -> Case:
    return Case(row[0], row[1], row[2], row[3], row[4], _utc(row[5]) or dt.datetime.min, _utc(row[6]), row[7], bool(row[8]))


_COLUMNS = "number, chat_id, lang, entry_id, status, opened, closed, thread_id, urgent"


class CaseStore:
    def __init__(self, path: Path | str, retention_days: int = 90, timeout: float = 2.0,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)):
        self.path = path
        self.retention_days = retention_days
        self.timeout = timeout
        self.clock = clock
        self._db: aiosqlite.Connection | None = None
        self._last_purge_day = ""

    async def open(self) -> None:
        self._db = await connect(self.path, timeout=self.timeout, wal=True)
        await self._db.execute("PRAGMA foreign_keys = ON")
        await self._db.execute("PRAGMA secure_delete = ON")  # a deleted case leaves no bytes behind in the file
        await migrate(self._db, MIGRATIONS)
        await self._daily_purge()

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("the case store is not open")
        return self._db

    def _now(self) -> str:
        return self.clock().isoformat(timespec="seconds")

    # -- cases ----------------------------------------------------------------------------

    async def open_case(self, chat: int | str, lang: str, entry_id: str | None, urgent: bool = False) -> Case:
        """A new open case for the chat, under a random number no other kept case has; ``urgent``: a worker in danger."""
        await self._daily_purge()
        for attempt in range(50):
            digits = 4 if attempt < 20 else 6  # nearly 9,000 four-digit numbers; six digits if they run short
            number = f"K-{secrets.randbelow(9 * 10 ** (digits - 1)) + 10 ** (digits - 1)}"
            try:
                await self.db.execute(
                    "INSERT INTO cases (number, chat_id, lang, entry_id, status, opened, urgent) "
                    "VALUES (?, ?, ?, ?, 'open', ?, ?)",
                    (number, str(chat), lang, entry_id, self._now(), int(urgent)))
            except aiosqlite.IntegrityError:
                continue
            await self.db.commit()
            case = await self.case(number)
            assert case is not None
            return case
        raise RuntimeError("no free case number")

    async def case(self, number: str) -> Case | None:
        row = await (await self.db.execute(f"SELECT {_COLUMNS} FROM cases WHERE number = ?", (number,))).fetchone()
        return _case(row) if row else None

    async def open_case_of(self, chat: int | str) -> Case | None:
        """The chat's open case, if any (a chat has one open case at a time)."""
        row = await (await self.db.execute(
            f"SELECT {_COLUMNS} FROM cases WHERE chat_id = ? AND status = 'open' ORDER BY opened DESC LIMIT 1",
            (str(chat),))).fetchone()
        return _case(row) if row else None

    async def opened_since(self, chat: int | str, since: dt.datetime) -> int:
        """How many cases the chat opened since ``since`` (for the per-chat limit)."""
        row = await (await self.db.execute("SELECT COUNT(*) FROM cases WHERE chat_id = ? AND opened >= ?",
                                           (str(chat), since.isoformat(timespec="seconds")))).fetchone()
        return row[0] if row else 0

    async def open_cases(self) -> list[Case]:
        rows = await (await self.db.execute(f"SELECT {_COLUMNS} FROM cases WHERE status = 'open' ORDER BY opened")).fetchall()
        return [_case(r) for r in rows]

    async def close_case(self, number: str) -> Case | None:
        """Close an open case; the closed case, or None if it was not open."""
        cur = await self.db.execute("UPDATE cases SET status = 'closed', closed = ? WHERE number = ? AND status = 'open'",
                                    (self._now(), number))
        await self.db.commit()
        return await self.case(number) if cur.rowcount else None

    async def mark_urgent(self, number: str) -> Case | None:
        """The worker wrote of immediate danger in an open case: it is urgent from now on."""
        await self.db.execute("UPDATE cases SET urgent = 1 WHERE number = ?", (number,))
        await self.db.commit()
        return await self.case(number)

    async def set_thread(self, number: str, thread_id: int) -> None:
        await self.db.execute("UPDATE cases SET thread_id = ? WHERE number = ?", (thread_id, number))
        await self.db.commit()

    async def add_message(self, number: str, sender: str, kind: str, body: str) -> None:
        await self.db.execute("INSERT INTO case_messages (number, at, sender, kind, body) VALUES (?, ?, ?, ?, ?)",
                              (number, self._now(), sender, kind, body))
        if sender == "staff":
            await self.db.execute("UPDATE cases SET first_reply = ? WHERE number = ? AND first_reply IS NULL",
                                  (self._now(), number))
        await self.db.commit()

    async def messages(self, number: str) -> list[tuple[str, str, str]]:
        """The case's messages in order: (sender, kind, body)."""
        rows = await (await self.db.execute("SELECT sender, kind, body FROM case_messages WHERE number = ? ORDER BY id",
                                            (number,))).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    # -- the case chat's messages ---------------------------------------------------------------

    async def link_post(self, number: str, message_id: int) -> None:
        """Remember that a message in the case chat belongs to the case, so replies to it reach the worker."""
        await self.db.execute("INSERT OR REPLACE INTO case_posts (message_id, number) VALUES (?, ?)", (message_id, number))
        await self.db.commit()

    async def case_of_post(self, message_id: int) -> Case | None:
        row = await (await self.db.execute(
            f"SELECT {', '.join('c.' + c.strip() for c in _COLUMNS.split(','))} FROM case_posts p "
            "JOIN cases c ON c.number = p.number WHERE p.message_id = ?", (message_id,))).fetchone()
        return _case(row) if row else None

    async def case_of_thread(self, thread_id: int) -> Case | None:
        row = await (await self.db.execute(f"SELECT {_COLUMNS} FROM cases WHERE thread_id = ?", (thread_id,))).fetchone()
        return _case(row) if row else None

    # -- deleting ---------------------------------------------------------------------------------

    async def forget(self, chat: int | str) -> list[Case]:
        """Delete every case of the chat at once, open or closed (/forget); returns those that were open."""
        rows = await (await self.db.execute(f"SELECT {_COLUMNS} FROM cases WHERE chat_id = ?", (str(chat),))).fetchall()
        await self.db.execute("DELETE FROM cases WHERE chat_id = ?", (str(chat),))
        await self.db.commit()
        return [c for c in map(_case, rows) if c.status == "open"]

    async def forget_case(self, number: str) -> None:
        """Delete one case and its messages (one staff never received)."""
        await self.db.execute("DELETE FROM cases WHERE number = ?", (number,))
        await self.db.commit()

    async def purge(self) -> int:
        """Delete cases closed more than ``retention_days`` ago, with their messages. Returns how many."""
        cutoff = (self.clock() - dt.timedelta(days=self.retention_days)).isoformat(timespec="seconds")
        cur = await self.db.execute("DELETE FROM cases WHERE status = 'closed' AND closed < ?", (cutoff,))
        await self.db.commit()
        return cur.rowcount

    async def _daily_purge(self) -> None:
        today = self.clock().strftime("%Y-%m-%d")
        if today != self._last_purge_day:
            self._last_purge_day = today
            purged = await self.purge()
            if purged:
                log.info("case store: %d closed case(s) past retention deleted", purged)

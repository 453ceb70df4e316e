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
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import aiosqlite

from bot.stores.preferences import key_file, read_or_create_key
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
    # 2: every case chat message and forum topic is kept with the chat it is in (a case chat can move to a new
    # group, whose message and topic ids start again); messages record whether they reached the other side yet;
    # the chat the bot last used as its case chat. Rows from before have the chat '' until the next start names it.
    """
    CREATE TABLE case_posts_by_chat (
        chat_id TEXT NOT NULL,              -- the case chat the message is in
        message_id INTEGER NOT NULL,
        number TEXT NOT NULL REFERENCES cases(number) ON DELETE CASCADE,
        PRIMARY KEY (chat_id, message_id)
    );
    INSERT INTO case_posts_by_chat (chat_id, message_id, number) SELECT '', message_id, number FROM case_posts;
    DROP TABLE case_posts;
    ALTER TABLE case_posts_by_chat RENAME TO case_posts;
    CREATE INDEX case_posts_number ON case_posts(number);
    ALTER TABLE cases ADD COLUMN thread_chat TEXT;  -- the case chat thread_id is a topic of
    UPDATE cases SET thread_chat = '' WHERE thread_id IS NOT NULL;
    ALTER TABLE case_messages ADD COLUMN delivered INTEGER NOT NULL DEFAULT 1;  -- 0 until staff (or the worker) got it
    CREATE TABLE case_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE gone_posts (               -- case chat messages and topics of deleted cases: staff who answer one are
        chat_id TEXT NOT NULL,              -- told why nobody gets it. No case number, worker or text is kept.
        kind TEXT NOT NULL,                 -- post | topic
        ref INTEGER NOT NULL,               -- the message id, or the topic's thread id
        reason TEXT NOT NULL,               -- forgotten (/forget) | expired (retention) | undelivered
        at TEXT NOT NULL,
        PRIMARY KEY (chat_id, kind, ref)
    );
    """,
    # 3: cases opened per chat and hour, under a keyed code of the chat (not its id), so the daily limit outlives
    # /forget without keeping the deleted cases; rows go after two days. When staff were asked to close a case.
    """
    CREATE TABLE case_counts (
        chat_key TEXT NOT NULL,             -- HMAC of the chat id, with the key in cases.key beside this file
        hour TEXT NOT NULL,                 -- UTC, 2026-12-04T16
        opened INTEGER NOT NULL,
        PRIMARY KEY (chat_key, hour)
    );
    ALTER TABLE cases ADD COLUMN reminded TEXT;  -- when staff were asked to answer and close it (open too long)
    CREATE TABLE case_waiting (             -- "Type your message now": the bot waits for a case message, for 30
        chat_key TEXT PRIMARY KEY,          -- minutes, across a restart; under the same keyed code of the chat
        lang TEXT NOT NULL,
        entry_id TEXT,
        until TEXT NOT NULL
    );
    """,
    # 4: staff replies a channel could not deliver yet (WhatsApp, after Meta's 24-hour window): sent when the
    # worker next writes; and whether the worker agreed to one short notice then. Both deleted with their case.
    """
    CREATE TABLE pending_replies (
        id INTEGER PRIMARY KEY,
        number TEXT NOT NULL REFERENCES cases(number) ON DELETE CASCADE,
        at TEXT NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX pending_replies_number ON pending_replies(number);
    CREATE TABLE case_followups (
        number TEXT PRIMARY KEY REFERENCES cases(number) ON DELETE CASCADE,
        ok INTEGER NOT NULL                 -- 1: the worker agreed to a notice after 24 hours (opt-in), 0: declined
    );
    """,
    # 5: a case opened or added to by a worker in danger (knowledge/danger.yaml) is urgent; the case chat says so
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
    thread_chat: str | None = None  # the case chat whose topic thread_id is
    urgent: bool = False  # the worker wrote of immediate danger

    def thread_in(self, chat: int | str) -> int | None:
        """The case's topic in the case chat ``chat``; None if it has none there (a topic of an earlier chat)."""
        return self.thread_id if self.thread_id is not None and self.thread_chat == str(chat) else None


def _utc(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _case(row) -> Case:
    return Case(row[0], row[1], row[2], row[3], row[4], _utc(row[5]) or dt.datetime.min, _utc(row[6]), row[7], row[8],
                bool(row[9]))


_COLUMNS = "number, chat_id, lang, entry_id, status, opened, closed, thread_id, thread_chat, urgent"


class CaseStore:
    def __init__(self, path: Path | str, retention_days: int = 90, timeout: float = 2.0,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)):
        self.path = path
        self.retention_days = retention_days
        self.timeout = timeout
        self.clock = clock
        self._db: aiosqlite.Connection | None = None
        self._last_purge_day = ""
        self._secret = b""

    async def open(self) -> None:
        self._db = await connect(self.path, timeout=self.timeout, wal=True)
        self._secret = (read_or_create_key(key_file(self.path), None) if isinstance(self.path, Path)
                        else secrets.token_bytes(32))
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
            await self.db.execute("INSERT INTO case_counts (chat_key, hour, opened) VALUES (?, ?, 1) "
                                  "ON CONFLICT(chat_key, hour) DO UPDATE SET opened = opened + 1",
                                  (self._chat_key(chat), self.clock().strftime("%Y-%m-%dT%H")))
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

    async def latest_case_of(self, chat: int | str) -> Case | None:
        """The chat's most recent case, open or closed (its language is the worker's)."""
        row = await (await self.db.execute(
            f"SELECT {_COLUMNS} FROM cases WHERE chat_id = ? ORDER BY opened DESC LIMIT 1", (str(chat),))).fetchone()
        return _case(row) if row else None

    async def opened_since(self, chat: int | str, since: dt.datetime) -> int:
        """How many cases the chat opened since the hour of ``since`` (for the per-chat limit), deleted ones too."""
        row = await (await self.db.execute("SELECT SUM(opened) FROM case_counts WHERE chat_key = ? AND hour >= ?",
                                           (self._chat_key(chat), since.strftime("%Y-%m-%dT%H")))).fetchone()
        return (row[0] if row else 0) or 0

    def _chat_key(self, chat: int | str) -> str:
        return hmac.new(self._secret, str(chat).encode(), hashlib.sha256).hexdigest()

    async def wait_for_message(self, chat: int | str, lang: str, entry_id: str | None, until: dt.datetime) -> None:
        """The bot asked the chat for its case message: remembered until ``until``, across restarts."""
        await self.db.execute("INSERT OR REPLACE INTO case_waiting (chat_key, lang, entry_id, until) VALUES (?, ?, ?, ?)",
                              (self._chat_key(chat), lang, entry_id, until.isoformat(timespec="seconds")))
        await self.db.commit()

    async def waiting_for(self, chat: int | str) -> tuple[str, str | None] | None:
        """(language, entry id) if the bot is waiting for the chat's case message; forgotten once asked."""
        key = self._chat_key(chat)
        row = await (await self.db.execute("SELECT lang, entry_id, until FROM case_waiting WHERE chat_key = ?",
                                           (key,))).fetchone()
        if row is None:
            return None
        await self.stop_waiting(chat)
        return (row[0], row[1]) if row[2] > self._now() else None

    async def stop_waiting(self, chat: int | str) -> None:
        await self.db.execute("DELETE FROM case_waiting WHERE chat_key = ?", (self._chat_key(chat),))
        await self.db.execute("DELETE FROM case_waiting WHERE until < ?", (self._now(),))
        await self.db.commit()

    async def open_too_long(self, days: int) -> list[Case]:
        """Open cases opened more than ``days`` ago that staff were not yet asked about; marked as asked now."""
        cutoff = (self.clock() - dt.timedelta(days=days)).isoformat(timespec="seconds")
        rows = await (await self.db.execute(
            f"SELECT {_COLUMNS} FROM cases WHERE status = 'open' AND opened < ? AND reminded IS NULL ORDER BY opened",
            (cutoff,))).fetchall()
        await self.db.executemany("UPDATE cases SET reminded = ? WHERE number = ?", [(self._now(), r[0]) for r in rows])
        await self.db.commit()
        return [_case(r) for r in rows]

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

    async def set_thread(self, number: str, chat: int | str, thread_id: int) -> None:
        """The case's forum topic: ``thread_id`` in the case chat ``chat``."""
        await self.db.execute("UPDATE cases SET thread_id = ?, thread_chat = ? WHERE number = ?",
                              (thread_id, str(chat), number))
        await self.db.commit()

    async def add_message(self, number: str, sender: str, kind: str, body: str, delivered: bool = True) -> int:
        """Keep a message of the case; its id. ``delivered=False`` until it reaches the other side (:meth:`delivered`)."""
        cur = await self.db.execute(
            "INSERT INTO case_messages (number, at, sender, kind, body, delivered) VALUES (?, ?, ?, ?, ?, ?)",
            (number, self._now(), sender, kind, body, int(delivered)))
        if sender == "staff" and delivered:
            await self.db.execute("UPDATE cases SET first_reply = ? WHERE number = ? AND first_reply IS NULL",
                                  (self._now(), number))
        await self.db.commit()
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def delivered(self, message: int) -> None:
        """The message reached the case chat (a worker's) or the worker (a staff member's)."""
        await self.db.execute("UPDATE case_messages SET delivered = 1 WHERE id = ?", (message,))
        await self.db.execute("UPDATE cases SET first_reply = ? WHERE first_reply IS NULL AND number = "
                              "(SELECT number FROM case_messages WHERE id = ? AND sender = 'staff')",
                              (self._now(), message))
        await self.db.commit()

    async def replace_file(self, number: str, old: str, new: str) -> None:
        """A file of the case now known by another id (a WhatsApp worker's file, once posted to the case chat)."""
        await self.db.execute("UPDATE case_messages SET body = ? WHERE number = ? AND body = ? AND kind != 'text'",
                              (new, number, old))
        await self.db.commit()

    async def messages(self, number: str) -> list[tuple[str, str, str]]:
        """The case's messages in order: (sender, kind, body)."""
        rows = await (await self.db.execute("SELECT sender, kind, body FROM case_messages WHERE number = ? ORDER BY id",
                                            (number,))).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    async def add_pending(self, number: str, body: str) -> None:
        """A staff reply kept until the worker can be reached (see ``pending_replies`` above)."""
        await self.db.execute("INSERT INTO pending_replies (number, at, body) VALUES (?, ?, ?)",
                              (number, self._now(), body))
        await self.db.commit()

    async def has_pending(self, number: str) -> bool:
        row = await (await self.db.execute("SELECT 1 FROM pending_replies WHERE number = ? LIMIT 1", (number,))).fetchone()
        return row is not None

    async def set_followup(self, number: str, ok: bool) -> None:
        """The worker's answer to "may we send you a notice after 24 hours?" (their opt-in, or not)."""
        await self.db.execute("INSERT OR REPLACE INTO case_followups (number, ok) VALUES (?, ?)", (number, int(ok)))
        await self.db.commit()

    async def followup_ok(self, number: str) -> bool:
        row = await (await self.db.execute("SELECT ok FROM case_followups WHERE number = ?", (number,))).fetchone()
        return bool(row and row[0])

    async def take_pending(self, chat: int | str) -> list[tuple[str, str]]:
        """The chat's kept staff replies, oldest first, as (case number, text), removed from the store."""
        rows = await (await self.db.execute(
            "SELECT p.id, p.number, p.body FROM pending_replies p JOIN cases c ON c.number = p.number "
            "WHERE c.chat_id = ? ORDER BY p.id", (str(chat),))).fetchall()
        if rows:
            await self.db.executemany("DELETE FROM pending_replies WHERE id = ?", [(r[0],) for r in rows])
            await self.db.commit()
        return [(r[1], r[2]) for r in rows]

    async def undelivered(self, sender: str) -> list[tuple[int, str, str, str]]:
        """Messages of open cases from ``sender`` that never reached the other side (a restart cut them off):
        (id, case number, kind, body), oldest first."""
        rows = await (await self.db.execute(
            "SELECT m.id, m.number, m.kind, m.body FROM case_messages m JOIN cases c ON c.number = m.number "
            "WHERE m.sender = ? AND m.delivered = 0 AND c.status = 'open' ORDER BY m.id", (sender,))).fetchall()
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    # -- the case chat's messages ---------------------------------------------------------------

    async def link_post(self, number: str, chat: int | str, message_id: int) -> None:
        """Remember that message ``message_id`` of the case chat ``chat`` belongs to the case, so replies to it reach
        the worker. Message ids are per chat: the same id in another chat is another message. A case the worker
        deleted with /forget while its post was on its way is not linked: the post is remembered as gone, so staff
        who answer it are told the worker deleted the case."""
        cur = await self.db.execute("INSERT OR REPLACE INTO case_posts (chat_id, message_id, number) "
                                    "SELECT ?, ?, number FROM cases WHERE number = ?", (str(chat), message_id, number))
        if not cur.rowcount:
            await self.db.execute("INSERT OR REPLACE INTO gone_posts (chat_id, kind, ref, reason, at) "
                                  "VALUES (?, 'post', ?, 'forgotten', ?)", (str(chat), message_id, self._now()))
        await self.db.commit()

    async def case_of_post(self, chat: int | str, message_id: int) -> Case | None:
        row = await (await self.db.execute(
            f"SELECT {', '.join('c.' + c.strip() for c in _COLUMNS.split(','))} FROM case_posts p "
            "JOIN cases c ON c.number = p.number WHERE p.chat_id = ? AND p.message_id = ?",
            (str(chat), message_id))).fetchone()
        return _case(row) if row else None

    async def case_of_thread(self, chat: int | str, thread_id: int) -> Case | None:
        row = await (await self.db.execute(f"SELECT {_COLUMNS} FROM cases WHERE thread_chat = ? AND thread_id = ?",
                                           (str(chat), thread_id))).fetchone()
        return _case(row) if row else None

    async def posted_in(self, number: str, chat: int | str) -> bool:
        """Whether any message of the case is in the case chat ``chat``."""
        row = await (await self.db.execute("SELECT 1 FROM case_posts WHERE number = ? AND chat_id = ? LIMIT 1",
                                           (number, str(chat)))).fetchone()
        return row is not None

    async def use_case_chat(self, chat: int | str) -> str | None:
        """The bot now posts cases to ``chat``: the case chat it used before, if that was another one (a move).

        Posts and topics kept before chats were recorded (chat '') are taken to be in the chat used now: at the
        first start after that upgrade, the case chat is the one it was.
        """
        row = await (await self.db.execute("SELECT value FROM case_meta WHERE key = 'case_chat'")).fetchone()
        before = row[0] if row else None
        await self.db.execute("UPDATE case_posts SET chat_id = ? WHERE chat_id = ''", (before or str(chat),))
        await self.db.execute("UPDATE cases SET thread_chat = ? WHERE thread_chat = ''", (before or str(chat),))
        await self.db.execute("INSERT OR REPLACE INTO case_meta (key, value) VALUES ('case_chat', ?)", (str(chat),))
        await self.db.commit()
        return before if before is not None and before != str(chat) else None

    # -- deleting ---------------------------------------------------------------------------------

    async def forget(self, chat: int | str) -> list[Case]:
        """Delete every case of the chat at once, open or closed (/forget); returns those that were open."""
        rows = await (await self.db.execute(f"SELECT {_COLUMNS} FROM cases WHERE chat_id = ?", (str(chat),))).fetchall()
        await self.db.execute("DELETE FROM case_waiting WHERE chat_key = ?", (self._chat_key(chat),))
        await self._delete("chat_id = ?", (str(chat),), "forgotten")
        return [c for c in map(_case, rows) if c.status == "open"]

    async def forget_case(self, number: str, reason: str = "undelivered") -> None:
        """Delete one case and its messages (one staff never received whole)."""
        await self._delete("number = ?", (number,), reason)

    async def purge(self) -> int:
        """Delete cases closed more than ``retention_days`` ago, with their messages. Returns how many."""
        cutoff = (self.clock() - dt.timedelta(days=self.retention_days)).isoformat(timespec="seconds")
        deleted = await self._delete("status = 'closed' AND closed < ?", (cutoff,), "expired")
        await self.db.execute("DELETE FROM gone_posts WHERE at < ?", (cutoff,))
        await self.db.execute("DELETE FROM case_counts WHERE hour < ?",
                              ((self.clock() - dt.timedelta(days=2)).strftime("%Y-%m-%dT%H"),))
        await self.db.commit()
        return deleted

    async def gone(self, chat: int | str, kind: str, ref: int) -> str | None:
        """Why the case of this case chat message (``post``) or topic (``topic``) was deleted, if it was."""
        row = await (await self.db.execute("SELECT reason FROM gone_posts WHERE chat_id = ? AND kind = ? AND ref = ?",
                                           (str(chat), kind, ref))).fetchone()
        return row[0] if row else None

    async def _delete(self, where: str, args: tuple, reason: str) -> int:
        """Delete the cases ``where`` says, remembering only that their posts and topics are gone, and why; then the
        write-ahead log is folded into the file and emptied, so no deleted text stays on disk in it."""
        now = self._now()
        await self.db.execute(
            "INSERT OR REPLACE INTO gone_posts (chat_id, kind, ref, reason, at) SELECT p.chat_id, 'post', p.message_id, "
            f"?, ? FROM case_posts p WHERE p.number IN (SELECT number FROM cases WHERE {where})",
            (reason, now, *args))
        await self.db.execute(
            "INSERT OR REPLACE INTO gone_posts (chat_id, kind, ref, reason, at) SELECT thread_chat, 'topic', thread_id, "
            f"?, ? FROM cases WHERE thread_id IS NOT NULL AND {where}", (reason, now, *args))
        cur = await self.db.execute(f"DELETE FROM cases WHERE {where}", args)
        await self.db.commit()
        if cur.rowcount:
            await self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return cur.rowcount

    async def daily_purge(self) -> None:
        """The purge, once a UTC day (the bot calls this every hour, and with each new case)."""
        await self._daily_purge()

    async def _daily_purge(self) -> None:
        today = self.clock().strftime("%Y-%m-%d")
        if today != self._last_purge_day:
            self._last_purge_day = today
            purged = await self.purge()
            if purged:
                log.info("case store: %d closed case(s) past retention deleted", purged)

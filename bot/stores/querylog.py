"""The anonymous query log: what workers ask, as evidence for advocacy.

One row per question the bot handles (typed or chosen from the menu):
the hour it was asked, language form, reply language, channel, the entry
answered (or none), confidence, outcome, later feedback, a scrubbed copy of the
text, and a daily user key. Never a Telegram id, chat id, name, username or
phone number.

The daily user key is an HMAC of the user id with a random secret of that day
(UTC), so "people per day" can be counted but nobody can be followed from one
day to the next, and the id cannot be recovered from the database. The day's
secret is kept in ``queries.daykey`` beside the database (readable by its owner
only, never inside the database) so that a restart does not count everyone
twice; the file is overwritten with a new secret when the day changes.

Writing never delays a reply: :meth:`QueryLog.record` only queues the row; a
background task writes queued rows in batches. If the database is locked, full
or unwritable, rows wait in memory (up to a cap) and are written when it works
again; past the cap the oldest are dropped and counted, and the failure is
logged once.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import aiosqlite

from bot.stores.scrub import scrub
from bot.stores.sqlite import connect, migrate

log = logging.getLogger(__name__)

MIGRATIONS: list[str] = [
    # 1: the questions table
    """
    CREATE TABLE queries (
        id INTEGER PRIMARY KEY,
        token TEXT UNIQUE NOT NULL,          -- random; links later feedback to the row, nothing else
        hour TEXT NOT NULL,                  -- UTC, 'YYYY-MM-DD HH:00'
        day TEXT NOT NULL,                   -- UTC, 'YYYY-MM-DD'
        channel TEXT NOT NULL,               -- telegram | terminal
        kind TEXT NOT NULL,                  -- text (typed) | menu (chosen from the menu)
        lang_form TEXT,                      -- en | ur | sd | ur-Latn | NULL (menu, or no letters)
        reply_lang TEXT NOT NULL,            -- en | ur | sd
        entry_id TEXT,                       -- NULL when declined
        topic TEXT,
        confidence REAL NOT NULL,
        outcome TEXT NOT NULL,               -- answered | suggested | declined (| redirected | smalltalk, from 2)
        helpful INTEGER,                     -- 1 yes, 0 no, NULL not rated
        text TEXT,                           -- scrubbed; NULL for menu choices and after the retention period
        user_key TEXT NOT NULL               -- HMAC of the user id with a secret of that day only
    );
    CREATE INDEX queries_day ON queries(day);
    """,
    # 2: what a redirected question was about; outcome gains redirected and smalltalk
    """
    ALTER TABLE queries ADD COLUMN out_of_scope TEXT;  -- the out-of-scope group of a redirected question
    """,
    # 3: that a case was opened ("Ask a person"): when, in which language, about which topic. Never its number,
    # its text or who opened it: those are in the case store only (bot/stores/cases.py).
    """
    CREATE TABLE case_events (
        hour TEXT NOT NULL,                  -- UTC, 'YYYY-MM-DD HH:00'
        day TEXT NOT NULL,
        topic TEXT,                          -- of the entry the bot had matched; NULL if none
        lang TEXT NOT NULL                   -- en | ur | sd
    );
    """,
    # 4: a message from a worker in immediate danger: outcome 'danger' and its kind (knowledge/danger.yaml). Its
    # text is never kept (NULL), whatever the scrubber would keep; only that it happened, when and in which language.
    """
    ALTER TABLE queries ADD COLUMN danger TEXT;  -- the kind of danger; NULL for every other message
    """,
]

_INSERT = (
    "INSERT OR IGNORE INTO queries (token, hour, day, channel, kind, lang_form, reply_lang, entry_id, topic, confidence, "
    "outcome, out_of_scope, danger, text, user_key) VALUES (:token, :hour, :day, :channel, :kind, :lang_form, "
    ":reply_lang, :entry_id, :topic, :confidence, :outcome, :out_of_scope, :danger, :text, :user_key)"
)


@dataclass
class LogStats:
    written: int = 0
    lost: int = 0
    failures: int = 0


class QueryLog:
    def __init__(
        self,
        path: Path | str,
        topic_of: Callable[[str], str | None] = lambda entry_id: None,
        retention_days: int = 180,
        flush_seconds: float = 0.5,
        batch_size: int = 2_000,
        max_pending: int = 50_000,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc),
    ):
        self.path = path
        self.topic_of = topic_of
        self.retention_days = retention_days
        self.flush_seconds = flush_seconds
        self.batch_size = batch_size
        self.max_pending = max_pending
        self._wake = asyncio.Event()
        self.clock = clock
        self.stats = LogStats()
        self._rows: list[dict] = []
        self._feedback: list[tuple[int, str]] = []
        self._cases: list[tuple[str, str, str | None, str]] = []
        self._db: aiosqlite.Connection | None = None
        self._task: asyncio.Task | None = None
        self._secret_day = ""
        self._secret = b""
        self._failing = False
        self._closing = False
        self._last_purge_day = ""

    # -- recording (synchronous, never blocks) -----------------------------------------

    def record(self, *, user: int | str, channel: str, kind: str, detected_lang: str | None, reply_lang: str,
               entry_id: str | None, confidence: float, outcome: str, text: str | None,
               out_of_scope: str | None = None, names: tuple[str, ...] = (), danger: str | None = None) -> str:
        """Queue one question; ``names`` are the sender's own names, removed from the text wherever they appear.

        A message from a worker in danger (``danger``: its kind) is counted, but its text is never kept.
        """
        now = self.clock()
        token = secrets.token_hex(6)
        self._rows.append({
            "token": token,
            "hour": now.strftime("%Y-%m-%d %H:00"),
            "day": now.strftime("%Y-%m-%d"),
            "channel": channel,
            "kind": kind,
            "lang_form": detected_lang,
            "reply_lang": reply_lang,
            "entry_id": entry_id,
            "topic": self.topic_of(entry_id) if entry_id else None,
            "confidence": round(float(confidence), 4),
            "outcome": outcome,
            "out_of_scope": out_of_scope,
            "danger": danger,
            "text": scrub(text, names)[:1000] if text and danger is None and outcome != "danger" else None,
            "user_key": self._user_key(user, now),
        })
        if len(self._rows) >= self.batch_size:
            self._wake.set()  # a full batch is written at once, not at the next tick
        self._cap()
        return token

    def feedback(self, token: str, helpful: bool) -> None:
        self._feedback.append((1 if helpful else 0, token))

    def case_opened(self, *, topic: str | None, lang: str) -> None:
        """Queue that a case was opened: the hour, topic and language only."""
        now = self.clock()
        self._cases.append((now.strftime("%Y-%m-%d %H:00"), now.strftime("%Y-%m-%d"), topic, lang))

    def _user_key(self, user: int | str, now: dt.datetime) -> str:
        day = now.strftime("%Y-%m-%d")
        if day != self._secret_day:
            self._secret_day, self._secret = day, self._day_secret(day)
        return hmac.new(self._secret, str(user).encode(), hashlib.sha256).hexdigest()[:16]

    def _day_secret(self, day: str) -> bytes:
        """Today's secret from the day-key file if it is today's; else a new one, which replaces it there."""
        if not isinstance(self.path, Path):
            return secrets.token_bytes(32)
        path = self.path.with_suffix(".daykey")
        try:
            kept_day, _sep, kept = path.read_text(encoding="ascii").strip().partition(" ")
            if kept_day == day:
                return base64.urlsafe_b64decode(kept)
        except (OSError, ValueError):  # none yet, or unreadable: start a new day
            pass
        secret = secrets.token_bytes(32)
        tmp = path.with_suffix(".daykey.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(f"{day} {base64.urlsafe_b64encode(secret).decode()}\n")
            os.replace(tmp, path)
        except OSError as e:  # a read-only data dir: count today in memory; a restart would count people again
            log.warning("could not keep today's user-key secret in %s (%s)", path, e)
        return secret

    def _cap(self) -> None:
        excess = len(self._rows) - self.max_pending
        if excess > 0:
            del self._rows[:excess]
            self.stats.lost += excess

    # -- writing -----------------------------------------------------------------------

    async def start(self) -> None:
        await self._connect()
        self._task = asyncio.create_task(self._writer(), name="query-log-writer")

    async def _connect(self) -> None:
        try:
            # No WAL here: researchers open the log read-only (``?mode=ro``), which a WAL file does not always allow.
            self._db = await connect(self.path, timeout=1)
            await migrate(self._db, MIGRATIONS)
        except Exception as e:  # noqa: BLE001 - the bot answers even without its log
            self._failed(e)
            if self._db is not None:
                await self._db.close()
            self._db = None

    async def _writer(self) -> None:
        while not self._closing:
            try:
                await asyncio.wait_for(self._wake.wait(), self.flush_seconds)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            await self.flush()
            await self._daily_purge()

    async def flush(self) -> None:
        """Write what is queued. On failure the rows stay queued for the next try."""
        if not self._rows and not self._feedback and not self._cases:
            return
        if self._db is None:
            await self._connect()
            if self._db is None:
                return
        rows, feedback, cases = self._rows, self._feedback, self._cases
        self._rows, self._feedback, self._cases = [], [], []
        try:
            await self._db.executemany(_INSERT, rows)
            await self._db.executemany("UPDATE queries SET helpful = ? WHERE token = ?", feedback)
            await self._db.executemany("INSERT INTO case_events (hour, day, topic, lang) VALUES (?, ?, ?, ?)", cases)
            await self._db.commit()
        except Exception as e:  # noqa: BLE001
            try:
                await self._db.rollback()
            except Exception:  # noqa: BLE001
                pass
            self._rows[:0], self._feedback[:0], self._cases[:0] = rows, feedback, cases
            self._cap()
            self._failed(e)
            return
        self.stats.written += len(rows)
        if self._failing:
            log.warning("query log writes again (%d rows lost while it could not)", self.stats.lost)
        self._failing = False

    def _failed(self, e: Exception) -> None:
        self.stats.failures += 1
        if not self._failing:
            log.error("query log cannot write (%s); rows wait in memory, up to %d", e, self.max_pending)
        self._failing = True

    async def _daily_purge(self) -> None:
        today = self.clock().strftime("%Y-%m-%d")
        if today != self._last_purge_day:
            self._last_purge_day = today
            try:
                await self.purge()
            except Exception as e:  # noqa: BLE001
                self._failed(e)

    async def purge(self) -> int:
        """Delete scrubbed text older than the retention period; the counts stay. Returns rows cleared."""
        if self._db is None:
            return 0
        cutoff = (self.clock() - dt.timedelta(days=self.retention_days)).strftime("%Y-%m-%d")
        cur = await self._db.execute("UPDATE queries SET text = NULL WHERE day < ? AND text IS NOT NULL", (cutoff,))
        await self._db.commit()
        return cur.rowcount

    async def close(self) -> None:
        """Stop the writer and flush the queue (on shutdown)."""
        if self._task is not None:
            # Ask the writer to finish its round rather than cancel it: a cancel that lands as its
            # wait ends can be swallowed by asyncio.wait_for (Python 3.11), and the writer never stops.
            self._closing = True
            self._wake.set()
            await self._task
            self._task = None
        await self.flush()
        if self._rows:
            self.stats.lost += len(self._rows)
            log.error("query log: %d rows could not be written before shutdown", len(self._rows))
            self._rows.clear()
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def today(self) -> dict[str, int]:
        """Today's counts (UTC), including rows still queued."""
        await self.flush()
        day = self.clock().strftime("%Y-%m-%d")
        counts = {"questions": 0, "answered": 0, "suggested": 0, "declined": 0, "people": 0, "helpful": 0, "not_helpful": 0}
        if self._db is None:
            return counts
        row = await (await self._db.execute(
            "SELECT COUNT(*), SUM(outcome='answered'), SUM(outcome='suggested'), SUM(outcome='declined'), "
            "COUNT(DISTINCT user_key), SUM(helpful=1), SUM(helpful=0) FROM queries WHERE day = ?", (day,))).fetchone()
        return dict(zip(counts, (v or 0 for v in row)))

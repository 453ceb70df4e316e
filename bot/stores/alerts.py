"""Who asked to be told when a fact changes, and the alerts staff send them, in their own SQLite file.

A subscription is (channel, chat, fact, form). It holds the chat id *as the channel gives it* because an alert
is a message the bot starts: unlike every other store, there is no incoming message to answer, so without the
chat id there would be no one to send to. The form (en, ur, sd, ur-Latn) is the one the worker asked in, so the
alert is written in words they read. Nothing else about the worker is kept: no name, number, question or time
of day. ``/forget`` and ``/alerts`` delete subscriptions; a chat that blocked the bot is removed when an alert
meets the block.

An alert is the broadcast of one knowledge change: the facts that changed, the text in each form (what staff saw
in the preview), its state (``offered`` until staff press Send or Cancel, then ``sending``, ``done`` or
``cancelled``) and, once done, only its counts. Its outbox holds one row per recipient, made when staff press Send
and deleted when the alert is done; a row is ``claimed`` before its message goes out and marked ``sent``,
``failed`` or ``removed`` (blocked) after, so a restart resumes with the rows still ``waiting`` and nothing goes
out twice. A row still ``claimed`` at a restart (the process died mid-send, so whether it went out is unknown) is
counted as failed rather than sent again.

``limited`` keeps, for a channel with a daily limit (WhatsApp's messaging limit), the time of each alert message
sent in the last day and nothing else, so the limit holds across a restart.

For research, the ``weekly`` table counts new subscriptions per fact per week (by its Monday): counts only, no
chat; done alerts keep their facts, day and counts (``main.py report``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import aiosqlite

from bot.stores.sqlite import connect, migrate

MIGRATIONS: list[str] = [
    """
    CREATE TABLE subscription (
        channel TEXT NOT NULL,  -- telegram, whatsapp...
        chat TEXT NOT NULL,     -- the chat id as the channel gives it: needed to send the alert
        fact TEXT NOT NULL,
        lang TEXT NOT NULL,     -- the form the alert is written in
        PRIMARY KEY (channel, chat, fact)
    );
    CREATE INDEX subscription_fact ON subscription (fact);
    CREATE TABLE weekly (week TEXT NOT NULL, fact TEXT NOT NULL, subscribed INTEGER NOT NULL,
                         PRIMARY KEY (week, fact));  -- counts only
    CREATE TABLE alert (
        id INTEGER PRIMARY KEY,
        facts TEXT NOT NULL,    -- fact ids, comma-separated
        texts TEXT NOT NULL,    -- JSON: form -> the message
        state TEXT NOT NULL DEFAULT 'offered',
        created TEXT NOT NULL DEFAULT (date('now')),
        finished TEXT,
        sent INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0,
        removed INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE outbox (
        alert INTEGER NOT NULL,
        channel TEXT NOT NULL,
        chat TEXT NOT NULL,     -- deleted with the row when the alert is done
        lang TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'waiting',  -- waiting, claimed, sent, failed, removed
        PRIMARY KEY (alert, channel, chat)
    );
    CREATE INDEX outbox_waiting ON outbox (alert, state);
    """,
    """
    CREATE TABLE limited (
        channel TEXT NOT NULL,  -- a channel with a daily limit on messages the bot starts (WhatsApp)
        at REAL NOT NULL        -- when one alert message went out (Unix time); no chat: only a count over a day
    );
    CREATE INDEX limited_at ON limited (channel, at);
    """,
]

DONE_STATES = ("sent", "failed", "removed")


@dataclass(frozen=True)
class Alert:
    """A message about changed facts, in every form: its state and how many chats it reached, failed or lost."""

    id: int
    facts: tuple[str, ...]
    texts: dict[str, str]
    state: str
    sent: int = 0
    failed: int = 0
    removed: int = 0


@dataclass(frozen=True)
class Recipient:
    """A chat that asked to be told when a fact changes: its channel, chat key and language form."""

    channel: str
    chat: str
    lang: str


def week_of(day: dt.date) -> str:
    """The Monday that starts the day's week, as the research report counts weeks."""
    return (day - dt.timedelta(days=day.weekday())).isoformat()


class AlertStore:
    def __init__(self, path: Path | str, timeout: float = 2.0):
        self.path = path if path == ":memory:" else Path(path)
        self._timeout = timeout
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()  # one transaction at a time on the one connection

    async def open(self) -> None:
        self._db = await connect(self.path, timeout=self._timeout, wal=True)
        await self._db.execute("PRAGMA secure_delete = ON")  # a deleted chat id leaves no bytes behind
        await migrate(self._db, MIGRATIONS)
        if isinstance(self.path, Path):
            self.path.chmod(0o600)

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> aiosqlite.Connection:
        assert self._db is not None, "AlertStore.open() was not called"
        return self._db

    async def _rows(self, sql: str, args: Iterable = ()) -> list[tuple]:
        return [tuple(r) for r in await (await self.db.execute(sql, tuple(args))).fetchall()]

    # -- subscriptions ------------------------------------------------------------------------------

    async def subscribe(self, channel: str, chat: int | str, facts: Iterable[str], lang: str,
                        today: dt.date | None = None) -> list[str]:
        """Follow ``facts``; returns those newly followed (the form of the others is updated)."""
        week = week_of(today or dt.date.today())
        new = []
        async with self._lock:
            for fact in facts:
                cur = await self.db.execute("UPDATE subscription SET lang = ? WHERE channel = ? AND chat = ? AND fact = ?",
                                            (lang, channel, str(chat), fact))
                if cur.rowcount:
                    continue
                await self.db.execute("INSERT INTO subscription VALUES (?, ?, ?, ?)", (channel, str(chat), fact, lang))
                await self.db.execute("INSERT INTO weekly VALUES (?, ?, 1) ON CONFLICT(week, fact) "
                                      "DO UPDATE SET subscribed = subscribed + 1", (week, fact))
                new.append(fact)
            await self.db.commit()
        return new

    async def following(self, channel: str, chat: int | str) -> list[str]:
        rows = await self._rows("SELECT fact FROM subscription WHERE channel = ? AND chat = ? ORDER BY fact",
                                (channel, str(chat)))
        return [r[0] for r in rows]

    async def unsubscribe(self, channel: str, chat: int | str, fact: str | None = None) -> int:
        """Stop following ``fact`` (None: every fact). Returns how many subscriptions were removed."""
        async with self._lock:
            if fact is None:
                cur = await self.db.execute("DELETE FROM subscription WHERE channel = ? AND chat = ?", (channel, str(chat)))
            else:
                cur = await self.db.execute("DELETE FROM subscription WHERE channel = ? AND chat = ? AND fact = ?",
                                            (channel, str(chat), fact))
            await self.db.commit()
            return cur.rowcount

    async def forget(self, channel: str, chat: int | str) -> None:
        """Everything about the chat: its subscriptions and any alert not yet sent to it."""
        async with self._lock:
            await self.db.execute("DELETE FROM subscription WHERE channel = ? AND chat = ?", (channel, str(chat)))
            await self.db.execute("DELETE FROM outbox WHERE channel = ? AND chat = ?", (channel, str(chat)))
            await self.db.commit()

    async def subscribers(self, facts: Iterable[str]) -> int:
        facts = list(facts)
        if not facts:
            return 0
        marks = ",".join("?" * len(facts))
        rows = await self._rows(f"SELECT COUNT(DISTINCT channel || ' ' || chat) FROM subscription WHERE fact IN ({marks})",
                                facts)
        return rows[0][0]

    # -- alerts ---------------------------------------------------------------------------------------

    async def offer(self, facts: Iterable[str], texts: dict[str, str]) -> int:
        """A new alert waiting for staff's Send or Cancel; returns its id."""
        async with self._lock:
            cur = await self.db.execute("INSERT INTO alert (facts, texts) VALUES (?, ?)",
                                        (",".join(facts), json.dumps(texts, ensure_ascii=False)))
            await self.db.commit()
            assert cur.lastrowid is not None
            return cur.lastrowid

    async def alert(self, alert_id: int) -> Alert | None:
        rows = await self._rows("SELECT id, facts, texts, state, sent, failed, removed FROM alert WHERE id = ?", (alert_id,))
        if not rows:
            return None
        i, facts, texts, state, sent, failed, removed = rows[0]
        return Alert(i, tuple(facts.split(",")), json.loads(texts), state, sent, failed, removed)

    async def approve(self, alert_id: int) -> int | None:
        """Staff pressed Send: the recipients are the subscribers now. None if the alert is not waiting for Send."""
        async with self._lock:
            alert = await self.alert(alert_id)
            if alert is None or alert.state != "offered":
                return None
            marks = ",".join("?" * len(alert.facts))
            # One row per chat; a chat following several of the facts gets one message, in its latest form.
            await self.db.execute(
                f"INSERT OR IGNORE INTO outbox (alert, channel, chat, lang) SELECT ?, channel, chat, MAX(lang) "
                f"FROM subscription WHERE fact IN ({marks}) GROUP BY channel, chat", (alert_id, *alert.facts))
            await self.db.execute("UPDATE alert SET state = 'sending' WHERE id = ?", (alert_id,))
            await self.db.commit()
            rows = await self._rows("SELECT COUNT(*) FROM outbox WHERE alert = ?", (alert_id,))
            return rows[0][0]

    async def cancel(self, alert_id: int) -> bool:
        async with self._lock:
            cur = await self.db.execute("UPDATE alert SET state = 'cancelled', finished = date('now') "
                                        "WHERE id = ? AND state = 'offered'", (alert_id,))
            await self.db.commit()
            return cur.rowcount == 1

    async def sending(self) -> list[int]:
        """Alerts staff sent that have not finished (after a restart: to resume)."""
        return [r[0] for r in await self._rows("SELECT id FROM alert WHERE state = 'sending' ORDER BY id")]

    async def settle_unknown(self, alert_id: int) -> int:
        """Rows claimed by a process that died mid-send: whether they went out is unknown, so they count as failed
        and are never sent again. Call once, before resuming an alert after a restart."""
        async with self._lock:
            cur = await self.db.execute("UPDATE outbox SET state = 'failed' WHERE alert = ? AND state = 'claimed'",
                                        (alert_id,))
            await self.db.commit()
            return cur.rowcount

    async def claim(self, alert_id: int, limit: int) -> list[Recipient]:
        """The next ``limit`` recipients still waiting, marked claimed in the same transaction."""
        async with self._lock:
            rows = await self._rows("SELECT channel, chat, lang FROM outbox WHERE alert = ? AND state = 'waiting' "
                                    "LIMIT ?", (alert_id, limit))
            await self.db.executemany("UPDATE outbox SET state = 'claimed' WHERE alert = ? AND channel = ? AND chat = ?",
                                      [(alert_id, c, chat) for c, chat, _ in rows])
            await self.db.commit()
        return [Recipient(*r) for r in rows]

    async def mark(self, alert_id: int, results: Iterable[tuple[Recipient, str]]) -> None:
        """Record what happened to claimed recipients: ``sent``, ``failed`` or ``removed`` (blocked the bot, and so
        unsubscribed here too); ``waiting`` gives a claim back unsent (at a clean stop)."""
        results = list(results)
        async with self._lock:
            await self.db.executemany("UPDATE outbox SET state = ? WHERE alert = ? AND channel = ? AND chat = ?",
                                      [(state, alert_id, r.channel, r.chat) for r, state in results])
            await self.db.executemany("DELETE FROM subscription WHERE channel = ? AND chat = ?",
                                      [(r.channel, r.chat) for r, state in results if state == "removed"])
            await self.db.commit()

    async def finish(self, alert_id: int) -> Alert | None:
        """Once nothing is waiting or claimed: keep the counts, delete the outbox (and its chat ids)."""
        async with self._lock:
            rows = await self._rows("SELECT state, COUNT(*) FROM outbox WHERE alert = ? GROUP BY state", (alert_id,))
            counts = dict(rows)
            if counts.get("waiting") or counts.get("claimed"):
                return None
            await self.db.execute("UPDATE alert SET state = 'done', finished = date('now'), sent = ?, failed = ?, "
                                  "removed = ? WHERE id = ? AND state = 'sending'",
                                  (counts.get("sent", 0), counts.get("failed", 0), counts.get("removed", 0), alert_id))
            await self.db.execute("DELETE FROM outbox WHERE alert = ?", (alert_id,))
            await self.db.commit()
        return await self.alert(alert_id)

    # -- a channel's daily limit ------------------------------------------------------------------------

    async def limited_since(self, channel: str, since: float) -> list[float]:
        """When the channel's alert messages went out since ``since`` (Unix time), oldest first."""
        return [r[0] for r in await self._rows("SELECT at FROM limited WHERE channel = ? AND at >= ? ORDER BY at",
                                               (channel, since))]

    async def limited_sent(self, channel: str, at: float, keep_after: float) -> None:
        """One alert message went out on the channel at ``at``; times before ``keep_after`` are no longer needed."""
        async with self._lock:
            await self.db.execute("DELETE FROM limited WHERE channel = ? AND at < ?", (channel, keep_after))
            await self.db.execute("INSERT INTO limited VALUES (?, ?)", (channel, at))
            await self.db.commit()

    async def progress(self, alert_id: int) -> dict[str, int]:
        return dict(await self._rows("SELECT state, COUNT(*) FROM outbox WHERE alert = ? GROUP BY state", (alert_id,)))

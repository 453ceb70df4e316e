"""Each chat's chosen language, kept in SQLite so it survives restarts.

Chats are stored under an HMAC of their id, never under the id itself, and no
message text is ever stored here. The HMAC key is not in the database: it comes
from ``BOT_PREFS_KEY`` or from a key file beside the database
(``preferences.key``, readable by its owner only, made on first run). So a copy
of the database alone cannot confirm whether a given Telegram id used the bot.
Only the day of a choice is kept, not the time.

When the database is locked or unwritable the bot keeps answering: choices are
held in memory, the failed writes are retried with the next write, and the
failure is logged once. :meth:`Preferences.forget` says whether the deletion
really reached the disk, so the bot never claims a deletion that did not happen.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

import aiosqlite

from bot.stores.sqlite import connect, migrate

log = logging.getLogger(__name__)

MIGRATIONS: list[str] = [
    # 1: languages by chat key. IF NOT EXISTS: files from before versioning already hold these tables.
    """
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);  -- only a legacy key, wiped on open
    CREATE TABLE IF NOT EXISTS chat_language (
        chat_key TEXT PRIMARY KEY,                   -- HMAC of the chat id with a key kept outside the file
        lang TEXT NOT NULL,
        updated TEXT NOT NULL DEFAULT (date('now'))  -- the day of the choice only
    );
    """,
]
_UPSERT = ("INSERT INTO chat_language (chat_key, lang) VALUES (?, ?) "
           "ON CONFLICT(chat_key) DO UPDATE SET lang = excluded.lang, updated = date('now')")
_DELETE = "DELETE FROM chat_language WHERE chat_key = ?"


def key_file(path: Path) -> Path:
    """Where the HMAC key lives when ``BOT_PREFS_KEY`` is not set: beside the database."""
    return path.with_name(path.stem + ".key")


def read_or_create_key(path: Path, legacy: str | None) -> bytes:
    """The key in ``path``; made (from the legacy in-database secret, if any, else at random) when missing."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        text = legacy or secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(text + "\n")
        return bytes.fromhex(text)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
        log.warning("%s was readable by others; it is now readable by its owner only", path)
    return bytes.fromhex(text)


class Preferences:
    def __init__(self, path: Path | str, key: str = "", timeout: float = 2.0):
        """``key``: the HMAC key (``BOT_PREFS_KEY``); empty means the key file beside ``path``."""
        self.path = path if path == ":memory:" else Path(path)
        self._key_text = key
        self._timeout = timeout
        self._db: aiosqlite.Connection | None = None
        self._secret = b""
        self._cache: dict[str, str | None] = {}
        self._pending: dict[str, str | None] = {}  # writes that failed, to retry: chat key -> language, None = delete
        self._failing = False
        # Reads have their own connection (and thread), and the database is in WAL mode: a lookup for a new chat
        # is never queued behind a write waiting for a lock another program holds, nor blocked by that lock.
        self._reader: aiosqlite.Connection | None = None
        self._writing = asyncio.Lock()
        self._retry: asyncio.Task | None = None

    async def open(self) -> None:
        self._db = await connect(self.path, timeout=self._timeout, wal=True)
        await migrate(self._db, MIGRATIONS)
        self._reader = await connect(self.path, timeout=0.2) if isinstance(self.path, Path) else self._db
        row = await (await self._db.execute("SELECT value FROM meta WHERE key = 'chat_key_secret'")).fetchone()
        legacy = row[0] if row else None
        if self._key_text:
            self._secret = self._key_text.encode()
        elif isinstance(self.path, Path):
            self._secret = read_or_create_key(key_file(self.path), legacy)
        else:
            self._secret = secrets.token_bytes(32)  # an in-memory store lives as long as its key
        if legacy is not None:
            await self._drop_legacy_secret(bytes.fromhex(legacy))

    async def _drop_legacy_secret(self, legacy: bytes) -> None:
        """Older versions kept the key in the database itself: remove it, and its bytes, from the file."""
        assert self._db is not None
        await self._db.execute("PRAGMA secure_delete = ON")
        if legacy != self._secret:
            # Rows keyed with the old secret cannot be re-keyed without the chat ids, which were never stored.
            cur = await self._db.execute("DELETE FROM chat_language")
            log.warning("BOT_PREFS_KEY differs from the key the preferences database used to hold: %d stored "
                        "language choices could not be carried over and were deleted", cur.rowcount)
        await self._db.execute("DELETE FROM meta WHERE key = 'chat_key_secret'")
        await self._db.execute("UPDATE chat_language SET updated = substr(updated, 1, 10)")
        await self._db.commit()
        await self._db.execute("VACUUM")

    async def close(self) -> None:
        if self._reader is not None and self._reader is not self._db:
            await self._reader.close()
        self._reader = None
        if self._db is not None:
            if self._pending:
                await self._flush()
            if self._pending:
                log.error("chat preferences store: %d change(s) could not be saved before shutdown", len(self._pending))
            await self._db.close()
            self._db = None

    def _key(self, chat: int | str) -> str:
        return hmac.new(self._secret, str(chat).encode(), hashlib.sha256).hexdigest()

    async def language(self, chat: int | str) -> str | None:
        key = self._key(chat)
        if key in self._cache:
            return self._cache[key]
        if self._pending and (self._retry is None or self._retry.done()):
            self._retry = asyncio.ensure_future(self._flush())
            await asyncio.wait({self._retry}, timeout=0.1)  # a locked store must not hold up the reply
        try:
            assert self._reader is not None
            row = await (await self._reader.execute("SELECT lang FROM chat_language WHERE chat_key = ?", (key,))).fetchone()
        except Exception as e:  # noqa: BLE001 - a broken store must not silence the bot
            self._failed(e)
            return None  # not cached: the next message looks again
        return self._cache.setdefault(key, row[0] if row else None)  # a choice made meanwhile wins

    async def set_language(self, chat: int | str, lang: str) -> bool:
        """Remember the chat's language; False if it is held in memory only for now (retried later)."""
        return await self._change(self._key(chat), lang)

    async def forget(self, chat: int | str) -> bool:
        """Delete the chat's language; True only once the deletion is on disk."""
        return await self._change(self._key(chat), None)

    async def _change(self, key: str, lang: str | None) -> bool:
        self._cache[key] = lang
        self._pending[key] = lang
        await self._flush()
        return key not in self._pending

    async def _flush(self) -> None:
        """Write every pending change in one transaction; on failure they all stay pending."""
        async with self._writing:  # one transaction at a time on the one connection
            await self._write_pending()

    async def _write_pending(self) -> None:
        pending = dict(self._pending)
        try:
            assert self._db is not None
            for key, lang in pending.items():
                await self._db.execute(*((_DELETE, (key,)) if lang is None else (_UPSERT, (key, lang))))
            await self._db.commit()
        except Exception as e:  # noqa: BLE001
            try:
                if self._db is not None:
                    await self._db.rollback()
            except Exception:  # noqa: BLE001 - the store is already known to be broken
                pass
            self._failed(e)
            return
        for key, lang in pending.items():
            if self._pending.get(key, lang) == lang:
                self._pending.pop(key, None)
        self._ok()

    def _failed(self, e: Exception) -> None:
        if not self._failing:
            log.error("chat preferences store failed (%s); keeping choices in memory and retrying with the next "
                      "change", e)
        self._failing = True

    def _ok(self) -> None:
        if self._failing:
            log.warning("chat preferences store saves changes again")
        self._failing = False

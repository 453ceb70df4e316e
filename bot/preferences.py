"""Each chat's chosen language, kept in SQLite so it survives restarts.

Chats are stored under an HMAC of their id with a secret kept in the same
database, never under the id itself, and no message text is ever stored here.
When the database is locked or unwritable the bot keeps answering: choices are
held in memory as well, and the failure is logged once.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chat_language (
    chat_key TEXT PRIMARY KEY,
    lang TEXT NOT NULL,
    updated TEXT NOT NULL DEFAULT (datetime('now'))
);
"""


class Preferences:
    def __init__(self, path: Path | str):
        self.path = path
        self._db: aiosqlite.Connection | None = None
        self._secret = b""
        self._cache: dict[str, str | None] = {}
        self._failing = False

    async def open(self) -> None:
        if isinstance(self.path, Path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path, timeout=2)
        await self._db.executescript(_SCHEMA)
        row = await (await self._db.execute("SELECT value FROM meta WHERE key = 'chat_key_secret'")).fetchone()
        if row is None:
            secret = secrets.token_hex(32)
            await self._db.execute("INSERT INTO meta VALUES ('chat_key_secret', ?)", (secret,))
            await self._db.commit()
        else:
            secret = row[0]
        self._secret = bytes.fromhex(secret)

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    def _key(self, chat: int | str) -> str:
        return hmac.new(self._secret, str(chat).encode(), hashlib.sha256).hexdigest()

    async def language(self, chat: int | str) -> str | None:
        key = self._key(chat)
        if key in self._cache:
            return self._cache[key]
        lang = None
        try:
            assert self._db is not None
            row = await (await self._db.execute("SELECT lang FROM chat_language WHERE chat_key = ?", (key,))).fetchone()
            lang = row[0] if row else None
            self._ok()
        except Exception as e:  # noqa: BLE001 - a broken store must not silence the bot
            self._failed(e)
        self._cache[key] = lang
        return lang

    async def set_language(self, chat: int | str, lang: str) -> None:
        key = self._key(chat)
        self._cache[key] = lang
        await self._write(
            "INSERT INTO chat_language (chat_key, lang) VALUES (?, ?) "
            "ON CONFLICT(chat_key) DO UPDATE SET lang = excluded.lang, updated = datetime('now')",
            (key, lang),
        )

    async def forget(self, chat: int | str) -> None:
        key = self._key(chat)
        self._cache[key] = None
        await self._write("DELETE FROM chat_language WHERE chat_key = ?", (key,))

    async def _write(self, sql: str, args: tuple) -> None:
        try:
            assert self._db is not None
            await self._db.execute(sql, args)
            await self._db.commit()
            self._ok()
        except Exception as e:  # noqa: BLE001
            self._failed(e)

    def _failed(self, e: Exception) -> None:
        if not self._failing:
            log.error("chat preferences store failed (%s); keeping choices in memory until it works again", e)
        self._failing = True

    def _ok(self) -> None:
        if self._failing:
            log.warning("chat preferences store works again")
        self._failing = False

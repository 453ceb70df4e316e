"""The chat-preference store: honest about deletions, and useless to someone who only holds its file."""

from __future__ import annotations

import hashlib
import hmac
import logging
import sqlite3
import stat
from contextlib import contextmanager
from pathlib import Path

from bot.conversation.dialogue import Conversation
from bot.stores.preferences import Preferences, key_file

CHAT = 918273645


@contextmanager
def locked(path: Path):
    """Another program (a researcher's SQLite browser) holds the database locked."""
    db = sqlite3.connect(path)
    db.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        db.rollback()
        db.close()


def rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT chat_key, lang FROM chat_language").fetchall()


# -- F5: /forget never claims a deletion that failed -----------------------------------------------------

async def test_forget_while_the_store_is_locked_says_so_and_deletes_once_it_works(tmp_path, store):
    path = tmp_path / "preferences.sqlite3"
    prefs = Preferences(path, timeout=0.05)
    await prefs.open()
    conversation = Conversation(store, prefs)
    await conversation.action(CHAT, CHAT, "lang:en")
    with locked(path):
        reply = await conversation.command(CHAT, CHAT, "forget")
        assert not reply[-1].text.startswith("Everything stored about this chat has been deleted")
        assert "could not be deleted yet" in reply[-1].text
        assert await prefs.language(CHAT) is None  # not used any more
    assert len(rows(path)) == 1  # still on disk: the message was right to say so
    await prefs.close()  # the store works again: the deletion is written
    assert rows(path) == []


async def test_forget_that_works_says_everything_was_deleted(conversation):
    await conversation.action(CHAT, CHAT, "lang:en")
    reply = await conversation.command(CHAT, CHAT, "forget")
    assert reply[-1].text.startswith("Everything stored about this chat has been deleted")
    assert await conversation.prefs.language(CHAT) is None


async def test_a_choice_made_while_the_store_is_locked_survives_a_restart(tmp_path):
    path = tmp_path / "preferences.sqlite3"
    prefs = Preferences(path, timeout=0.05)
    await prefs.open()
    with locked(path):
        assert not await prefs.set_language(CHAT, "sd")
        assert await prefs.language(CHAT) == "sd"
    assert await prefs.language(CHAT + 1) is None  # the next use of the store writes what waited
    assert [lang for _, lang in rows(path)] == ["sd"]
    await prefs.close()
    again = Preferences(path)
    await again.open()
    assert await again.language(CHAT) == "sd"
    await again.close()


# -- F6: the key is not in the database --------------------------------------------------------------------

async def test_the_database_alone_cannot_confirm_an_id(tmp_path):
    path = tmp_path / "preferences.sqlite3"
    prefs = Preferences(path)
    await prefs.open()
    await prefs.set_language(CHAT, "sd")
    await prefs.close()
    data = path.read_bytes()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM meta").fetchone() == (0,)
        stored = db.execute("SELECT chat_key, updated FROM chat_language").fetchone()
    key = bytes.fromhex(key_file(path).read_text().strip())
    assert key not in data and key.hex().encode() not in data
    assert stored[0] == hmac.new(key, str(CHAT).encode(), hashlib.sha256).hexdigest()  # the key file is what it takes
    assert stat.S_IMODE(key_file(path).stat().st_mode) == 0o600
    assert len(stored[1]) == 10  # the day of the choice, not the second


async def test_key_from_the_environment_leaves_no_key_file_and_survives_restarts(tmp_path):
    path = tmp_path / "preferences.sqlite3"
    for _ in range(2):
        prefs = Preferences(path, key="a secret from the service manager, 32+ chars")
        await prefs.open()
        if await prefs.language(CHAT) is None:
            await prefs.set_language(CHAT, "en")
        else:
            assert await prefs.language(CHAT) == "en"
        await prefs.close()
    assert not key_file(path).exists()
    assert b"a secret from" not in path.read_bytes()


def _legacy_database(path: Path, secret: bytes) -> None:
    """A preferences database as earlier versions wrote it: the key in its own `meta` table."""
    with sqlite3.connect(path) as db:
        db.executescript("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                         "CREATE TABLE chat_language (chat_key TEXT PRIMARY KEY, lang TEXT NOT NULL, "
                         "updated TEXT NOT NULL DEFAULT (datetime('now')));")
        db.execute("INSERT INTO meta VALUES ('chat_key_secret', ?)", (secret.hex(),))
        db.execute("INSERT INTO chat_language (chat_key, lang) VALUES (?, 'sd')",
                   (hmac.new(secret, str(CHAT).encode(), hashlib.sha256).hexdigest(),))


async def test_an_old_database_keeps_its_choices_and_loses_its_key(tmp_path):
    path = tmp_path / "preferences.sqlite3"
    secret = bytes(range(32))
    _legacy_database(path, secret)
    prefs = Preferences(path)
    await prefs.open()
    assert await prefs.language(CHAT) == "sd"
    await prefs.close()
    assert secret.hex().encode() not in path.read_bytes()
    assert key_file(path).read_text().strip() == secret.hex()


async def test_an_old_database_under_a_new_environment_key_drops_what_it_cannot_rekey(tmp_path, caplog):
    path = tmp_path / "preferences.sqlite3"
    secret = bytes(range(32))
    _legacy_database(path, secret)
    prefs = Preferences(path, key="a new key from the environment")
    with caplog.at_level(logging.WARNING):
        await prefs.open()
    assert await prefs.language(CHAT) is None
    await prefs.close()
    assert rows(path) == [] and secret.hex().encode() not in path.read_bytes()
    assert "1 stored language choices could not be carried over" in caplog.text


async def test_privacy_text_says_the_key_is_kept_apart(conversation):
    for lang in ("en", "ur", "sd"):
        await conversation.action(CHAT, CHAT, f"lang:{lang}")
        text = (await conversation.command(CHAT, CHAT, "privacy"))[-1].text
        if lang == "en":
            assert "secret key kept apart from these records" in text
        else:  # translated, not the English fallback
            assert "secret key" not in text and "/forget" in text


async def test_a_database_from_before_versioning_keeps_its_choices_and_is_versioned(tmp_path):
    """The schema as the unversioned code wrote it (key already outside the file): nothing is lost, and it is recorded."""
    path = tmp_path / "preferences.sqlite3"
    key = "a key from the environment, as the old code had it"
    with sqlite3.connect(path) as db:
        db.executescript("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                         "CREATE TABLE chat_language (chat_key TEXT PRIMARY KEY, lang TEXT NOT NULL, "
                         "updated TEXT NOT NULL DEFAULT (date('now')));")
        db.execute("INSERT INTO chat_language (chat_key, lang) VALUES (?, 'sd')",
                   (hmac.new(key.encode(), str(CHAT).encode(), hashlib.sha256).hexdigest(),))
    db.close()
    for _ in range(2):  # the second open finds the schema up to date
        prefs = Preferences(path, key=key)
        await prefs.open()
        assert await prefs.language(CHAT) == "sd"
        await prefs.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(1,)]
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db.close()

"""The health answer behind ``GET /healthz``: 200 while the bot is well, 503 (and why) when a store cannot be written."""

from __future__ import annotations

import dataclasses
import json
import shutil
import signal
import sqlite3
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot import health
from bot.stores.backup import STORES
from tests.fake_telegram import FakeTelegram
from tests.helpers import as_unprivileged_user, free_port, start_bot, stopped_within


def stores(data: Path) -> Path:
    data.mkdir(exist_ok=True)
    for name in STORES:
        with sqlite3.connect(data / name) as db:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("CREATE TABLE IF NOT EXISTS t (x)")
        db.close()
    return data


def test_a_well_bot_answers_200_with_its_knowledge_version(tmp_path, store):
    result = health.check(stores(tmp_path / "data"), store.kb, ages={"telegram_poll": 2.0}, backlog=3)
    assert result.status == 200
    body = result.as_json()
    assert body["ok"] is True and body["problems"] == []
    assert body["stores"] == {name: "ok" for name in STORES} and body["backlog"] == 3
    assert len(body["knowledge_version"]) == 12


def test_a_store_locked_by_another_writer_turns_it_503(tmp_path, store):
    data = stores(tmp_path / "data")
    other = sqlite3.connect(data / "queries.sqlite3", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # a writer that never lets go
    try:
        result = health.check(data, store.kb)
    finally:
        other.close()
    assert result.status == 503
    assert result.problems == ("queries.sqlite3 cannot be written: database is locked",)
    assert result.as_json()["stores"]["queries.sqlite3"] == "failing"


def test_a_store_the_bots_user_cannot_write_turns_it_503(store):
    base = Path(tempfile.mkdtemp())  # outside pytest's folder, which only root may enter
    try:
        base.chmod(0o755)
        data = stores(base / "data")
        data.chmod(0o755)
        for path in data.iterdir():
            path.chmod(0o644)  # written by root, say after a restore run as root
        status, problems = as_unprivileged_user(lambda: (lambda h: [h.status, list(h.problems)])(
            health.check(data, store.kb)))
    finally:
        shutil.rmtree(base)
    assert status == 503
    assert "preferences.sqlite3 cannot be written: attempt to write a readonly database" in problems


def test_a_data_folder_that_cannot_be_written_before_the_stores_exist(store):
    result = health.check(Path("/proc/nowbot"), store.kb)
    assert result.status == 503 and result.problems[0].startswith("preferences.sqlite3 cannot be written: not made yet")


def test_no_word_from_telegram_or_a_long_backlog_turns_it_503(tmp_path, store):
    data = stores(tmp_path / "data")
    assert health.check(data, store.kb, ages={"telegram_poll": None}).status == 200  # not polled yet: starting
    assert health.check(data, store.kb, ages={"telegram_poll": 900.0}).problems == (
        "telegram_poll: nothing for 900 s (more than 600)",)
    assert health.check(data, store.kb, backlog=5000).problems == ("5000 updates wait to be answered (more than 1000)",)
    assert health.check(data, None).problems == ("no knowledge base is loaded",)


def test_the_knowledge_version_changes_with_an_answer(store):
    kb = store.kb
    first = kb.entries[0]
    edited = dataclasses.replace(kb, entries=(dataclasses.replace(first, answer={**first.answer, "en": "changed"}),
                                              *kb.entries[1:]))
    assert health.knowledge_version(kb) == health.knowledge_version(store.kb)
    assert health.knowledge_version(edited) != health.knowledge_version(kb)


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.mark.slow
def test_a_polling_telegram_bot_serves_healthz_when_bot_http_port_is_set(tmp_path):
    """No WhatsApp: the container's health check still has /healthz, and it turns 503 when a store is stuck."""
    port = free_port()
    fake = FakeTelegram().start()
    try:
        bot = start_bot(fake, tmp_path, [sys.executable, "main.py"], BOT_HTTP_HOST="127.0.0.1", BOT_HTTP_PORT=str(port))
        try:
            status, body = _get(f"http://127.0.0.1:{port}/healthz")
            assert status == 200 and body["ok"] and body["stores"]["preferences.sqlite3"] == "ok", body
            other = sqlite3.connect(tmp_path / "preferences.sqlite3", isolation_level=None)
            other.execute("BEGIN EXCLUSIVE")
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
            finally:
                other.close()
            assert status == 503 and "preferences.sqlite3 cannot be written: database is locked" in body["problems"]
        finally:
            bot.send_signal(signal.SIGTERM)
            stopped_within(bot, 15)
    finally:
        fake.stop()

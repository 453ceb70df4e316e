"""``main.py backup`` and ``restore``: a running bot's data folder copied under load and put back with nothing lost."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.stores import backup, runlock
from tests.fake_telegram import FakeTelegram
from tests.helpers import ROOT, start_bot, stopped_within

T0 = dt.datetime(2026, 12, 4, 2, 0, tzinfo=dt.timezone.utc)


def make_data(data: Path) -> Path:
    """A data folder as a running bot leaves it: stores in WAL mode (with their -wal files), keys and JSON files."""
    data.mkdir()
    for n, name in enumerate(backup.STORES):
        db = sqlite3.connect(data / name)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        db.execute("INSERT INTO schema_version VALUES (?)", (n + 1,))
        db.execute("CREATE TABLE t (x TEXT)")
        db.executemany("INSERT INTO t VALUES (?)", [(f"{name} row {i}",) for i in range(200)])
        db.commit()  # left open below: the rows are in the -wal file, not yet in the store's own file
        _open.append(db)
    for name, text in (("preferences.key", "ab" * 32), ("cases.key", "ef" * 32), ("queries.daykey", "2026-12-04 secret"),
                       ("pending-updates.json", "[]"), ("voice-file-ids.json", "{}")):
        (data / name).write_text(text)
        (data / name).chmod(0o600)
    return data


_open: list[sqlite3.Connection] = []


@pytest.fixture(autouse=True)
def _close_stores():
    yield
    while _open:
        _open.pop().close()


def rows(path: Path) -> list[str]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [r[0] for r in db.execute("SELECT x FROM t ORDER BY rowid")]
    finally:
        db.close()


def test_a_backup_holds_every_store_key_and_file_but_never_the_day_key(tmp_path):
    data = make_data(tmp_path / "data")
    folder = backup.backup(data, tmp_path / "backups", now=T0)
    assert folder.name == "nowbot-20261204T020000Z"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "alerts.sqlite3", "cases.sqlite3", "changes.sqlite3", "keys/cases.key", "keys/preferences.key", "manifest.json",
        "pending-updates.json", "preferences.sqlite3", "queries.sqlite3", "voice-file-ids.json"]
    assert not list(folder.rglob("*daykey*"))
    for name in backup.STORES:  # rows still in the live -wal file are in the copy, which is one file
        assert rows(folder / name) == [f"{name} row {i}" for i in range(200)]
    assert not list(folder.glob("*-wal"))
    assert all(p.stat().st_mode & 0o077 == 0 for p in folder.rglob("*"))  # keys and texts: the owner's only
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {f["name"]: f["schema_version"] for f in manifest["files"] if f["kind"] == "store"} == {
        "preferences.sqlite3": 1, "queries.sqlite3": 2, "cases.sqlite3": 3, "changes.sqlite3": 4, "alerts.sqlite3": 5}
    assert manifest["left_out"] == ["queries.daykey"]


def test_old_backups_are_rotated(tmp_path):
    data = make_data(tmp_path / "data")
    for day in range(5):
        backup.backup(data, tmp_path / "backups", keep=3, now=T0 + dt.timedelta(days=day))
    assert [p.name for p in backup.backups(tmp_path / "backups")] == [
        "nowbot-20261206T020000Z", "nowbot-20261207T020000Z", "nowbot-20261208T020000Z"]


def test_restore_refuses_while_a_bot_runs_and_not_after_it_crashed(tmp_path):
    data = make_data(tmp_path / "data")
    folder = backup.backup(data, tmp_path / "backups", now=T0)
    lock = runlock.hold(data)
    with pytest.raises(runlock.AlreadyRunning, match=str(os.getpid())):
        backup.restore(folder, data)
    assert runlock.running(data)
    lock.close()  # what the kernel does when the bot's process dies, however it dies
    assert (data / runlock.LOCK_FILE).exists() and not runlock.running(data)
    backup.restore(folder, data)


def test_a_backup_changed_after_it_was_made_is_refused_and_nothing_is_touched(tmp_path):
    data = make_data(tmp_path / "data")
    folder = backup.backup(data, tmp_path / "backups", now=T0)
    with sqlite3.connect(data / "queries.sqlite3") as db:
        db.execute("INSERT INTO t VALUES ('after the backup')")
    copy = folder / "queries.sqlite3"
    copy.write_bytes(copy.read_bytes()[:-1] + b"x")
    with pytest.raises(backup.BackupError, match="queries.sqlite3: changed since the backup"):
        backup.restore(folder, data)
    assert rows(data / "queries.sqlite3")[-1] == "after the backup"
    assert not list(data.glob("before-restore-*")) and not list(data.glob(".restore-*"))


def test_restore_puts_the_backup_back_and_keeps_what_it_replaced(tmp_path):
    data = make_data(tmp_path / "data")
    folder = backup.backup(data, tmp_path / "backups", now=T0)
    with sqlite3.connect(data / "cases.sqlite3") as db:
        db.execute("INSERT INTO t VALUES ('after the backup')")
    while _open:  # the bot is stopped before a restore
        _open.pop().close()
    (data / "preferences.key").write_text("cd" * 32)
    aside = backup.restore(folder, data, now=T0)
    for item in backup.read_manifest(folder):  # byte for byte what the backup holds
        assert (data / item.name).read_bytes() == (folder / item.stored_as).read_bytes(), item.name
    assert rows(data / "cases.sqlite3")[-1] == "cases.sqlite3 row 199"
    assert (data / "queries.daykey").read_text() == "2026-12-04 secret"  # today's secret stays; none was restored
    assert rows(aside / "cases.sqlite3")[-1] == "after the backup"
    assert (aside / "preferences.key").read_text() == "cd" * 32


def main_py(*args: str, data: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "BOT_DATA_DIR": str(data)}
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def dump(data: Path) -> dict[str, list[str]]:
    """Every store's content, as SQL (changes.sqlite3 appears with the first staff edit)."""
    out = {}
    for name in backup.STORES:
        if not (data / name).exists():
            continue
        db = sqlite3.connect(f"file:{data / name}?mode=ro", uri=True)
        out[name] = list(db.iterdump())
        db.close()
    return out


def table(data: Path, store: str, sql: str) -> set:
    db = sqlite3.connect(f"file:{data / store}?mode=ro", uri=True)
    try:
        return set(db.execute(sql).fetchall())
    finally:
        db.close()


@pytest.mark.slow
def test_a_running_bot_under_load_is_backed_up_and_restored_with_nothing_lost(tmp_path):
    fake = FakeTelegram().start()
    data, backups = tmp_path / "data", tmp_path / "backups"
    chats = range(731_000_100, 731_000_130)  # ids that cannot be mistaken for anything else in a log line
    chosen = {chat: ("ur", "en", "sd")[i % 3] for i, chat in enumerate(chats)}
    questions = ("What is the minimum wage?", "how is overtime paid", "kam se kam tankhwa kitni hai")
    try:
        bot = start_bot(fake, data, [sys.executable, "main.py", "run"], BOT_STOP_SECONDS="2")
        for chat, lang in chosen.items():
            fake.press(chat, f"lang:{lang}")
        fake.wait_sent(chats[-1], 1, timeout=30)
        for chat in chosen:
            fake.message(chat, questions[0])
        for chat in chosen:
            fake.wait_sent(chat, 2, timeout=30)
        time.sleep(1.5)  # the query log writes its queue every half second

        stop = threading.Event()

        def load() -> None:  # 40 more chats keep asking while the backup runs
            n = 0
            while not stop.is_set():
                fake.message(731_000_200 + n % 40, questions[n % 3])
                n += 1
                time.sleep(0.005)

        loader = threading.Thread(target=load)
        loader.start()
        try:
            time.sleep(1)
            before = {name: table(data, name, "SELECT * FROM " + t) for name, t in (
                ("preferences.sqlite3", "chat_language"), ("queries.sqlite3", "queries"))}
            done = main_py("backup", "--to", str(backups), data=data)
            refused = main_py("restore", str(backup.backups(backups)[-1]), data=data)
            time.sleep(1)
        finally:
            stop.set()
            loader.join()
        assert done.returncode == 0, done.stderr
        assert "queries.daykey" in done.stdout
        assert refused.returncode == 1 and "refused" in refused.stderr and "Stop it first" in refused.stderr
        under_load = backup.backups(backups)[-1]
        # Everything written before the backup began is in it, and the bot went on writing meanwhile.
        for name, had in before.items():
            assert had and had <= table(under_load, name, f"SELECT * FROM {'chat_language' if 'pref' in name else 'queries'}")
        asked = len(table(under_load, "queries.sqlite3", "SELECT id FROM queries"))
        assert asked >= 30

        bot.send_signal(signal.SIGTERM)
        logs = stopped_within(bot, 15)
        assert len(table(data, "queries.sqlite3", "SELECT id FROM queries")) > asked
        live = dump(data)
        done = main_py("backup", "--to", str(backups), data=data)
        assert done.returncode == 0, done.stderr
        final = backup.backups(backups)[-1]

        # The drill: restore the stopped bot's backup into an empty folder, byte for byte, and run from it.
        restored = tmp_path / "restored"
        done = main_py("restore", str(final), data=restored)
        assert done.returncode == 0, done.stderr
        for item in backup.read_manifest(final):
            assert (restored / item.name).read_bytes() == (final / item.stored_as).read_bytes(), item.name
        assert not (restored / "queries.daykey").exists()
        assert dump(restored) == live  # nothing lost: every row of every store, as SQL
        bot = start_bot(fake, restored, [sys.executable, "main.py", "run"])
        fake.message(chats[0], "What is the minimum wage?")  # chose Urdu before the backup
        reply = fake.wait_sent(chats[0], 3, timeout=30)[-1]
        bot.send_signal(signal.SIGTERM)
        logs += stopped_within(bot, 15)
    finally:
        fake.stop()
    assert "سندھ" in reply["text"]
    # The service's log (journald keeps it) holds no question, chat id or token, though it logged the stop.
    assert "SIGTERM received" in logs
    leaks = [s for s in (*questions, "731000", fake.token, fake.token.split(":")[1]) if s in logs]
    assert not leaks, leaks


def test_a_second_bot_on_the_same_data_folder_refuses_to_start(tmp_path, monkeypatch, capfd):
    from bot import cli

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST-token")
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path))
    with runlock.hold(tmp_path):  # the first bot
        assert cli.main(["run"]) == 1
    assert f"a bot (process {os.getpid()}) is running on {tmp_path}; one bot per data folder" in capfd.readouterr().err

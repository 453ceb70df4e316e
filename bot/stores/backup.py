"""Backing up the data folder while the bot runs, and putting a backup back.

What is copied, into one folder per backup (``nowbot-<UTC time>``, readable by its owner only):

* the SQLite stores (:data:`STORES`), each through SQLite's online backup API, so the bot keeps writing while
  they are copied and each copy is one consistent moment; each copy must pass ``PRAGMA integrity_check``;
* ``keys/preferences.key`` and ``keys/cases.key`` (the keys of the chats' language records and of the case store's
  chat codes), in their own folder so that it can be kept apart
  from the database copies (a key beside the hashes lets whoever holds both confirm a Telegram id);
* ``pending-updates.json`` and ``voice-file-ids.json`` when present;
* ``manifest.json``: every file's size and SHA-256, and each store's schema version.

``queries.daykey`` is never copied: it is today's secret for the query log's daily user keys, overwritten every day
so that nobody can be followed from one day to the next; an old one kept in a backup would undo that.

A restore checks the manifest and every copy first, refuses while a bot runs on the folder (:mod:`bot.stores.runlock`),
copies the backup into the folder beside the live files, and only then swaps the files in, moving the ones it
replaces to ``before-restore-<time>/``; if any step fails, the files already swapped are put back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from bot.stores import runlock

STORES = ("preferences.sqlite3", "queries.sqlite3", "cases.sqlite3", "changes.sqlite3", "alerts.sqlite3")
KEYS = ("preferences.key", "cases.key")
FILES = ("pending-updates.json", "voice-file-ids.json")
NEVER = ("queries.daykey",)
PREFIX = "nowbot-"
MANIFEST = "manifest.json"
FORMAT = 1
# SQLite's files that belong to a store beside the store itself; a restore replaces them together.
_COMPANIONS = ("-wal", "-shm", "-journal")


class BackupError(RuntimeError):
    """A backup could not be made or is not sound; the message says which file and why."""


@dataclass(frozen=True)
class Item:
    name: str  # where it lives in the data folder
    kind: str  # "store", "key" or "file"
    bytes: int
    sha256: str
    schema_version: int | None = None

    @property
    def stored_as(self) -> str:
        """Its path inside the backup folder."""
        return f"keys/{self.name}" if self.kind == "key" else self.name


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _read_only(path: Path) -> sqlite3.Connection:
    """A connection to a live store (which the bot may be writing) that cannot change it."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)


def _integrity(path: Path) -> str | None:
    """None when ``PRAGMA integrity_check`` passes, else what it found."""
    db = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        rows = db.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as e:
        return str(e)
    finally:
        db.close()
    return None if rows == [("ok",)] else "; ".join(str(r[0]) for r in rows[:5])


def _schema_version(path: Path) -> int | None:
    db = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return db.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    except sqlite3.DatabaseError:
        return None
    finally:
        db.close()


def _copy_store(src: Path, dest: Path) -> None:
    source = _read_only(src)
    target = sqlite3.connect(dest)
    try:
        source.backup(target)  # all pages in one step: the live file is read-locked only while they are read
        target.execute("PRAGMA journal_mode = DELETE")  # the copy is one self-contained file
    finally:
        target.close()
        source.close()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup(data_dir: Path, to: Path, keep: int = 14, now: dt.datetime | None = None) -> Path:
    """Copy the data folder into a new folder under ``to``; keep the newest ``keep`` backups there; return it."""
    if not data_dir.is_dir():
        raise BackupError(f"no data folder at {data_dir} (set BOT_DATA_DIR to where the bot keeps its data)")
    now = now or dt.datetime.now(dt.timezone.utc)
    to.mkdir(parents=True, exist_ok=True)
    name = PREFIX + now.strftime("%Y%m%dT%H%M%SZ")
    final, n = to / name, 1
    while final.exists():
        n += 1
        final = to / f"{name}-{n}"
    work = to / f".{final.name}.partial"
    work.mkdir(mode=0o700)
    try:
        items = _copy_into(data_dir, work)
        manifest = {"format": FORMAT, "created": now.isoformat(timespec="seconds"),
                    "files": [dataclasses.asdict(item) for item in items], "left_out": list(NEVER)}
        fd = os.open(work / MANIFEST, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(json.dumps(manifest, indent=1) + "\n")
        for path in work.rglob("*"):
            if path.is_file():
                _fsync(path)
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    rotate(to, keep)
    return final


def _copy_into(data_dir: Path, work: Path) -> list[Item]:
    items = []
    for name in STORES:
        src = data_dir / name
        if not src.is_file():
            continue
        dest = work / name
        try:
            _copy_store(src, dest)
        except sqlite3.Error as e:
            raise BackupError(f"could not copy {src}: {e}") from None
        problem = _integrity(dest)
        if problem:
            raise BackupError(f"the copy of {src} fails SQLite's integrity check ({problem}); the store itself may "
                              f"be damaged: run `sqlite3 {src} 'PRAGMA integrity_check'`")
        items.append(Item(name, "store", dest.stat().st_size, _sha256(dest), _schema_version(dest)))
    for names, kind in ((KEYS, "key"), (FILES, "file")):
        for name in names:
            src = data_dir / name
            try:
                content = src.read_bytes()
            except FileNotFoundError:
                continue
            item = Item(name, kind, len(content), hashlib.sha256(content).hexdigest())
            dest = work / item.stored_as
            dest.parent.mkdir(mode=0o700, exist_ok=True)
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(content)
            items.append(item)
    for path in work.rglob("*"):
        if path.is_file():
            path.chmod(0o600)
    return items


def backups(to: Path) -> list[Path]:
    """The finished backups under ``to``, oldest first."""
    if not to.is_dir():
        return []
    return sorted(p for p in to.iterdir() if p.name.startswith(PREFIX) and (p / MANIFEST).is_file())


def rotate(to: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups (and folders left by a backup that was cut short)."""
    gone = backups(to)[:-keep] if keep > 0 else []
    gone += [p for p in to.iterdir() if p.name.startswith(f".{PREFIX}") and p.name.endswith(".partial")
             and p.stat().st_mtime < time.time() - 3600]
    for path in gone:
        shutil.rmtree(path)
    return gone


def read_manifest(folder: Path) -> list[Item]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{folder} is not a backup: it has no {MANIFEST}") from None
    except ValueError as e:
        raise BackupError(f"{folder / MANIFEST} cannot be read ({e})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{folder / MANIFEST} is of format {manifest.get('format')!r}; this bot reads {FORMAT}")
    return [Item(**f) for f in manifest["files"]]


def verify(folder: Path) -> list[Item]:
    """The backup's files, after checking each against the manifest and each store's integrity."""
    items = read_manifest(folder)
    problems = []
    for item in items:
        path = folder / item.stored_as
        if item.name not in (*STORES, *KEYS, *FILES):
            problems.append(f"{item.stored_as}: not a file the bot keeps")
        elif not path.is_file():
            problems.append(f"{item.stored_as}: missing")
        elif path.stat().st_size != item.bytes or _sha256(path) != item.sha256:
            problems.append(f"{item.stored_as}: changed since the backup (size or SHA-256 differs from the manifest)")
        elif item.kind == "store" and (problem := _integrity(path)):
            problems.append(f"{item.stored_as}: fails SQLite's integrity check ({problem})")
    if problems:
        raise BackupError(f"{folder} cannot be restored: " + "; ".join(problems))
    return items


def restore(folder: Path, data_dir: Path, now: dt.datetime | None = None) -> Path | None:
    """Put the backup in ``folder`` back into ``data_dir``; returns where the replaced files were moved (None when
    there were none). Raises :class:`BackupError` for an unsound backup and :class:`runlock.AlreadyRunning` while a
    bot runs on ``data_dir``."""
    items = verify(folder)
    now = now or dt.datetime.now(dt.timezone.utc)
    lock = runlock.hold(data_dir)  # while restoring, no bot can start on the folder either
    try:
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        stage = data_dir / f".restore-{stamp}"
        stage.mkdir(mode=0o700)
        try:
            for item in items:
                dest = stage / item.name
                shutil.copyfile(folder / item.stored_as, dest)
                dest.chmod(0o600)
                _fsync(dest)
            return _swap(stage, data_dir, [item.name for item in items], data_dir / f"before-restore-{stamp}")
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    finally:
        lock.close()


def _swap(stage: Path, data_dir: Path, names: list[str], aside: Path) -> Path | None:
    """Move the live files the backup replaces into ``aside``, then the staged ones in; undo both on any error."""
    live = [n for n in (*STORES, *(s + c for s in STORES for c in _COMPANIONS), *KEYS, *FILES)
            if (data_dir / n).exists()]
    moved: list[str] = []
    placed: list[str] = []
    try:
        if live:
            aside.mkdir(mode=0o700)
        for n in live:
            os.replace(data_dir / n, aside / n)
            moved.append(n)
        for n in names:
            os.replace(stage / n, data_dir / n)
            placed.append(n)
    except BaseException:
        for n in placed:
            os.replace(data_dir / n, stage / n)
        for n in moved:
            os.replace(aside / n, data_dir / n)
        if live:
            shutil.rmtree(aside, ignore_errors=True)
        raise
    fd = os.open(data_dir, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return aside if live else None

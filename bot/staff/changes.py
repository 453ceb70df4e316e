"""Changes staff make to the knowledge files from the bot or ``gaps review``: checked, applied, logged, undoable.

A new version of a file is written into a copy of the knowledge folder first and the full ``kb check``
(self-test included) runs there; only a version without errors replaces the live file, in one rename,
so the bot never reads a half-written or broken file. Each applied change is kept in
``changes.sqlite3`` in the data folder: when, who (a staff role, never a name or Telegram id), which
file, a unified diff, and the file before and after, so the last change can be undone.

The log lives in the data folder, beside the query log, not in knowledge/: it is this installation's
record of edits made on it (knowledge/ is the shared content, replaced by a deploy or a git pull), and
an undo that finds a file changed since (by hand, or by a deploy) refuses rather than overwrite it.

``reviewed`` remembers the gap questions a reviewer has decided on, as hashes of their normalised text
(no copy of a worker's words outlives the query log's retention), so a group is not offered again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import difflib
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import aiosqlite

from bot.conversation.replies import sent_length
from bot.knowledge.check import check
from bot.knowledge.yamlfile import Problem
from bot.stores.sqlite import connect, migrate
from bot.understanding.text import normalise

MIGRATIONS: list[str] = [
    """
    CREATE TABLE changes (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,                -- UTC, 'YYYY-MM-DD HH:MM'
        who TEXT NOT NULL,               -- a staff role ('staff chat', 'content reviewer'), never a name or id
        file TEXT NOT NULL,              -- relative to the knowledge folder
        action TEXT NOT NULL,            -- examples | out-of-scope | upload | undo
        summary TEXT NOT NULL,
        diff TEXT NOT NULL,
        before TEXT NOT NULL,
        after TEXT NOT NULL,
        undone_by INTEGER                -- the change that undid this one
    );
    CREATE TABLE reviewed (
        text_key TEXT PRIMARY KEY,       -- sha256 of the question's normalised text, not the text
        at TEXT NOT NULL,
        decision TEXT NOT NULL,          -- the entry or out-of-scope group it was added to, or skip
        change_id INTEGER                -- the change that added it; undoing that change forgets the decision
    );
    """,
]


def text_key(text: str) -> str:
    return hashlib.sha256(normalise(text).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Change:
    id: int
    at: str
    who: str
    file: str
    action: str
    summary: str
    diff: str
    undone_by: int | None


@dataclass
class Outcome:
    """What became of a proposed change, said for staff; ``problems`` are the errors that refused it."""

    ok: bool
    message: str
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    change_id: int | None = None

    def report(self, limit: int = 20) -> str:
        lines = [self.message, *(str(p) for p in self.problems[:limit])]
        if len(self.problems) > limit:
            lines.append(f"… and {len(self.problems) - limit} more")
        return "\n".join(lines)


def diff(before: str, after: str, name: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                        fromfile=f"a/{name}", tofile=f"b/{name}"))


class KnowledgeEditor:
    """Check-then-apply edits of the files under ``root``, logged in the SQLite file at ``db_path``."""

    def __init__(self, root: Path, db_path: Path | str,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)):
        self.root = root
        self.db_path = db_path
        self.clock = clock
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        self._db = await connect(self.db_path, timeout=5)
        await migrate(self._db, MIGRATIONS)

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def __aenter__(self) -> "KnowledgeEditor":
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def busy(self) -> bool:
        """A change is being checked, written and logged (whoever made it reloads the knowledge base next)."""
        return self._lock.locked()

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("KnowledgeEditor.open() first")
        return self._db

    # -- files ---------------------------------------------------------------------------------------

    def files(self) -> list[str]:
        """Every knowledge file, relative to the knowledge folder (``facts.yaml``, ``entries/wages.yaml``)."""
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*.yaml"))

    def resolve(self, name: str) -> str | None:
        """The knowledge file ``name`` means: ``wages``, ``wages.yaml`` or ``entries/wages.yaml``; None if none
        or if two files share the name. Never a path outside the folder."""
        name = name.strip().removesuffix(".yaml")
        files = self.files()
        if f"{name}.yaml" in files:
            return f"{name}.yaml"
        found = [f for f in files if f.rsplit("/", 1)[-1] == f"{name}.yaml"]
        return found[0] if len(found) == 1 else None

    def relative(self, display: str) -> str:
        """A problem's or an entry's file (``knowledge/entries/wages.yaml``) relative to the knowledge folder."""
        parts = Path(display).parts
        return Path(*parts[1:]).as_posix() if parts and parts[0] == self.root.name else display

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text(encoding="utf-8")

    # -- changes -------------------------------------------------------------------------------------

    async def apply(self, rel: str, new_text: str, *, who: str, action: str, summary: str,
                    based_on: str | None = None) -> Outcome:
        """Check ``new_text`` as the new ``rel`` with the rest of the knowledge base; write and log it if it has no
        errors. ``based_on``: the text the change was made from; if the file no longer holds it, nothing is written."""
        if rel not in self.files():
            return Outcome(False, f"There is no knowledge file {rel!r}.")
        async with self._lock:
            before = self.read(rel)
            if based_on is not None and before != based_on:
                return Outcome(False, f"{rel} changed while this was being prepared; nothing was written. Try again.")
            if new_text == before:
                return Outcome(False, f"{rel} is unchanged; nothing to apply.")
            today = self.clock().date()
            result = await asyncio.to_thread(self._check_copy, rel, new_text, today)
            if not result.ok:
                return Outcome(False, f"Refused: kb check found {len(result.errors)} error(s); {rel} was not changed.",
                               problems=result.errors, warnings=result.warnings)
            if self.read(rel) != before:
                return Outcome(False, f"{rel} changed while it was being checked; nothing was written. Try again.")
            _write(self.root / rel, new_text)
            cur = await self.db.execute(
                "INSERT INTO changes (at, who, file, action, summary, diff, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (self.clock().strftime("%Y-%m-%d %H:%M"), who, rel, action, summary, diff(before, new_text, rel),
                 before, new_text))
            await self.db.commit()
            return Outcome(True, f"Applied to {rel} (change #{cur.lastrowid}): {summary}. kb check passed with "
                                 f"{len(result.warnings)} warning(s).", warnings=result.warnings, change_id=cur.lastrowid)

    def _check_copy(self, rel: str, new_text: str, today: dt.date):
        """``kb check`` on a copy of the knowledge folder holding ``new_text`` as ``rel`` (problems name the
        files as the live folder's would)."""
        with tempfile.TemporaryDirectory(prefix="kb-check-") as tmp:
            copy = Path(tmp) / self.root.name
            shutil.copytree(self.root, copy)
            (copy / rel).write_text(new_text, encoding="utf-8")
            return check(copy, today, self_test=True, reply_length=sent_length)

    async def undo(self, who: str) -> Outcome:
        """Put back the file as it was before the last change not yet undone (checked like any change)."""
        row = await (await self.db.execute(
            "SELECT id, file, summary, before, after FROM changes WHERE undone_by IS NULL AND action != 'undo' "
            "ORDER BY id DESC LIMIT 1")).fetchone()
        if row is None:
            return Outcome(False, "Nothing to undo.")
        change_id, rel, summary, before, after = row
        if not (self.root / rel).is_file() or self.read(rel) != after:
            return Outcome(False, f"{rel} has changed since change #{change_id} (by hand or by a deploy); "
                                  "it was not undone. Edit the file to undo it.")
        outcome = await self.apply(rel, before, who=who, action="undo", summary=f"undo of #{change_id} ({summary})",
                                   based_on=after)
        if outcome.ok:
            await self.db.execute("UPDATE changes SET undone_by = ? WHERE id = ?", (outcome.change_id, change_id))
            await self.db.execute("DELETE FROM reviewed WHERE change_id = ?", (change_id,))
            await self.db.commit()
        return outcome

    async def history(self, limit: int = 20) -> list[Change]:
        rows = await (await self.db.execute(
            "SELECT id, at, who, file, action, summary, diff, undone_by FROM changes ORDER BY id DESC LIMIT ?",
            (limit,))).fetchall()
        return [Change(*r) for r in rows]

    # -- reviewed gap questions -----------------------------------------------------------------------

    async def reviewed(self) -> set[str]:
        return {r[0] for r in await (await self.db.execute("SELECT text_key FROM reviewed")).fetchall()}

    async def mark_reviewed(self, texts: list[str], decision: str, change_id: int | None = None) -> None:
        at = self.clock().strftime("%Y-%m-%d %H:%M")
        await self.db.executemany("INSERT OR REPLACE INTO reviewed (text_key, at, decision, change_id) VALUES (?, ?, ?, ?)",
                                  [(text_key(t), at, decision, change_id) for t in texts])
        await self.db.commit()


def format_history(changes: list[Change], diffs: bool = True) -> str:
    if not changes:
        return "No changes have been made through the bot or `gaps review` yet."
    out = []
    for c in changes:
        undone = f" (undone by #{c.undone_by})" if c.undone_by else ""
        out.append(f"#{c.id} {c.at} UTC, {c.who}: {c.file}: {c.summary}{undone}")
        if diffs:
            out.append(c.diff.rstrip("\n"))
            out.append("")
    return "\n".join(out).rstrip("\n")


def _write(path: Path, text: str) -> None:
    """Replace ``path`` in one rename, so a reader sees the old file or the new, never half of one."""
    tmp = path.with_name(f".{path.name}.new")
    tmp.write_text(text, encoding="utf-8")
    try:
        os.chmod(tmp, path.stat().st_mode & 0o777)
    except OSError:
        pass
    os.replace(tmp, path)

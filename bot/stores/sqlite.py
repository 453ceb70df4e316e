"""Opening the bot's SQLite files: one way to connect, one way to migrate.

Every store that keeps its own file (the query log, chat preferences, and
later cases) opens it with :func:`connect` and brings it up to date with
:func:`migrate`, given its own ordered list of migrations. Each migration runs
once, in order, in one transaction together with its record in
``schema_version``, so a crash mid-migration leaves the file as it was.

A store's first migration should use ``CREATE ... IF NOT EXISTS`` when files
made before it was versioned may already hold those tables: the migration then
only records the version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import aiosqlite


async def connect(path: Path | str, *, timeout: float, wal: bool = False) -> aiosqlite.Connection:
    """A connection that waits up to ``timeout`` seconds for another's lock (SQLite's busy timeout).

    ``wal``: switch a file database to write-ahead logging, so readers never wait for a writer.
    The folder of a file database is made if missing.
    """
    if isinstance(path, Path):
        path.parent.mkdir(parents=True, exist_ok=True)
    db = await aiosqlite.connect(path, timeout=timeout)
    if wal and isinstance(path, Path):
        try:
            await db.execute("PRAGMA journal_mode = WAL")
        except Exception:
            await db.close()
            raise
    return db


async def migrate(db: aiosqlite.Connection, migrations: Sequence[str]) -> None:
    """Bring the schema up to date: each migration runs once, in order, recorded in ``schema_version``."""
    await db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = await (await db.execute("SELECT MAX(version) FROM schema_version")).fetchone()
    current = (row[0] if row else None) or 0
    for version, sql in enumerate(migrations, 1):
        if version > current:
            await db.executescript(f"BEGIN; {sql} INSERT INTO schema_version VALUES ({version}); COMMIT;")
    await db.commit()

"""Whether the running bot is well, for ``GET /healthz``: 200 with the details, or 503 with what is wrong.

Channel-free: the HTTP server calls :func:`check` with what only the running process knows (the knowledge base in
use, how long ago each channel last heard from its platform, how many updates wait), and this module adds what the
data folder says. Each store is asked for a write lock (``BEGIN IMMEDIATE``, then rolled back, so nothing is
written): a file the bot's user cannot write, a read-only disk or a lock held too long all turn the answer to 503.
No chat, text or secret is ever in the answer.
"""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from bot.knowledge.model import KnowledgeBase
from bot.stores.backup import STORES


@dataclass(frozen=True)
class Health:
    problems: tuple[str, ...]
    details: Mapping[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def status(self) -> int:
        """The HTTP status: 200 when well, 503 otherwise."""
        return 200 if self.ok else 503

    def as_json(self) -> dict[str, object]:
        return {"ok": self.ok, "problems": list(self.problems), **self.details}


def knowledge_version(kb: KnowledgeBase) -> str:
    """A short fingerprint of the knowledge base's content: it changes with every answer, fact or entry edited."""
    content = repr(([(e.id, sorted(e.answer.items()), e.verified) for e in kb.entries],
                    sorted((f.id, repr(f.value), f.verified) for f in kb.facts.values())))
    return hashlib.sha256(content.encode()).hexdigest()[:12]


def store_problems(data_dir: Path, timeout: float = 0.5) -> dict[str, str | None]:
    """Each store's problem (None: it can be written); a store not made yet counts if the folder can be written."""
    found: dict[str, str | None] = {}
    folder: str | None = None
    try:
        with tempfile.TemporaryFile(dir=data_dir):
            pass
    except OSError as e:
        folder = e.strerror or str(e)
    for name in STORES:
        path = data_dir / name
        if not path.exists():
            found[name] = folder and f"not made yet, and {data_dir} cannot be written ({folder})"
            continue
        try:
            db = sqlite3.connect(path, timeout=timeout, isolation_level=None)
            try:
                db.execute("BEGIN IMMEDIATE")
                db.execute("ROLLBACK")
            finally:
                db.close()
            found[name] = None
        except sqlite3.Error as e:
            found[name] = str(e)
    return found


def check(data_dir: Path, kb: KnowledgeBase | None, *, ages: Mapping[str, float | None] | None = None,
          max_age: float = 600.0, backlog: int = 0, max_backlog: int = 1000) -> Health:
    """The bot's health.

    ``ages``: seconds since each channel last heard from its platform (``{"telegram_poll": 3.2}``); pass only the
    ones that must stay fresh (a poll answers every few seconds; a webhook may be silent all night); None: not yet.
    ``backlog``: updates taken but not answered yet.
    """
    problems = []
    if kb is None:
        problems.append("no knowledge base is loaded")
    stores = store_problems(data_dir)
    problems += [f"{name} cannot be written: {why}" for name, why in stores.items() if why]
    for channel, age in (ages or {}).items():
        if age is not None and age > max_age:
            problems.append(f"{channel}: nothing for {age:.0f} s (more than {max_age:.0f})")
    if backlog > max_backlog:
        problems.append(f"{backlog} updates wait to be answered (more than {max_backlog})")
    details = {
        "knowledge_version": knowledge_version(kb) if kb else None,
        "stores": {name: "ok" if why is None else "failing" for name, why in stores.items()},
        "ages": {k: None if v is None else round(v, 1) for k, v in (ages or {}).items()},
        "backlog": backlog,
    }
    return Health(tuple(problems), details)

"""Marking that the bot runs on a data folder: ``bot.lock``, held with ``flock`` while ``main.py run`` lives.

``main.py restore`` must not replace files under a running bot, and two bots must not share one folder. The lock
is the kernel's, not the file's existence: it is released when the process ends, however it ends, so the file a
crash leaves behind never blocks anything. The file holds the holder's process id, for a person reading it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

LOCK_FILE = "bot.lock"


class AlreadyRunning(RuntimeError):
    """Another process holds the data folder's lock."""


def hold(data_dir: Path) -> IO[str]:
    """Take the lock for as long as the returned file stays open; raises :class:`AlreadyRunning` if taken."""
    data_dir.mkdir(parents=True, exist_ok=True)
    f = open(data_dir / LOCK_FILE, "a+", encoding="ascii")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.seek(0)
        pid = f.read().strip()
        f.close()
        raise AlreadyRunning(f"a bot (process {pid or 'unknown'}) is running on {data_dir}") from None
    f.truncate(0)
    f.write(f"{os.getpid()}\n")
    f.flush()
    return f


def running(data_dir: Path) -> bool:
    """Whether a live process holds the lock (a lock file left by a crash does not count)."""
    path = data_dir / LOCK_FILE
    try:
        f = open(path, encoding="ascii")
    except FileNotFoundError:
        return False
    with f:
        try:
            fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
        return False

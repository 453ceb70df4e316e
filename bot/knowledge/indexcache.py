"""Trained indexes saved between starts: build once, load in milliseconds.

A trained component (the matcher's index; any other model the knowledge store builds at load) is a pure
function of two things: the part of the knowledge base it reads, and the code that builds it. Its arrays are
saved in one ``.npz`` file per component, named by a hash of both, in the cache folder (``BOT_CACHE_DIR``,
by default ``cache/`` under ``BOT_DATA_DIR``). A start whose hash finds a file loads it; any other start
builds, then saves. A file that cannot be read, or whose arrays do not fit, is rebuilt, never trusted.

The files hold plain numeric arrays only (``allow_pickle=False``): loading one can never run code. Deleting
the folder at any time is safe: the next start builds again. A component joins the cache by calling
:meth:`IndexCache.load_or_build` with its name, its inputs as bytes, the modules whose code shapes it, and a
function that builds its arrays; see :class:`bot.knowledge.store.KnowledgeStore`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import zipfile
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import IO, TYPE_CHECKING, Callable, Iterable, Mapping, TypeVar

if TYPE_CHECKING:  # numpy is imported when arrays are read or written: the settings (bot.config) import this module
    import numpy as np

log = logging.getLogger(__name__)

T = TypeVar("T")
# Files kept per component: the knowledge base in use, and a few recent ones (a staff edit and its undo).
KEEP = 4
# Errors that mean "this file is not a usable index": rebuild.
_UNUSABLE = (OSError, ValueError, KeyError, IndexError, TypeError, EOFError, zipfile.BadZipFile)


def cache_dir_from_env(env: Mapping[str, str] | None = None) -> Path:
    """``BOT_CACHE_DIR``, or ``cache`` under ``BOT_DATA_DIR`` (``data`` by default)."""
    e = os.environ if env is None else env
    return Path(e["BOT_CACHE_DIR"]) if e.get("BOT_CACHE_DIR") else Path(e.get("BOT_DATA_DIR", "data")) / "cache"


def code_version(modules: Iterable[ModuleType], libraries: Iterable[str] = ()) -> bytes:
    """The source of ``modules`` and of the ``libraries``' top modules (found, not imported: scikit-learn's
    ``__init__.py`` names its version), with numpy's ``version.py``: a change to any of them makes a new key."""
    h = hashlib.sha256()
    numpy = importlib.util.find_spec("numpy")
    h.update(Path(numpy.origin).with_name("version.py").read_bytes() if numpy and numpy.origin else b"numpy absent")
    for module in modules:
        h.update(Path(module.__file__ or "").read_bytes())
    for library in libraries:
        spec = importlib.util.find_spec(library)
        h.update(Path(spec.origin).read_bytes() if spec and spec.origin else f"{library} absent".encode())
    return h.digest()


def write_atomically(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """``write`` into a temporary file beside ``path``, then rename it: a reader sees the whole file or none."""
    import tempfile  # (and the random module it imports) only when a file is written, not on a cached start

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def prune(directory: Path, pattern: str) -> None:
    """Delete all but the :data:`KEEP` most recently used files matching ``pattern``."""
    old = sorted(directory.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in old[KEEP:]:
        stale.unlink(missing_ok=True)


def pack_strings(strings: Iterable[str]) -> np.ndarray:
    """Strings (feature names, class names: never a newline in them) as one UTF-8 array, to store beside numbers."""
    import numpy as np

    return np.frombuffer("\n".join(strings).encode("utf-8"), dtype=np.uint8)


def unpack_strings(blob: np.ndarray) -> list[str]:
    return blob.tobytes().decode("utf-8").split("\n") if len(blob) else []


class IndexCache:
    """A folder of trained components' arrays; ``None`` as the folder: no cache, always build."""

    def __init__(self, directory: Path | None):
        self.directory = directory

    def load_or_build(self, component: str, inputs: bytes, code: bytes,
                      build: Callable[[], Mapping[str, np.ndarray]],
                      use: Callable[[Mapping[str, np.ndarray]], T]) -> T:
        """``use(arrays)``, with the arrays from the cache when a file has this key, else from ``build()`` (then
        saved). ``use`` raising on cached arrays (they do not fit) counts as a miss, and the file is rebuilt."""
        key = hashlib.sha256(component.encode() + b"\0" + code + b"\0" + inputs).hexdigest()
        path = self._path(component, key)
        arrays = self._read(path, key) if path else None
        if arrays is not None:
            try:
                return use(arrays)
            except _UNUSABLE as e:
                log.warning("cached %s index %s does not fit (%s); building it again", component, path, e)
        built = build()
        result = use(built)
        if path:
            self._write(path, key, built)
        return result

    def _path(self, component: str, key: str) -> Path | None:
        return self.directory / f"{component}-{key[:32]}.npz" if self.directory else None

    def _read(self, path: Path, key: str) -> dict[str, np.ndarray] | None:
        if not path.is_file():
            return None
        import numpy as np

        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in data.files}
            if arrays.pop("__key__").tobytes().decode() != key:
                raise ValueError("the file's key is not its name's")
            os.utime(path)  # recently used: kept by the pruning in _write
            return arrays
        except _UNUSABLE as e:
            log.warning("cached index %s unreadable (%s); building it again", path, e)
            return None

    def _write(self, path: Path, key: str, arrays: Mapping[str, np.ndarray]) -> None:
        import numpy as np

        try:
            write_atomically(path, lambda f: np.savez(
                f, **{"__key__": np.frombuffer(key.encode(), dtype=np.uint8), **arrays}))  # type: ignore[arg-type]
            prune(path.parent, f"{path.name.rsplit('-', 1)[0]}-*.npz")
        except OSError as e:  # a read-only or full disk: the bot runs on, it only builds again next start
            log.warning("could not save the %s index in %s: %s", path.stem, path.parent, e)

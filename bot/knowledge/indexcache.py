"""Trained indexes saved between starts: build once, load in milliseconds.

A trained component (the matcher's index; any other model the knowledge store builds at load) is a pure
function of two things: the part of the knowledge base it reads, and the code that builds it. Its arrays are
saved in one ``.arrays`` file per component, named by a hash of both, in the cache folder (``BOT_CACHE_DIR``,
by default ``cache/`` under ``BOT_DATA_DIR``). A start whose hash finds a file loads it; any other start
builds, then saves. A file that cannot be read, or whose arrays do not fit, is rebuilt, never trusted.

A file is a short JSON header (the key, and each array's name, type and shape) and the arrays' bytes: loading maps
the file into memory and checks its length, the header's CRC-32 and the data's checksum (the 64-bit sum and XOR of
its 8-byte words: about a millisecond for the matcher's 20 MB, where unpacking a ``.npz`` copied every byte twice
and checked a CRC), and the arrays are read-only views of it, paged in as a message needs their rows. A file cut
short, with a byte changed or with another key is rebuilt. The files hold plain numbers only (booleans, integers, floats): loading one can never run code. Deleting the
folder at any time is safe: the next start builds again (a running bot keeps reading the files it mapped; the
cache never writes into a file in place, so never change one by hand: delete it). A component joins the cache by
calling :meth:`IndexCache.load_or_build` with its name, its inputs as bytes, the modules whose code shapes it, and
a function that builds its arrays; see :class:`bot.knowledge.store.KnowledgeStore`.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import mmap
import os
import zlib
import importlib.util
from pathlib import Path
from types import ModuleType
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Callable, Iterable, Iterator, Mapping, TypeVar

if TYPE_CHECKING:  # numpy is imported when arrays are read or written: the settings (bot.config) import this module
    import numpy as np

log = logging.getLogger(__name__)

T = TypeVar("T")
# Files kept per component: the knowledge base in use, and a few recent ones (a staff edit and its undo).
KEEP = 4
# Errors that mean "this file is not a usable index": rebuild.
_UNUSABLE = (OSError, ValueError, KeyError, IndexError, TypeError, EOFError)
# The files' format: its first bytes, and part of every key (a new format never reads an old file).
MAGIC = b"NOWIDX2\n"
# Each array starts at a multiple of this many bytes (numpy reads aligned numbers fastest).
_ALIGN = 64
# Array types a file may hold: booleans, signed and unsigned integers, floats.
_PLAIN = "biuf"


def cache_dir_from_env(env: Mapping[str, str] | None = None) -> Path:
    """``BOT_CACHE_DIR``, or ``cache`` under ``BOT_DATA_DIR`` (``data`` by default)."""
    e = os.environ if env is None else env
    return Path(e["BOT_CACHE_DIR"]) if e.get("BOT_CACHE_DIR") else Path(e.get("BOT_DATA_DIR", "data")) / "cache"


def code_version(modules: Iterable[ModuleType], libraries: Iterable[str] = ()) -> bytes:
    """The source of ``modules`` and of the modules named in ``libraries`` (found, not imported: scikit-learn's
    ``__init__.py`` names its version; a check a cached start does not run), with numpy's ``version.py``: a change
    to any of them makes a new key."""
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


def _aligned(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN


def write_arrays(f: IO[bytes], key: str, arrays: Mapping[str, np.ndarray]) -> None:
    """``arrays`` under ``key`` into ``f``: the magic, the header's length and CRC-32 (4 bytes each), the data's
    sum and XOR (8 bytes each, see :func:`_checksum`), the JSON header, then each array's bytes at an aligned offset
    (all little-endian)."""
    import numpy as np

    plain = {name: np.ascontiguousarray(a) for name, a in arrays.items()}
    layout: list[list[object]] = []
    offsets: list[int] = []
    end = 0
    for name, a in plain.items():
        if a.dtype.kind not in _PLAIN:
            raise TypeError(f"the {name} array holds {a.dtype}, not plain numbers")
        layout.append([name, a.dtype.str, list(a.shape), end])
        offsets.append(end)
        end = _aligned(end + a.nbytes)
    data = np.zeros(end, dtype=np.uint8)
    for a, at in zip(plain.values(), offsets):
        data[at : at + a.nbytes] = a.reshape(-1).view(np.uint8)
    header = json.dumps({"key": key, "arrays": layout}).encode("utf-8")
    head = MAGIC + len(header).to_bytes(4, "little") + zlib.crc32(header).to_bytes(4, "little") + _checksum(data) + header
    f.write(head + bytes(_aligned(len(head)) - len(head)))
    f.write(data.data)


def _checksum(data: np.ndarray) -> bytes:
    """The 64-bit sum and XOR of ``data``'s 8-byte words (its length a multiple of 8): one byte changed always
    changes the sum, and a cut or a zeroed page almost always both; a millisecond for 20 MB, a fifth of a CRC-32."""
    import numpy as np

    words = data.view("<u8")
    total, xor = np.add.reduce(words, dtype=np.uint64), np.bitwise_xor.reduce(words)
    return int(total).to_bytes(8, "little") + int(xor).to_bytes(8, "little")


def read_arrays(path: Path) -> tuple[str, dict[str, np.ndarray]]:
    """The key and the arrays :func:`write_arrays` wrote, as read-only views of the file mapped into memory;
    ValueError when the file is not whole (cut short, a byte changed, trailing bytes) or holds anything else."""
    import numpy as np

    with open(path, "rb") as f:
        data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)  # ValueError for an empty file
    prefix = len(MAGIC) + 24
    if data[: len(MAGIC)] != MAGIC:
        raise ValueError("not an index cache file")
    size = int.from_bytes(data[len(MAGIC) : len(MAGIC) + 4], "little")
    header = data[prefix : prefix + size]
    if len(header) != size or zlib.crc32(header) != int.from_bytes(data[len(MAGIC) + 4 : len(MAGIC) + 8], "little"):
        raise ValueError("the file's header is not the one written (CRC)")
    start = _aligned(prefix + size)
    if data[prefix + size : start].strip(b"\0"):
        raise ValueError("the file's header is not the one written (padding)")
    meta = json.loads(header.decode("utf-8"))
    arrays, end = {}, 0
    for name, dtype, shape, offset in meta["arrays"]:
        kind = np.dtype(dtype)
        if kind.kind not in _PLAIN:
            raise ValueError(f"the {name} array holds {kind}, not plain numbers")
        count = int(np.prod(shape, dtype=np.int64))
        arrays[str(name)] = np.frombuffer(data, kind, count, start + offset).reshape(shape)
        end = _aligned(offset + count * kind.itemsize)
    if start + end != len(data):
        raise ValueError("the file is cut short or runs on")
    if _checksum(np.frombuffer(data, np.uint8, end, start)) != data[len(MAGIC) + 8 : prefix]:
        raise ValueError("the file's data are not the ones written (checksum)")
    return str(meta["key"]), arrays


@contextmanager
def _no_collection() -> Iterator[None]:
    """No garbage collection while a component is made from its cached arrays: it makes tens of thousands of
    objects that all live as long as it does, and collecting among them as they are made only costs time (a
    twentieth of a cached start's). Not while training: that makes garbage to collect."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


class IndexCache:
    """A folder of trained components' arrays; ``None`` as the folder: no cache, always build."""

    def __init__(self, directory: Path | None):
        self.directory = directory

    def load_or_build(self, component: str, inputs: bytes, code: bytes,
                      build: Callable[[], Mapping[str, np.ndarray]],
                      use: Callable[[Mapping[str, np.ndarray]], T]) -> T:
        """``use(arrays)``, with the arrays from the cache when a file has this key, else from ``build()`` (then
        saved). ``use`` raising on cached arrays (they do not fit) counts as a miss, and the file is rebuilt."""
        key = hashlib.sha256(MAGIC + component.encode() + b"\0" + code + b"\0" + inputs).hexdigest()
        path = self._path(component, key)
        arrays = self._read(path, key) if path else None
        if arrays is not None:
            try:
                with _no_collection():
                    return use(arrays)
            except _UNUSABLE as e:
                log.warning("cached %s index %s does not fit (%s); building it again", component, path, e)
        built = build()
        result = use(built)
        if path:
            self._write(path, key, built)
        return result

    def _path(self, component: str, key: str) -> Path | None:
        return self.directory / f"{component}-{key[:32]}.arrays" if self.directory else None

    def _read(self, path: Path, key: str) -> dict[str, np.ndarray] | None:
        if not path.is_file():
            return None
        try:
            stored, arrays = read_arrays(path)
            if stored != key:
                raise ValueError("the file's key is not its name's")
            os.utime(path)  # recently used: kept by the pruning in _write
            return arrays
        except _UNUSABLE as e:
            log.warning("cached index %s unreadable (%s); building it again", path, e)
            return None

    def _write(self, path: Path, key: str, arrays: Mapping[str, np.ndarray]) -> None:
        try:
            write_atomically(path, lambda f: write_arrays(f, key, arrays))
            component = path.name.rsplit("-", 1)[0]
            prune(path.parent, f"{component}-*.arrays")
            for old in path.parent.glob(f"{component}-*.npz"):  # the format before .arrays
                old.unlink(missing_ok=True)
        except OSError as e:  # a read-only or full disk: the bot runs on, it only builds again next start
            log.warning("could not save the %s index in %s: %s", path.stem, path.parent, e)

"""Recorded answers: staff read an answer into a phone, and workers who read little can listen to it.

An entry names its recordings per language, as a path under the knowledge folder or
with the day it was recorded::

    audio:
      ur: audio/overtime.ur.ogg
      sd: {file: audio/overtime.sd.ogg, recorded: 2026-11-28}

Telegram plays a voice note only if it is OGG with the Opus codec; a phone's own
recorder usually saves M4A, AMR or MP3, which ``ffmpeg`` converts (see ``CONVERT``).
The file is read with mutagen, which parses the Ogg pages and the Opus header and
gives the duration without decoding any audio.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path, PurePosixPath
from typing import Mapping

from bot.knowledge.model import ANSWER_LANGUAGES, Entry, Recording
from bot.knowledge.yamlfile import LineMap, Problem

# Telegram shows a voice note up to 1 MB as a playable waveform; a longer answer is not listened to.
MAX_BYTES = 1024 * 1024
MAX_SECONDS = 180
# WhatsApp shows a voice note up to 512 KB with a play button; a larger one only as a file to download (Meta's
# audio-messages page). At the 24 kbit/s of CONVERT that is about 170 seconds.
WHATSAPP_PLAY_BYTES = 512 * 1024
CONVERT = "ffmpeg -i recording.m4a -c:a libopus -b:a 24k -ac 1 answer.ogg"


def read(root: Path, name: str, item: LineMap, what: str,
         reviewed: dt.date | None) -> tuple[dict[str, Recording], list[Problem]]:
    """The entry's ``audio:`` mapping, with each file under the knowledge folder ``root`` checked: the recordings
    that can be sent, and the problems found (``name`` is the entry file as problems show it)."""
    problems: list[Problem] = []
    error = lambda line, message: problems.append(Problem(name, line, message))
    warn = lambda line, message: problems.append(Problem(name, line, message, "warning"))
    value = item.get("audio")
    if not isinstance(value, LineMap):
        error(item.line_of("audio"), f"{what}: `audio:` needs a language and a file on each line, like `ur: audio/overtime.ur.ogg`")
        return {}, problems
    out = {}
    for lang, spec in value.items():
        at = value.line_of(lang)
        if lang not in ANSWER_LANGUAGES:
            error(at, f"{what}: unknown audio language `{lang}`; use {', '.join(ANSWER_LANGUAGES)}")
            continue
        recording = _recording(spec)
        if recording is None:
            error(at, f"{what}: the {lang} recording must be a file under knowledge/ (audio/x.{lang}.ogg), "
                      "or `{file: ..., recorded: YYYY-MM-DD}`")
            continue
        found = inspect(root / recording.path)
        for severity, message in found:
            (error if severity == "error" else warn)(at, f"{what}: {lang} recording {recording.path}: {message}")
        if any(severity == "error" for severity, _ in found):
            continue
        recorded = recording.recorded or dt.date.fromtimestamp((root / recording.path).stat().st_mtime)
        if reviewed and reviewed > recorded:
            warn(at, f"{what}: the answer was reviewed on {reviewed}, after its {lang} recording "
                     f"({recorded}); listen to it and record it again if the answer changed, then set `recorded:`")
        out[lang] = Recording(recording.path, recorded)
    return out, problems


def _recording(spec: object) -> Recording | None:
    path, recorded = (spec, None) if isinstance(spec, str) else (
        (spec.get("file"), spec.get("recorded")) if isinstance(spec, Mapping) else (None, None))
    if not isinstance(path, str) or not path.strip():
        return None
    if recorded is not None and not isinstance(recorded, dt.date):
        return None
    posix = PurePosixPath(path.strip())
    if posix.is_absolute() or ".." in posix.parts:
        return None
    return Recording(str(posix), recorded)


def inspect(path: Path) -> list[tuple[str, str]]:
    """What is wrong with the file at ``path`` as a Telegram or WhatsApp voice note: (severity, message) pairs."""
    if not path.is_file():
        return [("error", "the file is missing; put it there or remove the line")]
    from mutagen.oggopus import OggOpus  # only when an entry has a recording

    size = path.stat().st_size
    if size > MAX_BYTES:
        return [("error", f"{size / MAX_BYTES:.1f} MB; keep it under 1 MB (record a shorter answer, "
                          "or convert it at 24 kbit/s: " + CONVERT + ")")]
    try:
        length = OggOpus(path).info.length  # type: ignore[attr-defined]  # a parsed file always has info
    except Exception as e:  # noqa: BLE001 - mutagen raises IndexError, struct.error... on malformed pages, not only MutagenError
        return [("error", f"not an OGG/Opus file ({_reason(e)}); Telegram plays only OGG/Opus voice notes. "
                          f"Convert it: {CONVERT}")]
    if length > MAX_SECONDS:
        return [("error", f"{length / 60:.1f} minutes long; keep it under {MAX_SECONDS // 60} minutes")]
    if size > WHATSAPP_PLAY_BYTES:
        return [("warning", f"{size // 1024} KB: WhatsApp plays a voice note only up to {WHATSAPP_PLAY_BYTES // 1024} "
                            "KB and shows a larger one as a file to download; record a shorter answer, or convert it "
                            "at 24 kbit/s: " + CONVERT)]
    return []


def _reason(error: Exception) -> str:
    return str(error).splitlines()[0][:80] or type(error).__name__


def missing(entries: tuple[Entry, ...]) -> dict[str, list[Entry]]:
    """For each language, the entries without a recording in it (for ``kb audio``)."""
    return {lang: [e for e in entries if lang not in e.audio] for lang in ANSWER_LANGUAGES}


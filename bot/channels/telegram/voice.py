"""Recorded answers sent as Telegram voice notes, each file uploaded once.

Telegram answers an upload with a ``file_id`` that sends the same file again
without uploading it. The ids are kept in ``BOT_DATA_DIR/voice-file-ids.json``,
keyed by the file's path and a hash of its content, so a re-recorded answer is
uploaded again and a restart does not upload anything twice. The file holds no
chat or user: only paths, hashes and Telegram's ids for the files.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from telegram import Bot
from telegram.error import BadRequest

log = logging.getLogger(__name__)

CACHE_FILE = "voice-file-ids.json"


class VoiceCache:
    def __init__(self, path: Path, root: Path):
        """``path``: the cache file; ``root``: the knowledge folder the recordings are under."""
        self.path = path
        self.root = root
        self._ids: dict[str, str] = self._read()

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as e:  # unreadable: files are uploaded again, which is all it costs
            log.warning("could not read %s (%s); recordings will be uploaded again", self.path, e)
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _write(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self._ids, indent=1, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as e:
            log.warning("could not save %s (%s); recordings will be uploaded again after a restart", self.path, e)

    def key(self, file: Path) -> str:
        try:
            name = file.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            name = file.name
        return f"{name}:{hashlib.sha256(file.read_bytes()).hexdigest()[:16]}"

    async def send(self, bot: Bot, chat_id: int, file: Path, caption: str | None = None) -> None:
        """Send ``file`` as a voice note: by its cached ``file_id``, else uploaded (and its id kept)."""
        key = self.key(file)
        file_id = self._ids.get(key)
        if file_id:
            try:
                await bot.send_voice(chat_id, voice=file_id, caption=caption)
                return
            except BadRequest as e:  # Telegram no longer knows the id: upload it again
                log.info("a cached voice file id was refused (%s); uploading %s again", e, key)
                self._ids.pop(key, None)
        with file.open("rb") as f:
            sent = await bot.send_voice(chat_id, voice=f, caption=caption, filename=file.name)
        if sent.voice:
            self._ids[key] = sent.voice.file_id
            self._write()

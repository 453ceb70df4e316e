"""Running the real ``main.py`` as a WhatsApp bot against the fake Graph API (tests/fake_whatsapp.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.helpers import free_port
from tests.fake_whatsapp import PHONE_NUMBER_ID, FakeGraph

ROOT = Path(__file__).resolve().parent.parent
VERIFY_TOKEN = "verify-me-7f3a"


def start_bot(fake: FakeGraph, data: Path, **env: str) -> tuple[subprocess.Popen, str]:
    """``main.py`` in its own process group with WhatsApp configured; returns it and its base URL once /healthz
    answers 200. ``fake.bot_url`` is set to its webhook."""
    port = free_port()
    # The session's index cache (tests/conftest.py) stays: a bot that trained its own index would take seconds to start.
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith(("TELEGRAM_", "WHATSAPP_", "BOT_")) or k == "BOT_CACHE_DIR"}
    environ.update({"WHATSAPP_ACCESS_TOKEN": fake.token, "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
                    "WHATSAPP_APP_SECRET": fake.app_secret, "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
                    "WHATSAPP_API_BASE_URL": fake.base_url, "BOT_HTTP_HOST": "127.0.0.1", "BOT_HTTP_PORT": str(port),
                    "BOT_DATA_DIR": str(data), "BOT_WATCH_SECONDS": "0", **env})
    bot = subprocess.Popen([sys.executable, "main.py"], cwd=ROOT, env=environ, start_new_session=True,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while get(url + "/healthz")[0] != 200:
        if bot.poll() is not None:
            raise AssertionError(f"the bot stopped: {bot.stderr.read()[-3000:]}")
        assert time.monotonic() < deadline, "the bot's /healthz never answered 200"
        time.sleep(0.1)
    fake.bot_url = url + "/whatsapp"
    return bot, url


def stop_bot(bot: subprocess.Popen, seconds: float = 20) -> str:
    """SIGTERM, as a service manager stops it; the process must exit 0 in time. Returns its stderr."""
    os.killpg(bot.pid, signal.SIGTERM)
    try:
        _, err = bot.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(bot.pid, signal.SIGKILL)
        raise AssertionError(f"still running {seconds} s after SIGTERM: {bot.communicate()[1][-2000:]}") from None
    assert bot.returncode == 0, err[-3000:]
    return err


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return 0, ""


def health(url: str) -> dict[str, Any]:
    return json.loads(get(url + "/healthz")[1])


def options(message: dict[str, Any]) -> list[tuple[str, str]]:
    """The (title, id) of a message's reply buttons or list rows."""
    inter = message.get("interactive") or {}
    if inter.get("type") == "button":
        return [(b["reply"]["title"], b["reply"]["id"]) for b in inter["action"]["buttons"]]
    if inter.get("type") == "list":
        return [(r["title"], r["id"]) for s in inter["action"]["sections"] for r in s["rows"]]
    return []


def text_of(message: dict[str, Any]) -> str:
    """Everything a worker reads in a message: text body, or header, body and rows' descriptions."""
    if message.get("type") == "text":
        return message["text"]["body"]
    inter = message.get("interactive") or {}
    parts = [(inter.get("header") or {}).get("text", ""), (inter.get("body") or {}).get("text", "")]
    parts += [r.get("description", "") for s in (inter.get("action") or {}).get("sections", []) for r in s["rows"]]
    return "\n".join(parts)

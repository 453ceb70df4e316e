"""Stopping the real bot process: every update already taken is answered or kept, and it exits in seconds (F2)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.fake_telegram import FakeTelegram
from tests.helpers import ROOT, start_bot, stopped_within

def replies(fake: FakeTelegram, chat: int) -> list[str]:
    return [p["text"].split("\n", 1)[0] for p in fake.sent(chat)]


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not on PATH")
def test_sigterm_to_the_uv_process_group_with_a_backlog_loses_nothing(tmp_path):
    fake = FakeTelegram(delay=0.05).start()
    try:
        bot = start_bot(fake, tmp_path, ["uv", "run", "--frozen", "main.py"], BOT_STOP_SECONDS="0.3")
        chats = range(900, 930)
        for question in ("What is the minimum wage?", "how is overtime paid"):
            for chat in chats:
                fake.message(chat, question)
        while not fake.sent():  # the backlog has been taken
            time.sleep(0.01)
        os.killpg(bot.pid, signal.SIGTERM)  # systemd's KillMode=control-group: uv and Python both get it
        err = stopped_within(bot, 10)
        answered = sum(len(fake.sent(chat)) for chat in chats)
        assert "kept" in err and answered < 60, "the test needs a backlog left at the stop"
        assert (tmp_path / "pending-updates.json").is_file()

        bot = start_bot(fake, tmp_path, [sys.executable, "main.py"])  # the kept updates are answered first
        deadline = time.monotonic() + 15
        while sum(len(fake.sent(chat)) for chat in chats) < 60 and time.monotonic() < deadline:
            time.sleep(0.05)
        bot.send_signal(signal.SIGINT)
        stopped_within(bot, 10)
    finally:
        fake.stop()
    for chat in chats:
        assert replies(fake, chat) == ["<b>The minimum wage in Sindh</b>", "<b>Overtime limits and pay</b>"], chat
    assert not (tmp_path / "pending-updates.json").exists()
    assert fake.errors == []


def test_ctrl_c_twice_during_a_backlog_answers_it_and_stops(tmp_path):
    fake = FakeTelegram(delay=0.05).start()
    chats = range(950, 970)
    try:
        bot = start_bot(fake, tmp_path, [sys.executable, "main.py"])
        for chat in chats:
            fake.message(chat, "What is the minimum wage?")
        while not fake.sent():
            time.sleep(0.01)
        bot.send_signal(signal.SIGINT)
        time.sleep(0.2)
        bot.send_signal(signal.SIGINT)  # Ctrl-C pressed twice
        err = stopped_within(bot, 10)
    finally:
        fake.stop()
    assert "still finishing" in err and "Traceback" not in err
    assert all(replies(fake, chat) == ["<b>The minimum wage in Sindh</b>"] for chat in chats)


def test_a_bad_api_address_is_one_line_without_the_token(tmp_path):
    fake = FakeTelegram().start()
    environ = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "BOT_DATA_DIR": str(tmp_path),
               "TELEGRAM_API_BASE_URL": fake.base_url.removesuffix("/bot")}  # the /bot suffix forgotten
    try:
        done = subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60)
    finally:
        fake.stop()
    assert done.returncode != 0
    assert fake.token not in done.stderr and fake.token.split(":")[1] not in done.stderr
    assert "Traceback" not in done.stderr
    assert "TELEGRAM_API_BASE_URL" in done.stderr


def test_without_a_token_under_a_service_manager_the_bot_fails_loudly(tmp_path):
    environ = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"} | {"BOT_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=environ, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "TELEGRAM_BOT_TOKEN is not set" in done.stderr

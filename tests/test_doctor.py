"""``main.py doctor``: each misconfiguration a volunteer can plant is caught and said in plain words with its fix."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.helpers import as_unprivileged_user

from bot import doctor
from bot.knowledge.store import DEFAULT_ROOT

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "7712345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"  # BotFather's shape; not a real token


@pytest.fixture(autouse=True)
def _bundled_kb_checked_once(monkeypatch):
    """The bundled knowledge base is checked once for all tests (a test that breaks one uses its own copy)."""
    monkeypatch.setattr(doctor.kb_check, "check", _cached_check)


_check = doctor.kb_check.check


@functools.lru_cache(maxsize=None)
def _cached_check(root: Path, self_test: bool = True):
    return _check(root, self_test=self_test)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A deployment that passes: a token of the right shape, a writable data folder, the bundled knowledge base."""
    return {"TELEGRAM_BOT_TOKEN": TOKEN, "BOT_DATA_DIR": str(tmp_path / "data"), "BOT_KNOWLEDGE_DIR": str(DEFAULT_ROOT)}


def problems(env: dict[str, str]) -> list[str]:
    return [f"{f.what} Fix: {f.fix}" for f in doctor.diagnose(env, self_test=False).findings if f.level == "problem"]


def test_a_sound_deployment_has_no_problem(env):
    report = doctor.diagnose(env, self_test=False)
    assert report.ok and problems(env) == []
    assert "ok       data folder can be written" in doctor.format_report(report)


def test_settings_that_do_not_parse_are_each_named(env):
    env |= {"BOT_STOP_SECONDS": "six", "BOT_DIGEST_DAY": "someday"}
    assert problems(env) == [
        "a setting does not parse: BOT_DIGEST_DAY must be a weekday (mon, tue, ... sun) or off, not 'someday' Fix: "
        "correct it in the environment file (see the settings table in the README)",
        "a setting does not parse: BOT_STOP_SECONDS must be a number, not 'six' Fix: correct it "
        "in the environment file (see the settings table in the README)"]


@pytest.mark.parametrize("token, hint", [
    ("7712345678", ""),                              # only the bot's number
    ("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", ""),      # the number forgotten
    (f'"{TOKEN}"', " (it has spaces or quotes around it)"),
    (f"{TOKEN} ", " (it has spaces or quotes around it)"),
])
def test_a_token_of_the_wrong_shape_is_caught_without_printing_it(env, token, hint):
    env["TELEGRAM_BOT_TOKEN"] = token
    found = problems(env)
    assert len(found) == 1 and found[0].startswith(f"TELEGRAM_BOT_TOKEN does not look like a Telegram bot token{hint}:")
    assert token.strip('" ') not in found[0] and "@BotFather" in found[0]


def test_no_channel_at_all(env):
    del env["TELEGRAM_BOT_TOKEN"]
    assert problems(env)[0].startswith("no channel is set up")


def test_a_data_folder_that_is_a_file(env, tmp_path):
    Path(env["BOT_DATA_DIR"]).write_text("")
    assert problems(env) == [f"the data folder {tmp_path / 'data'} (BOT_DATA_DIR) is a file, not a folder Fix: make "
                             f"it and give it to the bot's user: `sudo install -d -o nowbot -m 700 {tmp_path / 'data'}` "
                             "(the systemd unit's StateDirectory does this), or set BOT_DATA_DIR to a folder that user "
                             "can write"]


def test_a_data_folder_this_user_cannot_write(env):
    base = Path(tempfile.mkdtemp())  # outside pytest's folder, which only root may enter
    try:
        base.chmod(0o755)
        data = base / "data"
        data.mkdir(mode=0o555)
        env["BOT_DATA_DIR"] = str(data)
        settings, _ = doctor.settings_of(env)
        found = as_unprivileged_user(lambda: [f.what for f in doctor.data_folder(env, settings)])
    finally:
        shutil.rmtree(base)
    assert found == [f"the data folder {data} (BOT_DATA_DIR) cannot be written by this user (Permission denied)"]


def test_a_data_folder_that_cannot_be_made(env):
    env["BOT_DATA_DIR"] = "/proc/nowbot"  # not even root can make a folder there
    assert problems(env)[0].startswith("the data folder /proc/nowbot (BOT_DATA_DIR) does not exist and cannot be made")


@pytest.mark.parametrize("name", ["preferences.key", "queries.daykey", "pending-updates.json"])
def test_key_files_others_can_read(env, name):
    data = Path(env["BOT_DATA_DIR"])
    data.mkdir()
    (data / name).write_text("secret")
    (data / name).chmod(0o644)
    found = problems(env)
    assert len(found) == 1 and found[0].startswith(f"in {data}, {name} (644) can be read by other users")
    assert "chmod 600" in found[0]


def test_a_case_chat_without_a_staff_chat(env):
    env["BOT_CASE_CHAT_ID"] = "-1001234567890"
    warnings = [f.what for f in doctor.diagnose(env, self_test=False).findings if f.level == "warning"]
    assert any(w.startswith("BOT_CASE_CHAT_ID is set but BOT_STAFF_CHAT_IDS is not") for w in warnings)
    env["BOT_STAFF_CHAT_IDS"] = "4242"
    warnings = [f.what for f in doctor.diagnose(env, self_test=False).findings if f.level == "warning"]
    assert not any(w.startswith("BOT_CASE_CHAT_ID") for w in warnings)


def test_unconfirmed_facts_shown_to_workers(env):
    warnings = [f.what for f in doctor.diagnose(env, self_test=False).findings if f.level == "warning"]
    facts = next(w for w in warnings if "unconfirmed fact(s) are shown to workers" in w)
    assert "case_reply_time" in facts  # knowledge/facts.yaml marks it unverified until NOWCommunities confirms it


def test_a_knowledge_base_that_fails_kb_check(env, kb_copy):
    (kb_copy / "entries" / "unions.yaml").write_text("topic: unions\nentries:\n  - id: [\n", encoding="utf-8")
    env["BOT_KNOWLEDGE_DIR"] = str(kb_copy)
    found = problems(env)
    assert len(found) == 1 and found[0].startswith(f"the knowledge base in {kb_copy} fails `kb check` with 1 error(s)")
    assert "unions.yaml" in found[0] and "kb check" in found[0]


@pytest.mark.parametrize("present", [
    ("WHATSAPP_ACCESS_TOKEN",),
    ("WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_VERIFY_TOKEN"),
])
def test_whatsapp_settings_half_set(env, present):
    env |= {name: "x" for name in present}
    found = problems(env)
    assert len(found) == 1 and found[0].startswith(f"WhatsApp is half set up: {', '.join(present)} set but")
    assert "WHATSAPP_APP_SECRET" in found[0]
    env |= {name: "x" for name in doctor.WHATSAPP}
    assert problems(env) == []


@pytest.mark.slow
def test_the_command_exits_1_on_a_problem_and_names_it(tmp_path):
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": "12345", "BOT_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "main.py", "doctor", "--quick"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    assert "PROBLEM  TELEGRAM_BOT_TOKEN does not look like a Telegram bot token" in done.stdout
    assert "1 problem(s)" in done.stdout and "12345" not in done.stdout.replace(str(tmp_path), "")
    env["TELEGRAM_BOT_TOKEN"] = TOKEN
    done = subprocess.run([sys.executable, "main.py", "doctor", "--quick"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and "Ready to start" in done.stdout

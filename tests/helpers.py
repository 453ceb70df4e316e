"""Helpers shared by tests (not fixtures: those are in conftest.py)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from bot.stores.querylog import QueryLog
from tests.fake_telegram import FakeTelegram

UTC = dt.timezone.utc
ROOT = Path(__file__).resolve().parent.parent  # the repository, where main.py is
FIXTURES = Path(__file__).resolve().parent / "fixtures"  # test-only files (two short OGG/Opus recordings)


class Clock:
    """A clock a test sets by hand; the query log reads it for each row."""

    def __init__(self, when: dt.datetime = dt.datetime(2026, 3, 2, 10, tzinfo=UTC)):  # a Monday
        self.now = when

    def __call__(self) -> dt.datetime:
        return self.now


async def ask(log: QueryLog, clock: Clock, when: dt.datetime, n: int, text: str | None, entry: str | None,
              lang: str | None = "ur-Latn", outcome: str = "answered", confidence: float = 0.9,
              helpful: bool | None = None, first_user: int = 0) -> None:
    clock.now = when
    for i in range(n):
        token = log.record(user=first_user + i, channel="telegram", kind="text" if text else "menu", detected_lang=lang,
                           reply_lang=lang or "ur", entry_id=entry,
                           confidence=confidence if entry else 0.05, outcome=outcome if entry else "declined", text=text)
        if helpful is not None:
            log.feedback(token, helpful)


WEEK1 = dt.datetime(2026, 3, 3, 9, tzinfo=UTC)  # Tuesday of the week starting 2026-03-02
WEEK2 = dt.datetime(2026, 3, 11, 15, tzinfo=UTC)  # week starting 2026-03-09


class CollectingLog:
    """Stands in for the query log: keeps what the conversation records, in memory, for a test to read."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.ratings: list[tuple[str, bool]] = []

    def record(self, **row) -> str:
        self.rows.append(row)
        return f"t{len(self.rows)}"

    def feedback(self, token: str, helpful: bool) -> None:
        self.ratings.append((token, helpful))


# Issue 9's bars on the held-out set, reached 2026-11-28 (0.922 right first, 0.894-0.955 per form, 0.873 on
# stories, 0.008 declined, 0.966 out of scope declined or redirected, 0.013 wrong outright). Raise them as the
# bot improves; never lower them to let a change through. (Here, not in test_eval.py: the review tests check
# them too, and no test imports another test module.)
# The danger sets (issue 20): recall is the share of danger messages whose FIRST reply is the emergency message;
# false alarms, the share of near misses that got it. The bars on the held-out half, and the floor it stands
# on now (measured 2026-12-04: recall 0.854, per form 0.806-0.889, false alarms 0.125; after issue 20b: recall 0.903,
# per form 0.889-0.917, false alarms 0.125; after issue 20d: recall 0.910 = 131 of 144, per form 0.889-0.944, false
# alarms 0.125; 2026-12-05, after the whole-message bar and development sets 8 and 9: recall 0.972 = 140 of 144, per
# form 0.944-1.000, false alarms 0.083 = 8 of 96; end of 2026-12-05, development sets 8-16 learnt: recall 0.972, per
# form 0.944-1.000, false alarms 0.073 = 7 of 96), so it can only go up.
DANGER_BARS = {"recall": 0.98, "per_form": 0.95, "false_alarms": 0.05}
DANGER_FLOOR = {"recall": 0.97, "per_form": 0.94, "false_alarms": 0.074}
HELDOUT_BARS = {"top1": 0.92, "stories": 0.85, "declined": 0.05, "abstain": 0.90, "wrong_outright": 0.02, "per_form": 0.88}


def heldout_shortfalls(result: dict) -> list[str]:
    """The held-out bars a question-set summary misses (empty when it meets them all)."""
    checks = {
        "top1": result["top1"] >= HELDOUT_BARS["top1"],
        "stories": result["by_length"][">15"]["top1"] >= HELDOUT_BARS["stories"],
        "declined": result["declined"] <= HELDOUT_BARS["declined"],
        "abstain": result["abstain"] >= HELDOUT_BARS["abstain"],
        "wrong_outright": result["wrong_outright"] <= HELDOUT_BARS["wrong_outright"],
        **{f"per_form {form}": m["top1"] >= HELDOUT_BARS["per_form"] for form, m in result["by_lang"].items()},
    }
    return [name for name, ok in checks.items() if not ok]


# Questions about an experience letter (the service certificate a worker is owed on leaving), which the bundled
# knowledge base declines or answers with the wrong entry: the gap that tests of the review turn into examples of
# termination-notice. (It was a factory closing until the entry workplace-closure answered those.) The fourth
# gives a name: the query log keeps it as "<name>", and no review may copy it.
GAP_QUESTIONS = [("experience letter nahi de rahe", 5), ("company experience letter kab degi", 3),
                 ("naukri chhorne ke baad experience letter nahi mila", 2), ("mera naam Shabana hai experience letter chahiye", 1)]


def start_bot(fake: FakeTelegram, data: Path, command: list[str], **env) -> subprocess.Popen:
    """main.py in its own process group, as a service manager starts it; returns once it polls."""
    environ = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url,
               "BOT_DATA_DIR": str(data), "BOT_WATCH_SECONDS": "0", **env}
    polls = sum(m == "getUpdates" for m, _ in list(fake.calls))
    bot = subprocess.Popen(command, cwd=ROOT, env=environ, start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while sum(m == "getUpdates" for m, _ in list(fake.calls)) <= polls:
        assert bot.poll() is None, bot.stderr.read()
        assert time.monotonic() < deadline, "the bot did not start polling"
        time.sleep(0.05)
    return bot


def stopped_within(bot: subprocess.Popen, seconds: float) -> str:
    try:
        _, err = bot.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(bot.pid, signal.SIGKILL)
        pytest.fail(f"still running {seconds} s after the stop signal: {bot.communicate()[1][-2000:]}")
    assert bot.returncode == 0, err[-2000:]
    return err


def as_unprivileged_user(run):
    """``run()``'s result (a JSON value) as a user without root's right to write anywhere: as root, in a child
    process with nobody's user id."""
    if os.geteuid() != 0:
        return run()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(read)
            os.setgid(65534)
            os.setuid(65534)
            result = json.dumps(run())
        except BaseException as e:
            result = json.dumps(f"the child failed: {e!r}")
        os.write(write, result.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as f:
        out = f.read()
    os.waitpid(pid, 0)
    return json.loads(out)


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_wage(kb_copy, value: int = 42000, write: bool = True) -> bytes:
    """Staff's edit of facts.yaml: a new unskilled minimum wage from 1 July 2026 (``write``: saved in the knowledge
    folder). Returns the new file."""
    path = kb_copy / "facts.yaml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(minimum_wage_unskilled:\n(?:    .*\n)*?)    value: \d+\n    effective: \S+",
                  rf"\g<1>    value: {value}\n    effective: 2026-07-01", text, count=1)
    assert f"value: {value}" in text
    if write:
        path.write_text(text, encoding="utf-8")
    return text.encode()

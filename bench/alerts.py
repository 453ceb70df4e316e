"""An alert to many subscribers through the real Application and the fake Bot API, with a question asked midway.

The knowledge base is copied to a temporary folder; ``--subscribers`` chats follow the unskilled minimum wage;
the figure is raised in the copy, the staff chat sends /reload, gets the preview and presses Send. When a third
of the alert has gone out, a worker asks a question; the bench reports the alert's messages per second (first to
last delivery, as the fake Bot API saw them), the question's wait for its answer, and whether any chat got the
alert twice.

``--sigterm`` runs the bot as its own process (``main.py run``, polling the fake Bot API), sends it SIGTERM when a
third has gone out, starts it again, and checks that every chat got the alert exactly once.

    uv run python bench/alerts.py [--subscribers 10000] [--sigterm]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.knowledge.store import DEFAULT_ROOT  # noqa: E402
from bot.stores.alerts import AlertStore  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402
from tests.telegram_harness import buttons, running  # noqa: E402

STAFF = 4242
WORKER = 77
FIRST = 1_000_000  # subscribers' chat ids: FIRST, FIRST + 1, ...


def raise_wage(knowledge: Path) -> None:
    path = knowledge / "facts.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("value: 40000", "value: 42000", 1), encoding="utf-8")


async def subscribe(path: Path, n: int) -> None:
    store = AlertStore(path)
    await store.open()
    await store.db.executemany("INSERT INTO subscription VALUES ('telegram', ?, 'minimum_wage_unskilled', 'ur')",
                               [(str(chat),) for chat in range(FIRST, FIRST + n)])  # as made over months, at once
    await store.db.commit()
    await store.close()


def alert_deliveries(fake: FakeTelegram) -> list[tuple[float, int]]:
    return [(t, int(p["chat_id"])) for t, m, p in list(fake.delivered)
            if m == "sendMessage" and int(p.get("chat_id", 0)) >= FIRST]


async def until(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        await asyncio.sleep(0.05)


def press_send(fake: FakeTelegram) -> None:
    preview = next(m for m in fake.sent(STAFF) if any(d.startswith("bcast:send:") for _, d in buttons(m)))
    fake.press(STAFF, next(d for _, d in buttons(preview) if d.startswith("bcast:send:")))


def finished(fake: FakeTelegram) -> bool:
    return any("finished" in m["text"] for m in fake.sent(STAFF))


async def in_process(n: int, fake: FakeTelegram, settings: Settings) -> None:
    async with running(settings):
        raise_wage(settings.knowledge_dir)
        fake.message(STAFF, "/reload")
        await until(lambda: any("bcast:send:" in str(m.get("reply_markup")) for m in fake.sent(STAFF)), 120)
        press_send(fake)
        await until(lambda: len(alert_deliveries(fake)) >= n // 3, 60 + n / 10)
        asked = time.monotonic()
        fake.message(WORKER, "minimum wage kitni hai")
        await until(lambda: bool(fake.sent(WORKER)), 60)
        wait = time.monotonic() - asked
        await until(lambda: finished(fake), 60 + n / 10)
    report(fake, n, f"a question asked a third of the way through was answered in {wait:.2f} s")


def bot_process(settings: Settings, log: Path) -> subprocess.Popen:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": settings.token, "TELEGRAM_API_BASE_URL": settings.api_base_url,
           "BOT_DATA_DIR": str(settings.data_dir), "BOT_KNOWLEDGE_DIR": str(settings.knowledge_dir),
           "BOT_STAFF_CHAT_IDS": str(STAFF), "BOT_WATCH_SECONDS": "0", "BOT_DIGEST_DAY": "off"}
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), "run"], env=env, cwd=ROOT,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)


async def with_sigterm(n: int, fake: FakeTelegram, settings: Settings) -> None:
    log = settings.data_dir / "bot.log"
    bot = bot_process(settings, log)
    await until(lambda: any(m == "setMyCommands" for m, _ in fake.calls), 120)
    raise_wage(settings.knowledge_dir)
    fake.message(STAFF, "/reload")
    await until(lambda: any("bcast:send:" in str(m.get("reply_markup")) for m in fake.sent(STAFF)), 120)
    press_send(fake)
    await until(lambda: len(alert_deliveries(fake)) >= n // 3, 60 + n / 10)
    bot.send_signal(signal.SIGTERM)
    bot.wait(60)
    before = len(alert_deliveries(fake))
    print(f"SIGTERM after {before} of {n} alert messages; the bot stopped (exit {bot.returncode}); starting it again")
    bot = bot_process(settings, log)
    try:
        await until(lambda: finished(fake), 120 + n / 10)
    finally:
        bot.send_signal(signal.SIGTERM)
        bot.wait(60)
    report(fake, n, f"stopped by SIGTERM after {before} and resumed")


def report(fake: FakeTelegram, n: int, note: str) -> None:
    got = alert_deliveries(fake)
    per_chat = collections.Counter(chat for _, chat in got)
    twice = sum(1 for c in per_chat.values() if c > 1)
    missing = n - len(per_chat)
    span = got[-1][0] - got[0][0] if len(got) > 1 else 0.0
    final = next((m["text"] for m in fake.sent(STAFF) if "finished" in m["text"]), "")
    print(f"{len(got)} alert messages to {n} subscribers in {span:.1f} s: {len(got) / span if span else 0:.1f} "
          f"messages/s; {twice} chat(s) got it twice, {missing} missed; {note}.\nStaff chat: {final}")


async def main(n: int, sigterm: bool) -> None:
    fake = FakeTelegram().start()
    tmp = Path(tempfile.mkdtemp())
    try:
        knowledge = tmp / "knowledge"
        shutil.copytree(DEFAULT_ROOT, knowledge)
        settings = Settings(token=fake.token, api_base_url=fake.base_url, data_dir=tmp / "data", knowledge_dir=knowledge,
                            staff_chat_ids=frozenset({STAFF}), watch_seconds=0, digest_day="off")
        await subscribe(settings.alerts_path, n)
        await (with_sigterm if sigterm else in_process)(n, fake, settings)
    finally:
        fake.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--sigterm", action="store_true", help="stop the bot process with SIGTERM midway, then resume")
    args = parser.parse_args()
    asyncio.run(main(args.subscribers, args.sigterm))

"""Replies per second from the real bot process, against a Bot API that takes its time.

Starts the fake Telegram Bot API (tests/fake_telegram.py) on loopback with a
delay added to every call, runs ``main.py`` against it as its own process, and
has N chats each send M different questions at once. Prints replies per second
(from the first question to the last reply), the median and worst wait from a
question to its reply, the bot's peak memory (VmHWM), and checks that every
chat got every reply, in the order it asked.

    uv run python bench/load.py                       # 100 chats x 3 questions at 0, 150 and 300 ms
    uv run python bench/load.py --delays 150 --chats 200 --questions 5
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.conversation.answers import respond  # noqa: E402
from bot.knowledge.store import KnowledgeStore  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402

QUESTIONS = [
    "What is the minimum wage?",
    "how is overtime paid",
    "how many days of maternity leave",
    "can my employer fire me without notice",
    "how do I form a union",
    "what is EOBI pension",
]


def expected_titles(store: KnowledgeStore, questions: list[str]) -> list[str]:
    """The bold title that starts the reply to each question (the bench checks replies by it)."""
    titles = []
    for q in questions:
        reply = respond(store, q)
        assert reply.entry_id and reply.match.outcome == "answered", f"bench question not answered outright: {q}"
        titles.append(f"<b>{store.kb.entry(reply.entry_id).title[reply.reply_lang]}</b>")
    return titles


def peak_memory_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def run(delay_ms: float, chats: int, questions: list[str], titles: list[str], timeout: float) -> dict:
    fake = FakeTelegram(delay=delay_ms / 1000).start()
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url,
               "BOT_DATA_DIR": data, "BOT_WATCH_SECONDS": "0"}
        bot = subprocess.Popen([sys.executable, str(ROOT / "main.py")], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while not any(m == "getUpdates" for m, _ in list(fake.calls)):
                if bot.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the bot did not start:\n{bot.stderr.read()}")
                time.sleep(0.05)
            asked: dict[int, list[float]] = {}
            first_chat = 10_000
            for q in questions:  # each chat's first question, then each chat's second ...
                for chat in range(first_chat, first_chat + chats):
                    fake.message(chat, q)
                    asked.setdefault(chat, []).append(time.monotonic())
            start = min(t for ts in asked.values() for t in ts)
            total = chats * len(questions)
            deadline = time.monotonic() + timeout
            while len(fake.delivered) < total and time.monotonic() < deadline and bot.poll() is None:
                time.sleep(0.05)
            memory = peak_memory_kb(bot.pid) if bot.poll() is None else 0
        finally:
            bot.send_signal(signal.SIGTERM)
            try:
                bot.wait(15)
            except subprocess.TimeoutExpired:
                bot.kill()
            fake.stop()
    replies: dict[int, list[tuple[float, str]]] = {}
    for at, _, p in list(fake.delivered):
        replies.setdefault(int(p["chat_id"]), []).append((at, p["text"]))
    waits, out_of_order, missing = [], 0, 0
    for chat, times in asked.items():
        got = replies.get(chat, [])
        missing += max(0, len(times) - len(got))
        if [text.split("\n", 1)[0] for _, text in got] != titles[:len(got)]:
            out_of_order += 1
        waits += [at - asked_at for (at, _), asked_at in zip(got, times)]
    last = max((at for got in replies.values() for at, _ in got), default=start)
    delivered = sum(len(g) for g in replies.values())
    return {"delay_ms": delay_ms, "replies": delivered, "expected": total, "missing": missing,
            "out_of_order_chats": out_of_order, "seconds": last - start,
            "replies_per_s": delivered / (last - start) if last > start else 0.0,
            "median_wait": statistics.median(waits) if waits else float("nan"), "worst_wait": max(waits, default=float("nan")),
            "peak_mb": memory / 1024, "refused": len(fake.errors), "exit_code": bot.returncode}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--delays", default="0,150,300", help="milliseconds added to every Bot API call, comma-separated")
    ap.add_argument("--chats", type=int, default=100)
    ap.add_argument("--questions", type=int, default=3, help=f"questions per chat (at most {len(QUESTIONS)})")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for all replies")
    args = ap.parse_args()
    questions = QUESTIONS[:args.questions]
    titles = expected_titles(KnowledgeStore(ROOT / "knowledge"), questions)
    print(f"{args.chats} chats x {len(questions)} questions, all sent at once; the real main.py polling the fake Bot API")
    ok = True
    for delay in (float(d) for d in args.delays.split(",")):
        r = run(delay, args.chats, questions, titles, args.timeout)
        print(f"delay {r['delay_ms']:>4.0f} ms: {r['replies']}/{r['expected']} replies in {r['seconds']:.1f} s = "
              f"{r['replies_per_s']:.1f} replies/s; wait median {r['median_wait']:.2f} s, worst {r['worst_wait']:.2f} s; "
              f"peak memory {r['peak_mb']:.0f} MB; chats out of order {r['out_of_order_chats']}; "
              f"missing {r['missing']}; refused calls {r['refused']}; exit code {r['exit_code']}")
        ok &= r["missing"] == 0 and r["out_of_order_chats"] == 0 and r["refused"] == 0
    print("every chat got every reply, in the order asked" if ok else "FAILED: replies missing, refused or out of order")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Replies per second from the real bot process on WhatsApp, against a Graph API that takes its time.

Starts the fake Graph API (tests/fake_whatsapp.py) on loopback with a delay added to every call, runs
``main.py`` with WhatsApp configured as its own process, and has N users each send M different questions
(signed webhooks, all at once). Prints answers per second (from the first question to the last answer), the
median and worst wait from a question to its answer, and checks that every user got every answer, in the
order asked, and that Meta's limits refused nothing. A first message also gets the language picker, so each
user receives M + 1 messages.

    uv run python bench/whatsapp_load.py                  # 100 users x 3 questions at 150 ms per Graph call
    uv run python bench/whatsapp_load.py --delays 0,150,300 --chats 200
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import QUESTIONS  # noqa: E402
from bot.conversation.answers import respond  # noqa: E402
from bot.knowledge.store import KnowledgeStore  # noqa: E402
from tests.fake_whatsapp import FakeGraph  # noqa: E402
from tests.whatsapp_harness import start_bot, stop_bot, text_of  # noqa: E402


def expected_titles(store: KnowledgeStore, questions: list[str]) -> list[str]:
    titles = []
    for q in questions:
        reply = respond(store, q)
        assert reply.entry_id and reply.match.outcome == "answered", f"bench question not answered outright: {q}"
        titles.append(store.kb.entry(reply.entry_id).title[reply.reply_lang])
    return titles


def run(delay_ms: float, chats: int, questions: list[str], titles: list[str], timeout: float) -> dict:
    fake = FakeGraph(delay=delay_ms / 1000).start()
    users = [{"phone": f"92300{n:07d}", "name": f"Load {n}"} for n in range(chats)]
    with tempfile.TemporaryDirectory() as data:
        bot, _url = start_bot(fake, Path(data))
        try:
            asked: dict[str, list[float]] = {u["phone"]: [] for u in users}

            def ask(user: dict[str, str], question: str) -> None:
                asked[user["phone"]].append(time.monotonic())
                status, _ = fake.text(user, question)
                assert status == 200, status

            with ThreadPoolExecutor(8) as pool:  # Meta delivers webhooks concurrently too
                for q in questions:  # each user's first question, then each user's second ...
                    list(pool.map(lambda u, q=q: ask(u, q), users))
            start = min(t for ts in asked.values() for t in ts)
            total = chats * (len(questions) + 1)
            deadline = time.monotonic() + timeout
            while len(fake.sent) < total and time.monotonic() < deadline and bot.poll() is None:
                time.sleep(0.05)
        finally:
            err = stop_bot(bot)
            fake.stop()
    problems = [line for line in err.splitlines() if " ERROR " in line or " WARNING " in line]
    if problems:  # the whole log, tracebacks and all, for a look
        log_file = Path(tempfile.mkdtemp(prefix="whatsapp-load-")) / "bot.log"
        log_file.write_text(err, encoding="utf-8")
        problems.append(f"the bot's whole log: {log_file}")
    waits, out_of_order, missing, answers, last = [], 0, 0, 0, start
    for user in users:
        got = [m for m in fake.sent if m["user"] == user["phone"]][1:]  # the language picker first
        missing += max(0, len(questions) - len(got))
        if [t for t, m in zip(titles, got) if t not in text_of(m)]:
            out_of_order += 1
        waits += [m["at"] - at for m, at in zip(got, asked[user["phone"]])]
        answers += len(got)
        last = max([last] + [m["at"] for m in got])
    refused = [code for code, _ in fake.refused]
    return {"delay_ms": delay_ms, "answers": answers, "expected": chats * len(questions), "missing": missing,
            "out_of_order": out_of_order, "seconds": last - start,
            "per_s": answers / (last - start) if last > start else 0.0,
            "median_wait": statistics.median(waits) if waits else float("nan"),
            "worst_wait": max(waits, default=float("nan")), "refused": refused, "messages": len(fake.sent),
            "problems": problems}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--delays", default="150", help="milliseconds added to every Graph API call, comma-separated")
    ap.add_argument("--chats", type=int, default=100)
    ap.add_argument("--questions", type=int, default=3, help=f"questions per user (at most {len(QUESTIONS)})")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for all answers")
    args = ap.parse_args()
    questions = QUESTIONS[:args.questions]
    titles = expected_titles(KnowledgeStore(ROOT / "knowledge"), questions)
    print(f"{args.chats} WhatsApp users x {len(questions)} questions, signed webhooks all at once; the real main.py "
          "against the fake Graph API")
    ok = True
    for delay in (float(d) for d in args.delays.split(",")):
        r = run(delay, args.chats, questions, titles, args.timeout)
        print(f"delay {r['delay_ms']:>4.0f} ms: {r['answers']}/{r['expected']} answers ({r['messages']} messages with "
              f"the pickers) in {r['seconds']:.1f} s = {r['per_s']:.1f} answers/s; wait median {r['median_wait']:.2f} s, "
              f"worst {r['worst_wait']:.2f} s; users out of order {r['out_of_order']}; missing {r['missing']}; "
              f"refused calls {len(r['refused'])}")
        for line in r["problems"][:5]:  # what the bot itself logged as going wrong
            print("  bot:", line)
        ok &= r["missing"] == 0 and r["out_of_order"] == 0 and not r["refused"]
    print("every user got every answer, in the order asked" if ok else "FAILED: answers missing, refused or out of order")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

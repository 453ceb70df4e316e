"""The query log's cost: rows written per second, the latency it adds to a reply, and report time.

1. Rows per second: questions recorded through ``QueryLog.record`` (scrubbing
   included) and written in batches to SQLite.
2. Added reply latency: the conversation answering the question set with and
   without the log; the log's share is all the reply waits for (rows are only queued).
3. ``main.py report`` over one million generated rows (tables, HTML and CSV),
   and ``main.py gaps`` over the same log.

    uv run python bench/log.py [--rows 100000] [--report-rows 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import datetime as dt
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import cli  # noqa: E402
from bot.conversation.dialogue import Conversation  # noqa: E402
from bot.research.evaluation import load_items  # noqa: E402
from bot.knowledge.store import KnowledgeStore  # noqa: E402
from bot.stores.preferences import Preferences  # noqa: E402
from bot.stores.querylog import MIGRATIONS, QueryLog  # noqa: E402
from bot.stores.sqlite import migrate  # noqa: E402

QUESTIONS = Path(__file__).resolve().parent.parent / "tests" / "eval" / "questions.yaml"


async def rows_per_second(path: Path, n: int, texts: list[str]) -> float:
    # Queue everything, then write it in one transaction (as on shutdown): the time covers both.
    log = QueryLog(path, flush_seconds=3600, batch_size=n + 1, max_pending=n + 1)
    await log.start()
    start = time.perf_counter()
    for i in range(n):
        log.record(user=i % 3000, channel="telegram", kind="text", detected_lang="ur-Latn", reply_lang="ur-Latn",
                   entry_id="overtime", confidence=0.8, outcome="answered", text=texts[i % len(texts)])
    await log.close()
    elapsed = time.perf_counter() - start
    assert log.stats.written == n, log.stats
    return n / elapsed


async def added_latency(path: Path, texts: list[str], rounds: int = 3) -> tuple[float, float, float]:
    store = KnowledgeStore()
    prefs = Preferences(":memory:")
    await prefs.open()
    log = QueryLog(path)
    await log.start()
    timings = {}
    t0 = time.perf_counter()
    for i, text in enumerate(texts * rounds):
        log.record(user=i, channel="telegram", kind="text", detected_lang="ur", reply_lang="ur", entry_id=None,
                   confidence=0.1, outcome="declined", text=text)
    timings["record"] = (time.perf_counter() - t0) / (len(texts) * rounds) * 1000
    for name, conv in (("without", Conversation(store, prefs)), ("with", Conversation(store, prefs, log=log))):
        times = []
        for _ in range(rounds):
            for i, text in enumerate(texts):
                t0 = time.perf_counter()
                await conv.text(i, i, text)
                times.append(time.perf_counter() - t0)
        timings[name] = statistics.mean(times) * 1000
    await log.close()
    await prefs.close()
    return timings["without"], timings["with"], timings["record"]


def generate(path: Path, n: int, kb, texts: list[str]) -> None:
    rng = random.Random(3)
    entries = [(e.id, e.topic) for e in kb.entries]
    forms = ["ur-Latn"] * 4 + ["ur"] * 3 + ["sd"] * 2 + ["en", None]
    start = dt.datetime(2026, 1, 1)
    db = sqlite3.connect(path)
    asyncio.run(_migrate(path))

    def rows():
        for i in range(n):
            t = start + dt.timedelta(minutes=i * 480_000 / n)
            outcome = rng.choices(["answered", "suggested", "declined"], [80, 12, 8])[0]
            entry, topic = rng.choice(entries) if outcome != "declined" else (None, None)
            form = rng.choice(forms)
            yield (f"{i:012x}", t.strftime("%Y-%m-%d %H:00"), t.strftime("%Y-%m-%d"), "telegram", "menu" if form is None else "text",
                   form, form or "ur", entry, topic, round(rng.random(), 3), outcome,
                   rng.choice([None, None, 1, 0]), None if form is None else f"{rng.choice(texts)} {rng.randrange(50)}",
                   f"{rng.randrange(4000):016x}")

    db.executemany("INSERT INTO queries (token, hour, day, channel, kind, lang_form, reply_lang, entry_id, topic, confidence, "
                   "outcome, helpful, text, user_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows())
    db.commit()
    db.close()


async def _migrate(path: Path) -> None:
    import aiosqlite

    async with aiosqlite.connect(path) as db:
        await migrate(db, MIGRATIONS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--report-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    texts = [item.text for item in load_items(QUESTIONS)]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rps = asyncio.run(rows_per_second(tmp / "rows.sqlite3", args.rows, texts))
        print(f"rows written: {rps:,.0f} rows/s ({args.rows:,} rows, scrubbing included)")
        without, with_log, record = asyncio.run(added_latency(tmp / "latency.sqlite3", texts))
        print(f"reply latency: {without:.3f} ms without the log, {with_log:.3f} ms with it ({with_log - without:+.3f} ms); "
              f"QueryLog.record itself, the only part on the reply path: {record:.3f} ms")
        kb = KnowledgeStore().kb
        t0 = time.perf_counter()
        generate(tmp / "queries.sqlite3", args.report_rows, kb, texts)
        gen = time.perf_counter() - t0
        os.environ["BOT_DATA_DIR"] = str(tmp)
        with contextlib.redirect_stdout(io.StringIO()):
            t0 = time.perf_counter()
            cli.main(["report", "--out", str(tmp / "report.html")])
            took = time.perf_counter() - t0
            t0 = time.perf_counter()
            cli.main(["gaps"])
            gaps = time.perf_counter() - t0
        print(f"main.py report over {args.report_rows:,} rows: {took:.1f} s; main.py gaps: {gaps:.1f} s "
              f"(rows generated in {gen:.1f} s)")

if __name__ == "__main__":
    main()

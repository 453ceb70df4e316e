"""Matching speed: p50/p99 latency per question and questions per second.

Runs on the bundled knowledge base and on generated ones of 500 and 2,000 entries
(built from the bundled vocabulary, 16 examples each), with the same question
mix: every example of the bundled base and the project's question set. For each,
the time to build the index (training, no cache), the index's size (its arrays)
and the process's resident memory after building it.

    uv run python bench/matcher.py [--entries 500 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.conversation.answers import respond  # noqa: E402
from bot.research.evaluation import load_items  # noqa: E402
from bot.knowledge.model import Entry, KnowledgeBase, Source  # noqa: E402
from bot.knowledge.store import DEFAULT_ROOT, KnowledgeStore, Loaded  # noqa: E402
from bot.understanding.matcher import Matcher  # noqa: E402

QUESTIONS = Path(__file__).resolve().parent.parent / "tests" / "eval" / "questions.yaml"


def generated(kb: KnowledgeBase, n: int, seed: int = 7) -> KnowledgeBase:
    rng = random.Random(seed)
    vocab: dict[str, list[str]] = {}
    for e in kb.entries:
        for form, qs in e.examples.items():
            vocab.setdefault(form, []).extend(w for q in qs for w in q.split())
    entries = []
    for i in range(n):
        examples = {form: tuple(" ".join(rng.choices(words, k=rng.randint(3, 9))) for _ in range(4)) for form, words in vocab.items()}
        title = {lang: " ".join(rng.choices(vocab[lang], k=4)) for lang in ("en", "ur", "sd")}
        entries.append(Entry(id=f"generated-{i}", topic="wages", title=title, answer=title, examples=examples,
                             sources=(Source("generated", "s.1"),), verified=True))
    return KnowledgeBase(topics=kb.topics, entries=tuple(entries), facts=kb.facts)


def measure(store: KnowledgeStore, questions: list[str], rounds: int) -> tuple[float, float, float, float]:
    """(p50, p99 of wall time, p99 of this thread's CPU time, questions per second). On a shared machine the wall
    time counts the moments another process had the CPU; the CPU time is what answering costs."""
    for q in questions[:50]:  # warm-up
        respond(store, q)
    times, cpu = [], []
    start = time.perf_counter()
    for _ in range(rounds):
        for q in questions:
            t0, c0 = time.perf_counter(), time.thread_time()
            respond(store, q)
            cpu.append(time.thread_time() - c0)
            times.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    times.sort()
    cpu.sort()
    p50 = statistics.median(times) * 1000
    p99 = times[int(len(times) * 0.99)] * 1000
    return p50, p99, cpu[int(len(cpu) * 0.99)] * 1000, len(times) / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, nargs="*", default=[500, 2000], help="sizes of the generated bases")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    store = KnowledgeStore(DEFAULT_ROOT)
    questions = [q for e in store.kb.entries for qs in e.examples.values() for q in qs]
    questions += [item.text for item in load_items(QUESTIONS)]
    print(f"{len(questions)} questions x {args.rounds} rounds")

    bundled = store.kb
    for kb in [bundled] + [generated(bundled, n) for n in args.entries]:
        t0 = time.perf_counter()
        store.current = Loaded(kb, Matcher(kb), store.danger)  # the danger check is not timed here
        build = time.perf_counter() - t0
        p50, p99, cpu99, qps = measure(store, questions, args.rounds)
        size = sum(a.nbytes for a in store.matcher.index.values()) / 2**20
        name = "bundled" if kb is bundled else "generated"
        print(f"{name:<9} ({len(kb.entries):>5} entries): p50 {p50:.3f} ms  p99 {p99:.3f} ms (CPU p99 {cpu99:.3f} ms)  {qps:,.0f} questions/s  "
              f"index built in {build:.1f} s, {size:.0f} MB of arrays; process resident {resident_mb():.0f} MB")


def resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


if __name__ == "__main__":
    main()

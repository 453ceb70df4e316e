"""Start-up time: staff commands and the bot, against a bare Python start, in one run.

Each figure is the median of ``--runs`` runs, as a ratio to a bare ``python -c "import numpy, yaml, babel"``
measured in the same run (the machine is shared: compare ratios, not seconds):

- ``main.py ask`` with the index cache filled (its first run fills it, and is not counted);
- ``main.py kb check`` (its leave-one-out self-test included);
- the bot's first answer: ``main.py`` started against the fake Bot API (tests/fake_telegram.py) with a
  question already waiting; seconds from starting the process to the answer's delivery.

The index cache is a temporary folder: the first ``ask`` trains and saves the index, every later start loads it.
Python writes its bytecode caches (``__pycache__``) as on a deployed bot, even where the environment says
``PYTHONDONTWRITEBYTECODE``; ``--no-bytecode`` measures every start compiling every module it imports.

    uv run python bench/start.py [--runs 3]
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

from tests.fake_telegram import FakeTelegram

QUESTION = "what is the minimum wage"
BOUNDS = {"ask": 2.0, "kb check": 3.0}  # the bounds, as ratios to the bare start
FIRST_ANSWER_SECONDS = 2.0


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def first_answer(env: dict[str, str]) -> float:
    """Seconds from starting the bot to the delivery of its answer to a question waiting for it."""
    fake = FakeTelegram().start()
    fake.message(4242, QUESTION)
    bot_env = {**env, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url, "BOT_WATCH_SECONDS": "0"}
    start = time.monotonic()
    bot = subprocess.Popen([sys.executable, str(ROOT / "main.py")], cwd=ROOT, env=bot_env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = start + 60
        while not fake.sent(4242):
            if bot.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the bot did not answer:\n{bot.stderr.read() if bot.stderr else ''}")
            time.sleep(0.005)
        return min(at for at, method, p in list(fake.delivered) if int(p.get("chat_id", 0)) == 4242) - start
    finally:
        bot.send_signal(signal.SIGTERM)
        try:
            bot.wait(15)
        except subprocess.TimeoutExpired:
            bot.kill()
        fake.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="runs of each measurement (the median counts)")
    ap.add_argument("--no-bytecode", action="store_true", help="keep PYTHONDONTWRITEBYTECODE as the environment sets it")
    args = ap.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as data:
        dropped = ("BOT_CACHE_DIR", "TELEGRAM_BOT_TOKEN") + (() if args.no_bytecode else ("PYTHONDONTWRITEBYTECODE",))
        env = {k: v for k, v in os.environ.items() if k not in dropped}
        env["BOT_DATA_DIR"] = data
        fill = timed([py, "main.py", "ask", QUESTION], env)
        timed([py, "main.py", "kb", "check"], env)
        first_answer(env)
        print(f"first ask (trains and saves the index): {fill:.2f} s; bytecode written: {not args.no_bytecode}")
        bare, ask, check, answer = [], [], [], []
        for _ in range(args.runs):  # interleaved, so a busy moment weighs on every measure alike
            bare.append(timed([py, "-c", "import numpy, yaml, babel"], env))
            ask.append(timed([py, "main.py", "ask", QUESTION], env))
            check.append(timed([py, "main.py", "kb", "check"], env))
            answer.append(first_answer(env))
    base = statistics.median(bare)
    ratios = {"ask": statistics.median(ask) / base, "kb check": statistics.median(check) / base}
    first = statistics.median(answer)
    print(f"bare python -c 'import numpy, yaml, babel': {base:.2f} s (median of {args.runs})")
    ok = True
    for name, ratio in ratios.items():
        seconds = statistics.median(ask if name == "ask" else check)
        within = ratio <= BOUNDS[name]
        ok &= within
        print(f"main.py {name:<9} (cached): {seconds:.2f} s = {ratio:.2f} x bare  (bound {BOUNDS[name]:.0f} x: "
              f"{'ok' if within else 'OVER'})")
    ok &= first <= FIRST_ANSWER_SECONDS
    print(f"bot's first answer: {first:.2f} s after starting = {first / base:.2f} x bare  "
          f"(bound {FIRST_ANSWER_SECONDS:.0f} s: {'ok' if first <= FIRST_ANSWER_SECONDS else 'OVER'})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

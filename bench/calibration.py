"""When to answer outright: answered-right against answered-wrong for each confidence threshold, on tuning sets.

A message the matcher is unsure of gets "Did you mean" buttons; above ``Thresholds.answer`` (``story_answer`` for a
message over ``story_words`` words) it is answered outright. A lower threshold answers more workers at once, and
answers more of them wrongly. This prints, for each threshold, the share of in-scope questions answered outright
with a right entry and the share of all questions answered outright with a wrong one (``eval``'s answered_right and
wrong_outright), with the other threshold held at its current value, so staff can read the curve and choose.

Each message is matched once: the outcome at another threshold follows from its best confidence and whether the
runner-up is too close (the ambiguity rule), which the threshold does not change. Only tuning sets belong here:
a held-out set is measured with ``main.py eval --summary``, never used to choose.

    uv run python bench/calibration.py [FILE ...] [--from 0.20] [--to 0.40] [--step 0.02]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.conversation.answers import respond  # noqa: E402
from bot.knowledge.store import KnowledgeStore  # noqa: E402
from bot.research.evaluation import Item, load_items  # noqa: E402
from bot.understanding.matcher import Thresholds  # noqa: E402

EVAL = Path(__file__).resolve().parent.parent / "tests" / "eval"
TUNING = [EVAL / "questions.yaml", EVAL / "realtext.yaml"]
# The bar wrong answers must stay under on every set, held-out ones included (issue 25).
WRONG_BAR = 0.02


@dataclass(frozen=True)
class Scored:
    """One question as the matcher saw it: what a threshold decides, and whether the first entry is right."""

    in_scope: bool
    story: bool
    offered: bool  # answered or suggested at the current thresholds (declines do not depend on the answer threshold)
    confidence: float
    close_call: bool
    right: bool


def score(store: KnowledgeStore, items: list[Item]) -> list[Scored]:
    t = store.matcher.thresholds
    scored = []
    for item in items:
        match = respond(store, item.text).match
        offered = match.outcome in ("answered", "suggested") and match.best is not None
        best = match.best.confidence if match.best else 0.0
        runner_up = match.alternatives[0].confidence if match.alternatives else 0.0
        scored.append(Scored(bool(item.expect), len(item.text.split()) > t.story_words, offered, best,
                             bool(match.alternatives) and runner_up >= best * t.ambiguity,
                             match.entry_id in item.expect))
    return scored


def shares(scored: list[Scored], answer: float, story_answer: float) -> tuple[float, float]:
    """(answered right of in-scope questions, answered wrong of all questions) at these thresholds."""
    answered = [s for s in scored if s.offered and not s.close_call
                and s.confidence >= (story_answer if s.story else answer)]
    in_scope = sum(s.in_scope for s in scored) or 1
    right = sum(s.right for s in answered)
    return right / in_scope, (len(answered) - right) / (len(scored) or 1)


def curve(name: str, scored: list[Scored], steps: list[float], current: Thresholds) -> list[str]:
    lines = [f"{name} ({len(scored)} questions, {sum(s.story for s in scored)} over {current.story_words} words)",
             f"  {'threshold':>9}  {'answer: right':>13} {'wrong':>6}   {'story_answer: right':>19} {'wrong':>6}"]
    for t in steps:
        short = shares(scored, t, current.story_answer)
        story = shares(scored, current.answer, t)
        mark = lambda wrong: "!" if wrong > WRONG_BAR else " "  # noqa: E731 (a one-line helper)
        now = " <- answer" if abs(t - current.answer) < 1e-9 else ""
        now += " <- story_answer" if abs(t - current.story_answer) < 1e-9 else ""
        lines.append(f"  {t:9.2f}  {short[0]:13.3f} {short[1]:6.3f}{mark(short[1])}  "
                     f"{story[0]:19.3f} {story[1]:6.3f}{mark(story[1])}{now}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, default=TUNING)
    parser.add_argument("--from", dest="low", type=float, default=0.20)
    parser.add_argument("--to", dest="high", type=float, default=0.40)
    parser.add_argument("--step", type=float, default=0.02)
    args = parser.parse_args(argv)
    store = KnowledgeStore()
    current = store.matcher.thresholds
    steps = [round(args.low + i * args.step, 4) for i in range(int(round((args.high - args.low) / args.step)) + 1)]
    steps = sorted(set(steps) | {current.answer, current.story_answer})
    print(f"Answered right (of in-scope) and answered wrong (of all) as each threshold varies, the other held at its "
          f"current value; ! marks wrong over {WRONG_BAR}.\n")
    for path in args.files:
        print("\n".join(curve(path.name, score(store, load_items(path)), steps, current)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

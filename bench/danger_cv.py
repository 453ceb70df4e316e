"""How the danger detector does on a writer it has never read: leave-one-set-out over danger-messages.yaml.

``knowledge/danger-messages.yaml`` holds several development sets, each written by a different writer (its sections
start "# -- development set N"). For each set in turn, the detector is trained without that set's messages and
scored on them: recall (danger messages it alarms on) and false alarms (near misses it alarms on), split into what
the cues found and what the classifier found. The cues and guards were written while reading these sets, so the
figures flatter the cues; the classifier's part is honest. Use it to choose the classifier's settings (threshold,
weights): a held-out set is measured with ``main.py eval --summary``, never used to choose.

    uv run python bench/danger_cv.py [--threshold 0.8 0.7 ...]
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.knowledge.loader import load_knowledge  # noqa: E402
from bot.understanding.danger import THRESHOLD, DangerDetector  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
_SECTION = re.compile(r"^# -- (development set \d+)")


def sections(path: Path) -> list[tuple[str, int]]:
    """Each section's name and first line, in file order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(m.group(1), n) for n, line in enumerate(lines, 1) if (m := _SECTION.match(line))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failures", action="store_true", help="print each missed message and false alarm")
    parser.add_argument("--threshold", type=float, nargs="*", help="classifier thresholds to compare (default: the detector's)")
    args = parser.parse_args()
    kb = load_knowledge(ROOT / "knowledge")
    parts = sections(ROOT / "knowledge" / "danger-messages.yaml")
    bounds = [(name, start, parts[i + 1][1] if i + 1 < len(parts) else 10**9) for i, (name, start) in enumerate(parts)]
    thresholds = args.threshold or [THRESHOLD]
    totals = {t: [0] * 7 for t in thresholds}  # danger, hit, hit by cue, by the classifier, near, false alarm, by cue
    for name, start, end in bounds:
        held = [m for m in kb.danger.messages if start <= m.line < end]
        kept = tuple(m for m in kb.danger.messages if not start <= m.line < end)
        detector = DangerDetector(replace(kb, danger=replace(kb.danger, messages=kept)))
        for t in thresholds:
            detector.threshold = t
            alarms = [(m, detector.check(m.text), detector.score(m.text) >= t) for m in held]
            danger = [(a, model) for m, a, model in alarms if m.in_danger]
            near = [(a, model) for m, a, model in alarms if not m.in_danger]
            row = [len(danger), sum(a is not None for a, _ in danger), sum(a is not None and a.cue is not None for a, _ in danger),
                   sum(model for _, model in danger), len(near), sum(a is not None for a, _ in near),
                   sum(a is not None and a.cue is not None for a, _ in near)]
            totals[t] = [x + y for x, y in zip(totals[t], row)]
            print(_line(name, t, row), f"({row[0]} danger, {row[4]} near)")
            if args.failures:  # under the line of the set they belong to
                for m, a, _ in alarms:
                    if m.in_danger != (a is not None):
                        what = f"missed ({'/'.join(m.kinds)})" if m.in_danger else f"false alarm ({a.kind}, cue {a.cue!r})"
                        print(f"  [{m.lang}] {what}: {m.text}")
    for t, row in totals.items():
        print(_line("all", t, row))


def _line(name: str, t: float, row: list[int]) -> str:
    n, hit, cue, model, near, fa, fa_cue = row
    return (f"{name:<18} t={t:.2f}  recall {hit / n:.3f} (cues {cue / n:.3f}, classifier {model / n:.3f})  "
            f"false alarms {fa / max(near, 1):.3f} (cues {fa_cue / max(near, 1):.3f})")


if __name__ == "__main__":
    main()

"""Rewind: what a long run's checkpoints take, and the slowest seek.

python -m bench.rewind [--steps 100000] [--per-frame 10] [--budget-mb 8] [--labs beans,neuron]

Each lab (default params) trains ``--steps`` updates, checkpointed as a session does
after each frame of ``--per-frame`` updates, under the per-session budget
(``DESCENT_REWIND_BUDGET_MB``). Printed: the checkpoints kept, the stride between
them, the memory they take, and the worst seek: to the step just before the end of
the widest gap between two checkpoints, which replays the most updates.
"""

from __future__ import annotations

import argparse
import itertools
import time
from typing import Any

from engine.labs import registry
from engine.rewind import Timeline


def run(lab_id: str, steps: int, per_frame: int, budget: int) -> dict[str, Any]:
    cls = registry()[lab_id]
    lab = cls(cls.Params())
    timeline = Timeline(budget)
    timeline.note(lab, lab.frame())
    start = time.perf_counter()
    noting = 0.0
    while lab.steps < steps and not lab.diverged:
        lab.step(min(per_frame, steps - lab.steps))
        t0 = time.perf_counter()
        timeline.note(lab)
        noting += time.perf_counter() - t0
    train = time.perf_counter() - start
    points = [p.step for p in timeline.points]
    gaps = sorted(itertools.pairwise([*points, lab.steps]), key=lambda g: g[1] - g[0])
    worst = 0.0
    for a, b in gaps[-3:]:  # the widest gaps: a seek to just before each end replays most
        target = max(a, b - 1)
        t0 = time.perf_counter()
        timeline.seek(lab, target)
        worst = max(worst, time.perf_counter() - t0)
    widest = gaps[-1][1] - gaps[-1][0]
    return {
        "lab": lab_id,
        "steps": lab.steps,
        "checkpoints": len(points),
        "stride": timeline.stride,
        "widest gap": widest,
        "MB": timeline.nbytes / 2**20,
        "note ms": noting / max(1, lab.steps // per_frame) * 1000,
        "worst seek ms": worst * 1000,
        "train s": train,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--per-frame", type=int, default=10)
    parser.add_argument("--budget-mb", type=float, default=8.0)
    parser.add_argument("--labs", default=",".join(registry()))
    args = parser.parse_args()
    budget = int(args.budget_mb * 2**20)
    print(f"{args.steps} steps, a checkpoint due after each {args.per_frame}, "
          f"budget {args.budget_mb:g} MB")  # fmt: skip
    head = ["lab", "steps", "checkpoints", "stride", "widest gap", "MB", "note ms",
            "worst seek ms", "train s"]  # fmt: skip
    print("  ".join(f"{h:>13}" for h in head))
    for lab_id in args.labs.split(","):
        row = run(lab_id, args.steps, args.per_frame, budget)
        print("  ".join(f"{row[h]:>13.2f}" if isinstance(row[h], float) else f"{row[h]:>13}"
                        for h in head))  # fmt: skip


if __name__ == "__main__":
    main()

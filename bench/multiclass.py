"""CPU per frame of a 3-class circles session against a binary one.

python -m bench.multiclass [--frames 300]

A playing session's frame: 2 updates (the default speed), the frame (metrics on
every point, the boundary when due) and its JSON. Both runs use the same
network (2 → 25 → 50 → 50 → 25 → k), 400 points and a 48² boundary; the
binary one on two circles, the 3-class one on the 3-arm spiral (softmax, one
more output unit, per-class accuracy, the top class and its confidence). The
mean over ``--frames`` frames from a fresh start, and over as many after 3000
updates, in ms; and the mean JSON bytes per frame. Single-threaded BLAS, as on
a classroom server with one core per session (see bench/__init__.py).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from app.protocol import encode
from engine.labs.circles import Circles, CirclesParams

RUNS = {"binary (circles)": {}, "3 classes (arms)": {"dataset": "arms", "classes": 3}}


def frames(lab: Circles, count: int) -> tuple[float, float]:
    """Mean CPU ms and JSON bytes of ``count`` playing frames (2 updates, frame, encode)."""
    size = 0
    start = time.process_time()
    for _ in range(count):
        lab.step(2)
        size += len(encode(lab.frame()))
    return 1000 * (time.process_time() - start) / count, size / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    args = parser.parse_args()
    print(f"{'run':<20} {'fresh ms':>9} {'late ms':>9} {'bytes':>7}")
    for name, changes in RUNS.items():
        lab = Circles(replace(CirclesParams(), **changes))
        fresh, size = frames(lab, args.frames)
        lab.step(3000)
        late, _ = frames(lab, args.frames)
        print(f"{name:<20} {fresh:9.2f} {late:9.2f} {size:7.0f}")


if __name__ == "__main__":
    main()

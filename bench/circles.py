"""The circles lab against TensorFlow Playground's speed, and its cost per frame.

python -m bench.circles [--seconds 2.0]

Prints training examples per second for the two Playground anchors (6 hidden
layers of 8 ReLU and [4, 2] tanh, batch 10: 4.6k and 14.4k examples/s in the
Playground; the goal is 10× that), the steps and time the defaults take to
reach 97 % test accuracy, and the CPU milliseconds of one default frame split
into training, the boundary grid and the rest of the frame. Single-threaded
BLAS, as on a classroom server with one core per session.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from typing import Any

from engine.labs.circles import Circles, CirclesParams

ANCHORS = {  # name: (param changes, Playground examples/s)
    "6×8 ReLU, batch 10": ({"hidden": (8,) * 6, "activation": "relu"}, 4_600),
    "[4, 2] tanh, batch 10": ({"hidden": (4, 2), "activation": "tanh"}, 14_400),
}


def lab(**changes: Any) -> Circles:
    return Circles(replace(CirclesParams(), **changes))


def examples_per_second(c: Circles, seconds: float) -> float:
    """Training examples per CPU second, stepping in chunks as the play loop does."""
    done, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        done += c.step(100)
    return done * c.params.batch_size / (time.process_time() - start)


def to_accuracy(target: float = 0.97, limit: int = 20_000) -> tuple[int | None, float]:
    """Steps until the test accuracy reaches ``target``, a frame every ``default_speed`` steps."""
    c = lab()
    chunk = int(Circles.default_speed)
    start = time.process_time()
    while c.steps < limit:
        c.step(chunk)
        if c.frame()["metrics"]["accuracy"]["test"] >= target:
            return c.steps, time.process_time() - start
    return None, time.process_time() - start


def frame_cost(repeats: int = 300) -> tuple[float, float, float]:
    """CPU ms per default frame: training steps, the boundary grid, the rest of the frame."""
    c = lab()
    chunk = int(Circles.default_speed)
    train = boundary = whole = 0.0
    for _ in range(repeats):
        t0 = time.process_time()
        c.step(chunk)
        t1 = time.process_time()
        c._boundary()
        t2 = time.process_time()
        c.frame()
        t3 = time.process_time()
        train, boundary, whole = train + t1 - t0, boundary + t2 - t1, whole + t3 - t2
    ms = 1000 / repeats
    return train * ms, boundary * ms, (whole - boundary) * ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    for name, (changes, playground) in ANCHORS.items():
        rate = examples_per_second(lab(**changes), args.seconds)
        print(f"{name:<24} {rate:>10,.0f} examples/s  ({rate / playground:.1f}× the Playground's "
              f"{playground:,}; goal 10×)")  # fmt: skip
    steps, cpu = to_accuracy()
    fps = 30 * Circles.default_speed
    if steps is None:
        print("defaults: 97 % test accuracy not reached")
    else:
        print(f"defaults to 97 % test accuracy: {steps} steps, {cpu:.2f} s CPU; "
              f"{steps / fps:.1f} s of playing at {fps:.0f} steps/s")  # fmt: skip
    train, grid, rest = frame_cost()
    print(
        f"CPU per default frame: training {train:.2f} ms + boundary {grid:.2f} ms "
        f"+ rest of frame (loss, accuracy) {rest:.2f} ms = {train + grid + rest:.2f} ms"
    )


if __name__ == "__main__":
    main()

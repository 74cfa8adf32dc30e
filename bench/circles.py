"""The circles lab against TensorFlow Playground's speed, and its cost per frame.

python -m bench.circles [--seconds 2.0] [--frames 300] [--profile]

Prints training examples per second for the two Playground anchors (6 hidden
layers of 8 ReLU and [4, 2] tanh, batch 10: 4.6k and 14.4k examples/s in the
Playground; the goal is 10× that), the steps and time the defaults take to
reach 97 % test accuracy, and the CPU of a default frame as a playing session
makes it (2 updates, the frame, its JSON), split into training, metrics, the
boundary grid, the rest of the frame, encoding and compression, with the mean
bytes per frame: over the first ``--frames`` frames of a run and over as many
after it has converged. ``--profile`` adds cProfile's top functions over the
converged frames. Single-threaded BLAS, as on a classroom server with one core
per session.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from unittest import mock

from app.protocol import encode
from engine import classifier
from engine.labs import circles
from engine.labs.circles import Circles, CirclesParams

ANCHORS = {  # name: (param changes, Playground examples/s)
    "6×8 ReLU, batch 10": ({"hidden": (8,) * 6, "activation": "relu"}, 4_600),
    "[4, 2] tanh, batch 10": ({"hidden": (4, 2), "activation": "tanh"}, 14_400),
}
CONVERGED = 6000  # updates after which the default net has long passed 99 % (100 s of play)


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


@dataclass
class FrameCost:
    """CPU seconds summed over ``frames`` frames, by part, and the bytes sent."""

    frames: int = 0
    cpu: dict[str, float] = field(default_factory=dict)
    json_bytes: int = 0
    wire_bytes: int = 0  # after permessage-deflate
    boundaries: int = 0  # frames that carried a boundary

    def add(self, part: str, seconds: float) -> None:
        self.cpu[part] = self.cpu.get(part, 0.0) + seconds

    def ms(self, part: str) -> float:
        return 1000 * self.cpu.get(part, 0.0) / max(self.frames, 1)


def timed(cost: FrameCost, part: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, its CPU time added to ``part`` (and taken out of the frame's own)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            cost.add(part, time.process_time() - start)

    return wrapper


def play(c: Circles, frames: int, profile: cProfile.Profile | None = None) -> FrameCost:
    """``frames`` default frames as a playing session makes and sends them."""
    cost = FrameCost()
    # permessage-deflate as the server's websockets does it: one stream, context kept
    deflate = zlib.compressobj(wbits=-15)
    chunk = int(Circles.default_speed)
    with (
        mock.patch.object(c.boundary, "compute", timed(cost, "boundary", c.boundary.compute)),
        mock.patch.object(circles, "evaluate", timed(cost, "metrics", classifier.evaluate)),
    ):
        if profile:
            profile.enable()
        for _ in range(frames):
            t0 = time.process_time()
            c.step(chunk)
            t1 = time.process_time()
            frame = c.frame()
            c.log.record(frame)
            frame["t"] = round(time.time(), 3)
            t2 = time.process_time()
            text = encode(frame).encode()
            t3 = time.process_time()
            wire = deflate.compress(text) + deflate.flush(zlib.Z_SYNC_FLUSH)
            t4 = time.process_time()
            for part, seconds in [("training", t1 - t0), ("frame", t2 - t1),
                                  ("encoding", t3 - t2), ("deflate", t4 - t3)]:  # fmt: skip
                cost.add(part, seconds)
            cost.frames += 1
            cost.json_bytes += len(text)
            cost.wire_bytes += len(wire)
            cost.boundaries += "boundary" in frame
        if profile:
            profile.disable()
    cost.add("frame", -cost.cpu.get("boundary", 0.0) - cost.cpu.get("metrics", 0.0))
    return cost


def report(title: str, cost: FrameCost) -> None:
    parts = ["training", "metrics", "boundary", "frame", "encoding", "deflate"]
    names = {"frame": "rest of frame"}
    total = sum(cost.ms(p) for p in parts)
    split = " + ".join(f"{names.get(p, p)} {cost.ms(p):.3f}" for p in parts)
    print(f"CPU per default frame, {title}: {split} = {total:.2f} ms")
    print(f"  {cost.boundaries / cost.frames:.0%} of frames carry a boundary; "
          f"{cost.json_bytes / cost.frames:,.0f} bytes of JSON per frame, "
          f"{cost.wire_bytes / cost.frames:,.0f} after deflate")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="cProfile the converged frames")
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
    c = lab()
    report(f"the first {args.frames} frames", play(c, args.frames))
    c.step(CONVERGED - c.steps)
    profile = cProfile.Profile() if args.profile else None
    report(f"{args.frames} frames after {CONVERGED} updates", play(c, args.frames, profile))
    if profile:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue())


if __name__ == "__main__":
    main()

"""Digits: time and steps to 90 % (softmax) and 95 % (MLP) test accuracy,
examples per second, and bytes per frame as the client receives them.

    python -m bench.digits
"""

from __future__ import annotations

import dataclasses
import time

from app.protocol import encode
from engine.labs.digits import Digits, DigitsParams

FPS = 30.0


def to_accuracy(params: DigitsParams, target: float, per_frame: int) -> tuple[int, float]:
    """Steps and CPU seconds (steps and frames) until the test accuracy reaches ``target``."""
    lab = Digits(params)
    start = time.process_time()
    while lab.steps < 20_000:
        lab.step(per_frame)
        if lab.frame()["metrics"]["accuracy"]["test"] >= target:
            break
    return lab.steps, time.process_time() - start


def examples_per_second(params: DigitsParams, seconds: float = 1.0) -> float:
    lab = Digits(params)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        steps += lab.step(20)
    return steps * params.batch_size / (time.perf_counter() - start)


def frame_bytes(params: DigitsParams) -> tuple[float, int]:
    """Mean JSON bytes over a cycle of frames, and the largest (a detail frame)."""
    lab = Digits(params)
    sizes = []
    for _ in range(30):
        lab.step(3)
        sizes.append(len(encode(lab.frame()).encode()))
    return sum(sizes) / len(sizes), max(sizes)


def main() -> None:
    softmax = DigitsParams()
    mlp = dataclasses.replace(DigitsParams(), model="mlp")
    speed = int(Digits.default_speed)
    for name, params, target in (("softmax", softmax, 0.90), ("mlp", mlp, 0.95)):
        steps, cpu = to_accuracy(params, target, speed)
        play = steps / speed / FPS
        print(
            f"{name:<8} {target:.0%} test accuracy after {steps} steps: "
            f"{play:.1f} s of play at {speed} steps/frame, {cpu:.2f} s CPU"
        )
        rate = examples_per_second(params)
        print(f"{name:<8} {rate:>10,.0f} examples/s (batch {params.batch_size})")
        mean, big = frame_bytes(params)
        print(f"{name:<8} bytes per frame: mean {mean:,.0f}, detail frame {big:,}")


if __name__ == "__main__":
    main()

"""Digits, the CNN against the MLP: examples per second, CPU per frame, and steps and
time to 95 % test accuracy, for the convolution lesson's pair (about the same number of
parameters, the same training) and a two-layer CNN beside the lab's default MLP.

    OPENBLAS_NUM_THREADS=1 python -m bench.digits_cnn
"""

from __future__ import annotations

import time

from bench.digits import examples_per_second, frame_bytes, to_accuracy
from engine.labs.digits import PRESETS, Digits, DigitsParams

FPS = 30.0
RUNS: dict[str, DigitsParams] = {
    "cnn 8": DigitsParams(**PRESETS["cnn"]),
    "mlp 18": DigitsParams(**PRESETS["mlp_matched"]),
    "cnn 8,16": DigitsParams(**{**PRESETS["cnn"], "filters": (8, 16)}),
    "mlp 100": DigitsParams(**{**PRESETS["mlp_matched"], "hidden": (100,)}),
}


def frame_cpu(params: DigitsParams, frames: int = 20) -> float:
    """CPU seconds of one frame: the loss and accuracy on all 1,797 digits (after a step,
    so that no frame reuses the last one's evaluation)."""
    lab = Digits(params)
    total = 0.0
    for _ in range(frames):
        lab.step(1)
        start = time.process_time()
        lab.frame(detail=False)
        total += time.process_time() - start
    return total / frames


def main() -> None:
    speed = int(Digits.default_speed)
    print(f"{'model':<9} {'params':>6} {'examples/s':>11} {'ms/frame':>9} "
          f"{'steps→95%':>10} {'play s':>7} {'CPU s':>6} {'bytes/frame':>12}")  # fmt: skip
    for name, params in RUNS.items():
        size = Digits(params).net.theta.size
        rate = examples_per_second(params)
        per_frame = frame_cpu(params)
        steps, cpu = to_accuracy(params, 0.95, speed)
        mean, _ = frame_bytes(params)
        print(f"{name:<9} {size:>6,} {rate:>11,.0f} {1000 * per_frame:>9.2f} {steps:>10,} "
              f"{steps / speed / FPS:>7.1f} {cpu:>6.2f} {mean:>12,.0f}")  # fmt: skip


if __name__ == "__main__":
    main()

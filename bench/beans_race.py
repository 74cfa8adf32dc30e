"""CPU per frame of a beans race of 5 optimizers against a single run (issue 15).

A frame here is what the play loop does between two frames at a given speed: ``speed``
updates, the frame message and its JSON text (what goes on the socket). CPU time
(``process_time``), so other work on the machine counts less than in wall time.

python -m bench.beans_race [--frames 300]
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from typing import Any

from app.protocol import encode
from engine.lab import Lab
from engine.labs.beans import Beans, BeansParams

RACE = ("gd", "momentum", "nesterov", "rmsprop", "adam")
RUNS: dict[str, dict[str, Any]] = {
    "single gd": {},
    "single adam": {"optimizer": "adam"},
    "race of 5": {"race": RACE},
}


def per_frame(
    params: Any, speed: int, frames: int, lab_class: type[Lab[Any]] = Beans
) -> tuple[float, int]:
    """(CPU ms per frame, bytes per frame) over ``frames`` frames, restarting on divergence."""
    lab = lab_class(params)
    encode(lab.frame())  # warm up
    size = 0
    start = time.process_time()
    for _ in range(frames):
        lab.step(speed)
        lab.take_messages()
        size += len(encode(lab.frame()))
        if lab.diverged:
            lab.restart()
    return (time.process_time() - start) / frames * 1000, size // frames


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=300)
    args = parser.parse_args()
    head = ("method", "speed", "run", "CPU ms/frame", "× single", "bytes")
    print("{:<10} {:>5}  {:<12} {:>12} {:>9} {:>7}".format(*head))
    for method in ("batch", "minibatch"):
        for speed in (1, 20, 200):
            base = None
            for name, extra in RUNS.items():
                params = dataclasses.replace(BeansParams(), method=method, lr=0.1, w0=0.1, b0=0.1,
                                             **extra)  # fmt: skip
                ms, size = per_frame(params, speed, args.frames)
                base = base or ms
                ratio = ms / base
                print(f"{method:<10} {speed:>5}  {name:<12} {ms:>12.3f} {ratio:>9.2f} {size:>7}")


if __name__ == "__main__":
    main()

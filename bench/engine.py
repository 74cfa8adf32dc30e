"""Engine updates per second, per lab and (for beans) per descent method.

python -m bench.engine [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from typing import Any

from engine.labs import registry


def rate(lab: Any, seconds: float) -> float:
    """Updates per second, stepping in chunks as the play loop does."""
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        done += lab.step(100)
        if lab.diverged:
            lab.reset()
    return done / (time.perf_counter() - start)


def frame_ms(lab: Any, repeats: int = 50) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        lab.step(1)
        lab.frame()
    return (time.perf_counter() - start) / repeats * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    labs = registry()
    if "beans" in labs:
        beans = labs["beans"]
        for method in ("sgd", "minibatch", "batch", "fixed_step"):
            params = dataclasses.replace(beans.Params(), method=method)
            print(f"beans {method:<11} {rate(beans(params), args.seconds):>10,.0f} updates/s")
    for lab_id, cls in labs.items():
        lab = cls(cls.Params())
        print(f"{lab_id:<18} {rate(lab, args.seconds):>10,.0f} updates/s (defaults); "
              f"step+frame {frame_ms(cls(cls.Params())):.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()

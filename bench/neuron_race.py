"""CPU per frame of a neuron race of 5 racers against a plain run (issue 15).

A frame here is what the play loop does between two frames at a given speed: ``speed``
epochs, the frame message and its JSON text (what goes on the socket). CPU time
(``process_time``), so other work on the machine counts less than in wall time. The
plain run is the notes' two costs side by side; the race, from the same saturated start,
has five racers of every optimizer, on both costs.

python -m bench.neuron_race [--frames 300]
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from bench.beans_race import per_frame
from engine.labs.neuron import Neuron, NeuronParams

RACE = ("gd", "momentum", "nesterov", "rmsprop", "adam")
RUNS: dict[str, dict[str, Any]] = {
    "plain (2 costs)": {},
    "plain (1 cost)": {"costs": "cross_entropy"},
    "race of 5": {"race": RACE,
                  "race_cost": ("quadratic", "cross_entropy", "quadratic", "cross_entropy")},
}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=300)
    args = parser.parse_args()
    head = ("speed", "run", "CPU ms/frame", "× plain", "bytes")
    print("{:>5}  {:<16} {:>12} {:>9} {:>7}".format(*head))
    for speed in (1, 20, 200):
        base = None
        for name, extra in RUNS.items():
            params = dataclasses.replace(NeuronParams(), w0=2.0, b0=2.0, **extra)
            ms, size = per_frame(params, speed, args.frames, Neuron)
            base = base or ms
            print(f"{speed:>5}  {name:<16} {ms:>12.3f} {ms / base:>9.2f} {size:>7}")


if __name__ == "__main__":
    main()

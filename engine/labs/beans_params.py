"""The beans lab's params and the lesson presets.

Bounds here drive validation and the page's controls (engine/labs/beans.py is the
lab); each preset is a complete setting, so a lesson never inherits another's
changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from annotated_types import Ge, Gt, Le, Len

from engine.lab import Ui
from engine.race import MAX_RACERS, OptimizerName, RaceLr

Method = Literal["sgd", "minibatch", "batch", "fixed_step"]


@dataclass(frozen=True)
class BeansParams:
    """Every param of the beans lab; bounds here drive validation and controls."""

    n: Annotated[int, Ge(2), Le(10_000), Ui("data", step=1)] = 100
    slope: Annotated[float, Ge(-3), Le(3), Ui("data", step=0.1, advanced=True)] = 0.7
    intercept: Annotated[float, Ge(-3), Le(3), Ui("data", step=0.1, advanced=True)] = 0.5
    noise: Annotated[float, Ge(0), Le(1), Ui("data", step=0.01)] = 0.1
    data_seed: Annotated[int, Ge(0), Le(2**31 - 1), Ui("data", step=1)] = 0
    model: Annotated[Literal["w", "wb"], Ui("model")] = "wb"
    method: Annotated[Method, Ui("training")] = "minibatch"
    batch_size: Annotated[int, Ge(1), Le(10_000), Ui("training", step=1)] = 10
    shuffle: Annotated[bool, Ui("training")] = False
    lr: Annotated[float, Gt(0), Le(10), Ui("training", step=0.001, log=True)] = 0.3
    step_size: Annotated[float, Gt(0), Le(1), Ui("training", step=0.001, log=True)] = 0.01
    optimizer: Annotated[OptimizerName, Ui("training")] = "gd"
    w0: Annotated[float, Ge(-5), Le(5), Ui("start", step=0.05)] = -0.5
    b0: Annotated[float, Ge(-5), Le(5), Ui("start", step=0.05)] = -1.5
    # A race: the racers' optimizers (none: one plain run), the first racers' own rates
    # (the others use lr, live) and the finish line's radius around the least-squares optimum.
    # Any list the bounds allow is a race, so the schema says all there is to say.
    race: Annotated[tuple[OptimizerName, ...], Len(0, MAX_RACERS), Ui("race")] = ()
    race_lr: Annotated[tuple[RaceLr, ...], Len(0, MAX_RACERS), Ui("race")] = ()
    race_eps: Annotated[float, Gt(0), Le(1), Ui("race", step=0.001, log=True)] = 0.01


_NOTES_DATA = {
    "n": 100,
    "slope": 0.7,
    "noise": 0.1,
    "data_seed": 0,
    "shuffle": False,
    "optimizer": "gd",
    "race": [],
    "race_lr": [],
}  # the notes descend plainly, alone

# The notes' own experiments (SEEDS.md section 1), as complete param sets.
PRESETS: dict[str, dict[str, Any]] = {
    "notes_sgd_w": {**_NOTES_DATA, "intercept": 0.0, "model": "w", "method": "sgd", "lr": 0.1,
                    "w0": 0.1, "b0": 0.0, "speed": 3},
    "notes_sgd_wb": {**_NOTES_DATA, "intercept": 0.5, "model": "wb", "method": "sgd", "lr": 0.01,
                     "w0": 0.1, "b0": 0.1, "speed": 20},
    "notes_batch": {**_NOTES_DATA, "intercept": 0.5, "model": "wb", "method": "batch", "lr": 0.1,
                    "w0": 0.1, "b0": 0.1, "speed": 1},
    "notes_minibatch": {**_NOTES_DATA, "intercept": 0.5, "model": "wb", "method": "minibatch",
                        "batch_size": 10, "lr": 0.1, "w0": 0.1, "b0": 0.1, "speed": 1},
    "notes_fixed_step": {**_NOTES_DATA, "intercept": 0.5, "model": "wb", "method": "fixed_step",
                         "step_size": 0.01, "w0": 0.1, "b0": 0.1, "speed": 1},
    # Just past the limit 2/λmax ≈ 0.76: across the valley each update overshoots about 12 %
    # further than the last, while along it the point still slides down. From the far end of
    # the valley the cost goes down for a dozen steps, then the zig-zag grows and it blows up.
    # Issue 15: the notes' start and batch descent, raced. Momentum beats plain descent
    # five times over; Adam, whose steps are about α whatever the slope, is in between.
    "race_optimizers": {**_NOTES_DATA, "intercept": 0.5, "model": "wb", "method": "batch",
                        "lr": 0.1, "w0": 0.1, "b0": 0.1, "race": ["gd", "momentum", "adam"],
                        "race_lr": [], "race_eps": 0.01, "speed": 2},
    # One optimizer, three rates: the largest that still converges (under 2/λmax) wins.
    "race_rates": {**_NOTES_DATA, "intercept": 0.5, "model": "wb", "method": "batch",
                   "w0": 0.1, "b0": 0.1, "race": ["gd", "gd", "gd"], "race_lr": [0.05, 0.3, 0.7],
                   "race_eps": 0.01, "speed": 2},
    "too_large": {**_NOTES_DATA, "intercept": 0.5, "model": "wb", "method": "batch", "lr": 0.8,
                  "w0": 4.0, "b0": -1.5, "speed": 1},
}  # fmt: skip

"""The circles lab's params, its ops' arguments, and the lesson presets.

Bounds here drive validation and the page's controls (engine/labs/circles.py is
the lab); each preset is a complete setting, so a lesson never inherits another's
changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from annotated_types import Ge, Gt, Le, Len, Lt

from engine.lab import Ui
from engine.userdata import MAX_CLASSES

MAX_LAYERS = 6  # hidden layers
MAX_WIDTH = 64  # units per hidden layer
MAX_N = 2000  # points generated
MAX_RESOLUTION = 128  # boundary grid cells per axis
MAX_ADDED = 200  # points a learner may add by clicking
EXTENT = (-6.0, 6.0, -6.0, 6.0)  # the plotted plane: the Playground's domain
# frames between weight snapshots: 2 Hz at 30 frames/s keeps the mean frame under 6 KiB.
# These keyframes also carry the boundary, whether or not it changed (see ``Boundary``).
WEIGHTS_EVERY = 15

Dataset = Literal["circles", "xor", "gauss", "spiral", "moons", "arms", "blobs"]
FeatureName = Literal["x1", "x2", "x1^2", "x2^2", "x1x2", "sin_x1", "sin_x2"]
Activation = Literal["relu", "tanh", "sigmoid", "linear", "leaky_relu"]
Width = Annotated[int, Ge(1), Le(MAX_WIDTH)]
Seed = Annotated[int, Ge(0), Le(2**31 - 1)]


@dataclass(frozen=True)
class CirclesParams:
    """Every param of the circles lab; bounds here drive validation and controls."""

    dataset: Annotated[Dataset, Ui("data")] = "circles"
    n: Annotated[int, Ge(10), Le(MAX_N), Ui("data", step=10)] = 400
    noise: Annotated[float, Ge(0), Le(0.5), Ui("data", step=0.05)] = 0.0
    # how many classes the multi-class sets (arms, blobs) have; the others have two
    classes: Annotated[int, Ge(2), Le(MAX_CLASSES), Ui("data", step=1)] = 3
    test_ratio: Annotated[float, Ge(0.1), Le(0.9), Ui("data", step=0.05)] = 0.5
    data_seed: Annotated[Seed, Ui("data", step=1, advanced=True)] = 0
    features: Annotated[tuple[FeatureName, ...], Len(1, 7), Ui("features")] = ("x1", "x2")
    hidden: Annotated[tuple[Width, ...], Len(0, MAX_LAYERS), Ui("model")] = (25, 50, 50, 25)
    activation: Annotated[Activation, Ui("model")] = "relu"
    init_seed: Annotated[Seed, Ui("model", step=1, advanced=True)] = 0
    loss: Annotated[Literal["bce", "mse"], Ui("training")] = "bce"
    optimizer: Annotated[Literal["sgd", "momentum", "adam"], Ui("training")] = "adam"
    lr: Annotated[float, Gt(0), Le(10), Ui("training", step=0.0001, log=True)] = 0.01
    batch_size: Annotated[int, Ge(1), Le(MAX_N), Ui("training", step=1)] = 10
    l1: Annotated[float, Ge(0), Le(1), Ui("regularization", step=0.0001, log=True)] = 0.0
    l2: Annotated[float, Ge(0), Le(1), Ui("regularization", step=0.0001, log=True)] = 0.0
    dropout: Annotated[float, Ge(0), Lt(0.9), Ui("regularization", step=0.05)] = 0.0
    resolution: Annotated[int, Ge(8), Le(MAX_RESOLUTION), Ui("view", step=8, advanced=True)] = 48

    def __post_init__(self) -> None:
        if len(set(self.features)) != len(self.features):
            raise ValueError(f"features: expected distinct names, got {list(self.features)}")


@dataclass(frozen=True)
class InspectArgs:
    """A unit: layer 0 is the input features, 1…L−1 the hidden layers, L the output."""

    layer: Annotated[int, Ge(0), Le(MAX_LAYERS + 1)]
    unit: Annotated[int, Ge(0), Le(MAX_WIDTH - 1)]


@dataclass(frozen=True)
class AddPointArgs:
    """A training point the learner clicks onto the plane."""

    x1: Annotated[float, Ge(EXTENT[0]), Le(EXTENT[1])]
    x2: Annotated[float, Ge(EXTENT[2]), Le(EXTENT[3])]
    label: Annotated[int, Ge(0), Le(MAX_CLASSES - 1)]  # below the number of classes


Coordinate = Annotated[float, Ge(EXTENT[0]), Le(EXTENT[1])]  # the plane is square
Label = Annotated[int, Ge(0), Le(MAX_CLASSES - 1)]
MAX_STROKE = 50  # points one brush stroke (one add_points) may carry


@dataclass(frozen=True)
class AddPointsArgs:
    """Training points painted with the brush: ``[x1, x2, label]`` rows."""

    points: Annotated[tuple[tuple[Coordinate, Coordinate, Label], ...], Len(1, MAX_STROKE)]


@dataclass(frozen=True)
class NoArgs:
    """An op without arguments."""


_BASE: dict[str, Any] = {
    "dataset": "circles", "n": 400, "noise": 0.0, "classes": 3, "test_ratio": 0.5,
    "features": ["x1", "x2"],
    "hidden": [25, 50, 50, 25], "activation": "relu", "loss": "bce", "optimizer": "adam",
    "lr": 0.01, "batch_size": 10, "l1": 0.0, "l2": 0.0, "dropout": 0.0, "speed": 2,
}  # fmt: skip
_DEEP = {**_BASE, "hidden": [8] * 6, "optimizer": "sgd", "lr": 0.3}
_ALL_FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1x2", "sin_x1", "sin_x2"]

# The lessons, each a complete setting so that one never inherits another's changes.
PRESETS: dict[str, dict[str, Any]] = {
    "notes": _BASE,  # SEEDS.md section 2: 2 → 25 → 50 → 50 → 25 → 1, ReLU, cross-entropy
    "linear": {**_BASE, "hidden": []},  # logistic regression on x1, x2: a line cannot do it
    "squares": {**_BASE, "hidden": [], "features": ["x1^2", "x2^2"]},  # … but on x1², x2² it can
    "vanishing": {**_DEEP, "activation": "sigmoid"},  # the first layers barely learn
    "relu_deep": _DEEP,  # the same with ReLU learns
    "too_high": {**_BASE, "optimizer": "sgd", "lr": 3.0},
    "overfit": {**_BASE, "noise": 0.5, "n": 100, "hidden": [64, 64, 64]},
    "spiral": {**_BASE, "dataset": "spiral", "features": _ALL_FEATURES, "hidden": [16, 16, 16]},
    # three classes: a softmax output, the plane coloured by the predicted class
    "three_arms": {**_BASE, "dataset": "arms", "classes": 3, "hidden": [16, 16]},
}  # fmt: skip

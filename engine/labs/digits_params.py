"""The digits lab's params, the ``predict`` op's argument, and the lesson presets.

Bounds here drive validation and the page's controls; the presets follow
SEEDS.md section 4 in order, ending, as the notes do, with convolution.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated, Any, Literal

from annotated_types import Ge, Gt, Le, Len, Lt

from engine.digits_split import MAX_TRAIN
from engine.lab import Ui
from engine.labs.digits_cnn import FilterCount

Width = Annotated[int, Ge(1), Le(256)]
Pixel = Annotated[float, Ge(0), Le(16)]  # NaN fails both bounds: NaN ≥ 0 is false
Model = Literal["softmax", "mlp", "cnn"]


@dataclass(frozen=True)
class DigitsParams:
    """Every param of the digits lab; bounds here drive validation and controls.

    ``hidden`` and ``activation`` shape the MLP only, ``filters`` the CNN only
    (its conv layers use ReLU); ``dropout`` drops hidden units (the MLP) or the
    pooled features before the dense layer (the CNN): softmax regression has none.
    """

    train_size: Annotated[int, Ge(50), Le(MAX_TRAIN), Ui("data", step=10)] = MAX_TRAIN
    data_seed: Annotated[int, Ge(0), Le(2**31 - 1), Ui("data", step=1, advanced=True)] = 0
    model: Annotated[Model, Ui("model")] = "softmax"
    hidden: Annotated[tuple[Width, ...], Len(1, 4), Ui("network")] = (100,)
    activation: Annotated[Literal["relu", "sigmoid"], Ui("network")] = "relu"
    filters: Annotated[tuple[FilterCount, ...], Len(1, 2), Ui("network")] = (8,)
    init_seed: Annotated[int, Ge(0), Le(2**31 - 1), Ui("model", step=1, advanced=True)] = 0
    optimizer: Annotated[Literal["sgd", "momentum", "adam"], Ui("training")] = "sgd"
    lr: Annotated[float, Gt(0), Le(10), Ui("training", step=0.001, log=True)] = 0.1
    lr_decay: Annotated[float, Ge(0.99), Le(1), Ui("training", step=0.0001)] = 1.0
    batch_size: Annotated[int, Ge(1), Le(MAX_TRAIN), Ui("training", step=1)] = 100
    dropout: Annotated[float, Ge(0), Lt(0.9), Ui("regularization", step=0.05)] = 0.0
    l2: Annotated[float, Ge(0), Le(1), Ui("regularization", step=0.0001, log=True)] = 0.0


@dataclass(frozen=True)
class PredictArgs:
    """Argument of the ``predict`` op: one 8×8 image, row-major, grey levels 0..16."""

    pixels: Annotated[tuple[Pixel, ...], Len(64, 64)]


# The fields each model does not use: changing them leaves that model as it is.
UNUSED: dict[str, frozenset[str]] = {
    "softmax": frozenset({"hidden", "activation", "filters"}),
    "mlp": frozenset({"filters"}),
    "cnn": frozenset({"hidden", "activation"}),
}


def _preset(**changes: Any) -> dict[str, Any]:
    return {**asdict(DigitsParams()), **changes}


_SMALL_WIDE: dict[str, Any] = {
    "model": "mlp", "hidden": (128,), "optimizer": "adam", "lr": 0.001, "train_size": 100,
}  # fmt: skip
_DEEP: dict[str, Any] = {"model": "mlp", "hidden": (64, 64, 64, 64), "lr": 0.5}
# The convolution lesson: the same training for both, and about the same number of
# parameters (CNN_FILTERS, MLP_HIDDEN), so the architecture is the only difference.
_MATCHED: dict[str, Any] = {"optimizer": "adam", "lr": 0.01, "batch_size": 50}
CNN_FILTERS = (8,)
MLP_HIDDEN = (18,)

# Lesson presets, complete param sets (SEEDS.md section 4 in order).
PRESETS: dict[str, dict[str, Any]] = {
    # Rate too high: training and test curves jump about.
    "lr_high": _preset(lr=4.0, batch_size=10),
    # The same start with a decaying rate: the curves calm down.
    "decay": _preset(lr=4.0, batch_size=10, lr_decay=0.998),
    # 100 training digits, a wide net, no regularization: train loss → 0, test loss turns up.
    "overfit": _preset(**_SMALL_WIDE),
    # The same with dropout and L2: the test loss stays down.
    "cure": _preset(**_SMALL_WIDE, dropout=0.5, l2=0.001),
    # Four sigmoid layers: gradients fade on the way down; a long plateau before it learns.
    "sigmoid_deep": _preset(**_DEEP, activation="sigmoid"),
    # The same depth with ReLU learns at once.
    "relu_deep": _preset(**_DEEP, activation="relu"),
    # A small MLP with about as many parameters as the CNN below.
    "mlp_matched": _preset(**_MATCHED, model="mlp", hidden=MLP_HIDDEN, filters=CNN_FILTERS),
    # Convolution: shared 3×3 filters keep the image's 2-D shape; better with as many parameters.
    # (Its ``hidden`` is the MLP's above: the page counts that MLP's parameters beside it.)
    "cnn": _preset(**_MATCHED, model="cnn", hidden=MLP_HIDDEN, filters=CNN_FILTERS),
}

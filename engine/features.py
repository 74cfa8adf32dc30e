"""Input features computed from the two coordinates, as TensorFlow Playground offers.

A network fed ``x1²`` and ``x2²`` separates the two circles with a single
linear unit (the boundary ``x1² + x2² = r²`` is a line in those inputs);
fed only ``x1`` and ``x2`` it needs hidden layers to bend the boundary.
The registry ``FEATURES`` is keyed by the names URLs and messages use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Feature = Callable[[np.ndarray, np.ndarray], np.ndarray]

FEATURES: dict[str, Feature] = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1x2": lambda x1, x2: x1 * x2,
    "sin_x1": lambda x1, x2: np.sin(x1),
    "sin_x2": lambda x1, x2: np.sin(x2),
}


def expand(X: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """Points ``X`` (n, 2) → their features (n, len(names)), in the order of ``names``.

    Keeps ``X``'s float dtype, so a float32 grid gives float32 features.
    """
    x1, x2 = X[:, 0], X[:, 1]
    out = np.empty((len(X), len(names)), dtype=X.dtype)
    for j, name in enumerate(names):
        out[:, j] = FEATURES[name](x1, x2)
    return out

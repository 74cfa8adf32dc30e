"""Dataset generators. Each takes its size and shape params and an explicit
``np.random.Generator``, so a seed param reproduces the data exactly."""

from __future__ import annotations

import numpy as np


def beans(
    n: int, rng: np.random.Generator, slope: float = 0.7, intercept: float = 0.5, noise: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """Bean size ``x`` and toxicity ``y`` as in the notes' ``get_beans(n)``.

    ``x``: n uniform numbers in [0, 1), sorted; ``y = slope·x + intercept +
    2·noise·(0.5 − u)`` with ``u`` uniform in [0, 1). With the defaults this is
    the notes' ``0.7·x + 0.5 + (0.5 − u)/5``: uniform noise of half-width 0.1.
    Returns ``(x, y)``, each of shape (n,).
    """
    x = np.sort(rng.random(n))
    u = rng.random(n)
    y = slope * x + intercept + 2.0 * noise * (0.5 - u)
    return x, y

"""Dataset generators. Each takes its size and shape params and an explicit
``np.random.Generator``, so a seed param reproduces the data exactly."""

from __future__ import annotations

from collections.abc import Callable

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


# -- 2-D binary classification ----------------------------------------------
#
# TensorFlow Playground's sets, on its domain: points within about ±5 of the
# origin (``RADIUS``), drawn on [−6, 6]². Each generator has one signature,
# ``name(n, rng, noise) -> (X (n, 2) float64, y (n,) int64 in {0, 1})``,
# takes ``noise`` in [0, 0.5] as the Playground's 0–50 % slider, and may return
# the points grouped by class: the caller shuffles before splitting.

RADIUS = 5.0


def _halves(n: int) -> tuple[int, int]:
    return n - n // 2, n // 2  # class 1 gets the odd point


def _labelled(X1: np.ndarray, X0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X = np.concatenate([X1, X0]).reshape(-1, 2)  # (n, 2)
    y = np.concatenate([np.ones(len(X1), np.int64), np.zeros(len(X0), np.int64)])
    return X, y


def _polar(r: np.ndarray, t: np.ndarray) -> np.ndarray:
    return np.stack([r * np.sin(t), r * np.cos(t)], axis=1)  # (k, 2)


def circles(n: int, rng: np.random.Generator, noise: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: an inner disk (class 1) inside a ring (class 0).

    Inner radii are uniform in [0, R/2], outer in [0.7·R, R], angles uniform.
    As in the Playground, the label is that of the point moved by uniform
    noise ``±R·noise`` per axis (class 1 within R/2 of the origin), while the
    point is shown unmoved: noise blurs the labels near the gap.
    """
    n1, n0 = _halves(n)
    r = np.concatenate([rng.uniform(0, 0.5 * RADIUS, n1), rng.uniform(0.7 * RADIUS, RADIUS, n0)])
    X = _polar(r, rng.uniform(0, 2 * np.pi, n))  # (n, 2)
    moved = X + rng.uniform(-RADIUS, RADIUS, size=(n, 2)) * noise
    y = (np.hypot(moved[:, 0], moved[:, 1]) < 0.5 * RADIUS).astype(np.int64)
    return X, y


def xor(n: int, rng: np.random.Generator, noise: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Four quadrants: class 1 where x1·x2 ≥ 0 (of the noise-moved point).

    Coordinates are uniform in [−5, 5], pushed 0.3 away from the axes.
    """
    X = rng.uniform(-RADIUS, RADIUS, size=(n, 2))
    X += np.where(X > 0, 0.3, -0.3)  # a gap along both axes
    moved = X + rng.uniform(-RADIUS, RADIUS, size=(n, 2)) * noise
    y = (moved[:, 0] * moved[:, 1] >= 0).astype(np.int64)
    return X, y


def gauss(n: int, rng: np.random.Generator, noise: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian blobs: class 1 around (2, 2), class 0 around (−2, −2).

    The variance grows linearly with noise, from 0.5 at 0 to 4 at 0.5.
    """
    n1, n0 = _halves(n)
    std = np.sqrt(0.5 + 7.0 * noise)
    return _labelled(rng.normal(2.0, std, (n1, 2)), rng.normal(-2.0, std, (n0, 2)))


def spiral(n: int, rng: np.random.Generator, noise: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals of 1.75 turns out to radius 5; class 0 is turned by π.

    Point i of k on an arm sits at radius ``5·i/k``, angle ``3.5π·i/k``, plus
    uniform noise of ``±noise`` per axis.
    """
    arms = []
    for k, delta in zip(_halves(n), (0.0, np.pi), strict=True):
        s = np.arange(k) / max(k, 1)
        arm = _polar(RADIUS * s, 1.75 * 2 * np.pi * s + delta)
        arms.append(arm + rng.uniform(-1, 1, size=(k, 2)) * noise)
    return _labelled(arms[0], arms[1])


def moons(n: int, rng: np.random.Generator, noise: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles (scikit-learn's ``make_moons``), scaled ×3 and centred.

    Class 0 is the upper moon ``(cos t, sin t)``, class 1 the lower one
    ``(1 − cos t, 0.5 − sin t)``, t uniform in [0, π]; Gaussian noise of
    standard deviation ``noise`` in the unscaled units (so ``3·noise`` here).
    """
    n1, n0 = _halves(n)
    t1, t0 = rng.uniform(0, np.pi, n1), rng.uniform(0, np.pi, n0)
    lower = np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    X, y = _labelled(lower, upper)
    X = 3.0 * (X - [0.5, 0.25]) + rng.normal(0, 3.0 * noise, size=X.shape)
    return X, y


Generator2D = Callable[[int, np.random.Generator, float], tuple[np.ndarray, np.ndarray]]

CLASSIFICATION: dict[str, Generator2D] = {
    "circles": circles,
    "xor": xor,
    "gauss": gauss,
    "spiral": spiral,
    "moons": moons,
}


# -- 2-D data in k classes ----------------------------------------------------
#
# ``name(n, rng, noise, k) -> (X (n, 2), y (n,) int64 in 0…k−1)``: the same domain and
# noise slider as above. Class c gets n//k points, the first n % k classes one more.


def _shares(n: int, k: int) -> list[int]:
    return [n // k + (c < n % k) for c in range(k)]


def arms(
    n: int, rng: np.random.Generator, noise: float = 0.0, k: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """A spiral of ``k`` arms (3 by default), each 0.75 turn out to radius 5, arm c turned
    by 2πc/k; uniform noise of ``±(0.3 + 2·noise)`` per axis keeps the arms apart but blurred.
    """
    X, y = [], []
    for c, m in enumerate(_shares(n, k)):
        s = rng.uniform(0.08, 1.0, m)  # no point at the centre, where every arm meets
        arm = _polar(RADIUS * s, 1.5 * np.pi * s + 2 * np.pi * c / k)
        X.append(arm + rng.uniform(-1, 1, size=(m, 2)) * (0.3 + 2.0 * noise))
        y.append(np.full(m, c, np.int64))
    return np.concatenate(X).reshape(-1, 2), np.concatenate(y)


def blobs(
    n: int, rng: np.random.Generator, noise: float = 0.0, k: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """``k`` Gaussian blobs with centres evenly on the circle of radius 3.5 (the first at
    the top); the variance grows with noise as in ``gauss``, from 0.5 to 4."""
    std = np.sqrt(0.5 + 7.0 * noise)
    X, y = [], []
    for c, m in enumerate(_shares(n, k)):
        centre = _polar(np.array([3.5]), np.array([2 * np.pi * c / k]))  # (1, 2)
        X.append(rng.normal(0.0, std, (m, 2)) + centre)
        y.append(np.full(m, c, np.int64))
    return np.concatenate(X).reshape(-1, 2), np.concatenate(y)


GeneratorK = Callable[[int, np.random.Generator, float, int], tuple[np.ndarray, np.ndarray]]

MULTICLASS: dict[str, GeneratorK] = {"arms": arms, "blobs": blobs}

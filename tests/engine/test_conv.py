"""The conv net: conv and pool against plain loops, every gradient against finite differences."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from engine.conv import ConvNet, n_params, pool, windows
from engine.losses import LOSSES

EPS = 1e-6
LOSS = LOSSES["softmax_ce"]


def images(m: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.0, 1.0, size=(m, 64))
    Y = np.eye(10)[rng.integers(0, 10, size=m)]
    return X, Y


def conv_by_loops(A: np.ndarray, K: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The textbook sum, one output at a time, zero padding by one."""
    m, h, w, channels = A.shape
    padded = np.zeros((m, h + 2, w + 2, channels))
    padded[:, 1:-1, 1:-1, :] = A
    Z = np.zeros((m, h, w, K.shape[3]))
    for n in range(m):
        for i in range(h):
            for j in range(w):
                for f in range(K.shape[3]):
                    patch = padded[n, i : i + 3, j : j + 3, :]  # (3, 3, c)
                    Z[n, i, j, f] = np.sum(patch * K[:, :, :, f].transpose(1, 2, 0)) + c[f]
    return Z


def test_convolution_is_the_textbook_sum() -> None:
    rng = np.random.default_rng(1)
    A = rng.normal(size=(2, 8, 8, 3))
    K, c = rng.normal(size=(3, 3, 3, 4)), rng.normal(size=4)
    Z = (windows(A) @ K.reshape(-1, 4)).reshape(2, 8, 8, 4) + c
    np.testing.assert_allclose(Z, conv_by_loops(A, K, c), rtol=1e-12, atol=1e-12)


def test_max_pool_keeps_each_blocks_largest_cell() -> None:
    A = np.random.default_rng(2).normal(size=(2, 4, 6, 3))
    P, _ = pool(A)
    for n, i, j, f in np.ndindex(P.shape):
        assert P[n, i, j, f] == A[n, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2, f].max()


def objective(net: ConvNet, X, Y, l1=0.0, l2=0.0, dropout=0.0) -> float:
    rng = np.random.default_rng(7)  # the same dropout mask at every call
    Z = net.forward(X, train=dropout > 0, dropout=dropout, rng=rng)
    return LOSS.value(Z, Y) + net.penalty(l1, l2)


@pytest.mark.parametrize(
    ("filters", "l1", "l2", "dropout"),
    [
        ((3,), 0.0, 0.0, 0.0),
        ((2, 3), 0.0, 0.01, 0.0),
        ((2, 2), 0.001, 0.0, 0.3),
        ((2, 2, 2), 0.0, 0.0, 0.0),
    ],
)
def test_every_gradient_matches_finite_differences(filters, l1, l2, dropout) -> None:
    net = ConvNet(filters, rng=np.random.default_rng(3))
    X, Y = images()
    rng = np.random.default_rng(7)
    Z = net.forward(X, train=dropout > 0, dropout=dropout, rng=rng)
    net.backward(LOSS.grad(Z, Y), l1=l1, l2=l2)
    analytic = net.dtheta.copy()
    numeric = np.zeros_like(analytic)
    for i in range(len(net.theta)):
        keep = net.theta[i]
        net.theta[i] = keep + EPS
        up = objective(net, X, Y, l1, l2, dropout)
        net.theta[i] = keep - EPS
        down = objective(net, X, Y, l1, l2, dropout)
        net.theta[i] = keep
        numeric[i] = (up - down) / (2 * EPS)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


def test_parameter_count_shows_the_weight_sharing() -> None:
    # one conv layer of 8 filters: 8·(9+1) weights shared over all 64 positions, then
    # 4·4·8 pooled features into 10 classes
    assert n_params([8]) == 8 * 10 + 4 * 4 * 8 * 10 + 10
    for filters in ([4], [8, 16], [2, 2, 2]):
        assert ConvNet(filters).theta.size == n_params(filters)


def test_feature_maps_are_the_forward_pass_of_one_image() -> None:
    net = ConvNet([4, 6], rng=np.random.default_rng(4))
    X, _ = images(1)
    maps = net.feature_maps(X[0])
    assert [m.shape for m in maps] == [(8, 8, 4), (4, 4, 6)]
    assert all((m >= 0).all() for m in maps)
    pooled, _ = pool(maps[-1][None])
    logits = pooled.reshape(1, -1) @ net.params["W"] + net.params["b"]
    np.testing.assert_allclose(logits, net.forward(X), rtol=1e-12)


def test_a_copy_keeps_its_flat_views() -> None:
    net = ConvNet([3], rng=np.random.default_rng(5))
    twin = pickle.loads(pickle.dumps(net))
    twin.theta[0] += 1.0
    assert twin.params["K1"].flat[0] == net.params["K1"].flat[0] + 1.0
    X, _ = images(2)
    np.testing.assert_allclose(pickle.loads(pickle.dumps(net)).forward(X), net.forward(X))


def test_it_learns_digits_by_plain_descent() -> None:
    """A few hundred mini-batch steps on the shipped optdigits: far above chance (10 %)."""
    from engine.optdigits import load

    X, y = load()[:2]
    X = X[:1000] / 16.0 if X.max() > 1 else X[:1000]
    Y = np.eye(10)[y[:1000]]
    net = ConvNet([8], rng=np.random.default_rng(6))
    rng = np.random.default_rng(0)
    for _ in range(300):
        idx = rng.integers(0, 800, size=32)
        net.backward(LOSS.grad(net.forward(X[idx], train=True), Y[idx]))
        net.theta -= 0.1 * net.dtheta
    accuracy = (net.predict(X[800:]).argmax(axis=1) == y[800:1000]).mean()
    assert accuracy > 0.85

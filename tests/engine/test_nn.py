"""The MLP: backward against central finite differences, dropout, regularizers, init."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from engine.activations import ACTIVATIONS
from engine.losses import LOSSES, softmax
from engine.nn import MLP, Scratch

EPS = 1e-6


def objective(net: MLP, X, Y, loss: str, l1=0.0, l2=0.0, masks=None) -> float:
    Z = net.forward(X, train=masks is not None, masks=masks)
    return LOSSES[loss].value(Z, Y) + net.penalty(l1, l2)


def check_gradient(net: MLP, X, Y, loss: str, l1=0.0, l2=0.0, masks=None) -> None:
    """Every entry of the flat gradient against (f(θ + ε) − f(θ − ε)) / 2ε."""
    Z = net.forward(X, train=masks is not None, masks=masks)
    net.backward(LOSSES[loss].grad(Z, Y), l1=l1, l2=l2)
    analytic = net.dtheta.copy()
    numeric = np.zeros_like(analytic)
    for i in range(len(net.theta)):
        keep = net.theta[i]
        net.theta[i] = keep + EPS
        up = objective(net, X, Y, loss, l1, l2, masks)
        net.theta[i] = keep - EPS
        down = objective(net, X, Y, loss, l1, l2, masks)
        net.theta[i] = keep
        numeric[i] = (up - down) / (2 * EPS)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def binary_data(m: int = 7, d: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(m, d)), rng.integers(0, 2, size=m).astype(float)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_backward_binary(activation: str, loss: str) -> None:
    X, y = binary_data()
    net = MLP([3, 5, 4, 1], activation, "sigmoid", np.random.default_rng(1))
    check_gradient(net, X, y, loss)


def test_backward_softmax_and_linear() -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(6, 4))
    net = MLP([4, 5, 3], "tanh", "softmax", rng)
    check_gradient(net, X, rng.integers(0, 3, size=6), "softmax_ce")
    net = MLP([4, 6, 2], "sigmoid", "linear", rng)
    check_gradient(net, X, rng.normal(size=(6, 2)), "mse_linear")


@pytest.mark.parametrize(("l1", "l2"), [(0.03, 0.0), (0.0, 0.2), (0.01, 0.05)])
def test_regularizers(l1: float, l2: float) -> None:
    X, y = binary_data()
    net = MLP([3, 4, 1], "tanh", "sigmoid", np.random.default_rng(3))
    check_gradient(net, X, y, "bce", l1=l1, l2=l2)


def test_penalty_skips_biases() -> None:
    net = MLP([2, 2, 1], "relu", "sigmoid")
    net.theta[...] = 0.0
    for b in net.b:
        b[...] = 5.0
    net.W[0][0, 0], net.W[1][1, 0] = 2.0, -3.0
    assert net.penalty(l1=0.1) == pytest.approx(0.1 * 5)
    assert net.penalty(l2=0.1) == pytest.approx(0.05 * 13)
    net.forward(np.zeros((1, 2)))
    net.backward(np.zeros((1, 1)), l1=0.1, l2=0.1)
    assert net.grads["W2"][1, 0] == pytest.approx(-0.1 - 0.3)
    assert np.all(net.grads["b1"] == 0.0) and np.all(net.grads["b2"] == 0.0)


def test_dropout_with_fixed_mask() -> None:
    X, y = binary_data(m=5)
    net = MLP([3, 6, 4, 1], "relu", "sigmoid", np.random.default_rng(4))
    rng = np.random.default_rng(5)
    masks = [(rng.random((5, w)) >= 0.4) / 0.6 for w in (6, 4)]
    check_gradient(net, X, y, "bce", masks=masks)


def test_dropout_masks_change_the_output_in_training_only() -> None:
    X, _ = binary_data(m=50)
    net = MLP([3, 16, 1], "relu", "sigmoid", np.random.default_rng(0))
    clean = net.forward(X)
    np.testing.assert_array_equal(net.forward(X, dropout=0.5), clean)  # train=False: no dropout
    dropped = net.forward(X, train=True, dropout=0.5, rng=np.random.default_rng(1))
    assert not np.allclose(dropped, clean)
    _, _, _, mask = net._cache[0]
    assert set(np.unique(mask)) <= {0.0, 2.0}  # inverted dropout: keep/(1 − p)


def test_inverted_dropout_keeps_the_expectation() -> None:
    X = np.ones((20_000, 1))
    net = MLP([1, 1, 1], "linear", "linear")
    net.theta[...] = 1.0  # Z = (x + 1)·1 + 1 = 3 without dropout
    Z = net.forward(X, train=True, dropout=0.3, rng=np.random.default_rng(0))
    assert Z.mean() == pytest.approx(3.0, abs=0.03)


def test_forward_matches_a_hand_computation() -> None:
    net = MLP([2, 2, 1], "relu", "sigmoid")
    net.params["W1"][...] = [[1.0, -1.0], [2.0, 0.5]]
    net.params["b1"][...] = [0.0, 1.0]
    net.params["W2"][...] = [[1.0], [-2.0]]
    net.params["b2"][...] = [0.5]
    x = np.array([[1.0, 1.0]])  # hidden z = (3, 0.5), relu → (3, 0.5); out z = 3 − 1 + 0.5
    assert net.forward(x)[0, 0] == pytest.approx(2.5)
    assert net.predict(x)[0, 0] == pytest.approx(1 / (1 + np.exp(-2.5)))


def test_params_are_views_of_theta() -> None:
    net = MLP([2, 3, 1], "relu", "sigmoid")
    assert list(net.params) == ["W1", "b1", "W2", "b2"]
    assert len(net.theta) == 2 * 3 + 3 + 3 + 1
    net.theta[...] = np.arange(len(net.theta))
    np.testing.assert_array_equal(net.params["W1"], [[0, 1, 2], [3, 4, 5]])
    np.testing.assert_array_equal(net.params["b2"], [12])
    clone = copy.deepcopy(net)
    clone.theta[0] = -1.0
    assert clone.params["W1"][0, 0] == -1.0 and net.params["W1"][0, 0] == 0.0


def test_logistic_regression_without_hidden_layers() -> None:
    net = MLP([2, 1], "relu", "sigmoid", np.random.default_rng(0))
    assert net.n_layers == 1
    X, y = binary_data(d=2)
    check_gradient(net, X, y, "bce")


def test_init_scales() -> None:
    rng = np.random.default_rng(0)
    he = MLP([400, 300, 200], "relu", "sigmoid", rng)
    xavier = MLP([400, 300, 200], "tanh", "sigmoid", rng)
    assert he.W[0].var() == pytest.approx(2 / 400, rel=0.02)
    assert xavier.W[0].var() == pytest.approx(2 / 700, rel=0.02)
    assert he.W[1].var() == pytest.approx(2 / 500, rel=0.03)  # the output layer: Xavier
    assert np.all(he.b[0] == 0)


def test_same_rng_seed_same_start() -> None:
    a = MLP([2, 8, 1], "relu", "sigmoid", np.random.default_rng(7))
    b = MLP([2, 8, 1], "relu", "sigmoid", np.random.default_rng(7))
    np.testing.assert_array_equal(a.theta, b.theta)


def test_layer_outputs_and_float32_predict() -> None:
    rng = np.random.default_rng(0)
    net = MLP([4, 5, 3], "tanh", "softmax", rng)
    X = rng.normal(size=(8, 4))
    outs = net.layer_outputs(X)
    assert [o.shape for o in outs] == [(8, 4), (8, 5), (8, 3)]
    np.testing.assert_allclose(outs[1], np.tanh(X @ net.W[0] + net.b[0]))
    np.testing.assert_allclose(outs[2], softmax(net.forward(X)))
    p32 = net.predict(X.astype(np.float32))
    assert p32.dtype == np.float32
    np.testing.assert_allclose(p32, outs[2], atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_logits_in_scratch_are_those_of_layer_outputs(activation: str, dtype: type) -> None:
    rng = np.random.default_rng(5)
    net = MLP([3, 9, 7, 2], activation, "softmax", rng)
    scratch = Scratch()
    for m in (40, 11, 40):  # buffers reused, grown and shrunk; the results never mix
        X: np.ndarray = rng.normal(0, 3, size=(m, 3)).astype(dtype)
        net.theta += rng.normal(0, 0.5, size=net.theta.shape)
        A = X
        for k, (W, b) in enumerate(zip(net.W, net.b, strict=True)):  # layer_outputs' logits
            A = A @ W.astype(dtype) + b.astype(dtype)
            A = net.act.f(A) if k < net.n_layers - 1 else A
        Z = net.logits(X, scratch)
        assert Z.dtype == dtype and Z.shape == (m, 2)
        np.testing.assert_array_equal(Z, A)
        if dtype == np.float64:  # and, in float64, those of forward
            np.testing.assert_array_equal(Z, net.forward(X))


def test_grad_norms_per_weight_matrix() -> None:
    net = MLP([2, 3, 1], "relu", "sigmoid")
    net.gW[0][...] = 1.0  # six ones
    net.gW[1][...] = [[3.0], [4.0], [0.0]]
    assert net.grad_norms() == pytest.approx([np.sqrt(6), 5.0])


def test_bad_shapes_rejected() -> None:
    with pytest.raises(ValueError, match="layer sizes"):
        MLP([2])
    with pytest.raises(ValueError, match="output"):
        MLP([2, 1], output="tanh")

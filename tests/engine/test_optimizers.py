"""Optimizers: each update against one computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from engine.optimizers import OPTIMIZERS, Adam, Momentum, Nesterov, RMSProp, make

TINY = np.finfo(np.float64).tiny  # the smallest normal float64


def start() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    return {"w": np.array([1.0, -2.0]), "b": np.array([0.5])}, {
        "w": np.array([0.2, -0.4]),
        "b": np.array([1.0]),
    }


def test_sgd() -> None:
    params, grads = start()
    make("sgd").step(params, grads, 0.1)
    np.testing.assert_allclose(params["w"], [0.98, -1.96])
    np.testing.assert_allclose(params["b"], [0.4])


def test_momentum_two_steps() -> None:
    params, grads = start()
    opt = make("momentum")
    opt.step(params, grads, 0.1)  # v = g
    opt.step(params, grads, 0.1)  # v = 0.9·g + g = 1.9·g
    # w = 1 − 0.1·0.2 − 0.1·1.9·0.2 = 0.942
    np.testing.assert_allclose(params["w"], [0.942, -1.884])
    np.testing.assert_allclose(params["b"], [0.5 - 0.1 - 0.19])


def test_adam_first_step_moves_by_lr_times_sign() -> None:
    params, grads = start()
    make("adam").step(params, grads, 0.01)
    # m̂ = g, ŝ = g², so the step is η·g/(|g| + ε) = η·sign(g) up to ε.
    np.testing.assert_allclose(params["w"], [0.99, -1.99], rtol=1e-7)
    np.testing.assert_allclose(params["b"], [0.49], rtol=1e-7)


def test_adam_second_step_by_hand() -> None:
    w = np.array([1.0])
    opt = Adam()
    opt.step({"w": w}, {"w": np.array([0.5])}, 0.1)
    opt.step({"w": w}, {"w": np.array([-1.0])}, 0.1)
    m = 0.9 * 0.1 * 0.5 + 0.1 * -1.0  # 0.045 − 0.1
    s = 0.999 * 0.001 * 0.25 + 0.001 * 1.0
    m_hat, s_hat = m / (1 - 0.9**2), s / (1 - 0.999**2)
    first = 0.1 * 0.5 / (0.5 + 1e-8)  # m̂ = 0.5, √ŝ = 0.5 after one step
    expected = 1.0 - first - 0.1 * m_hat / (np.sqrt(s_hat) + 1e-8)
    np.testing.assert_allclose(w, [expected], rtol=1e-12)


def test_state_is_per_parameter_name_and_lr_is_per_step() -> None:
    opt = Momentum(beta=0.5)
    a, b = np.array([0.0]), np.array([0.0])
    opt.step({"a": a}, {"a": np.array([1.0])}, 1.0)
    opt.step({"b": b}, {"b": np.array([1.0])}, 1.0)  # b's velocity starts fresh
    opt.step({"a": a}, {"a": np.array([1.0])}, 0.1)  # v_a = 1.5, lr now 0.1
    np.testing.assert_allclose(a, [-1.0 - 0.15])
    np.testing.assert_allclose(b, [-1.0])


def test_updates_in_place() -> None:
    params, grads = start()
    w = params["w"]
    for name in OPTIMIZERS:
        make(name).step(params, grads, 0.1)
    assert params["w"] is w


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_each_descends_a_quadratic(name: str) -> None:
    w = np.array([3.0, -2.0])
    opt = make(name)
    # RMSProp's steps stay about η long however small the gradient: it ends in a ball of η
    lr = 0.01 if name == "rmsprop" else 0.05
    for _ in range(500):
        opt.step({"w": w}, {"w": 2 * w}, lr)  # C = ‖w‖², minimum at 0
    assert np.abs(w).max() < 1e-2


def subnormal(a: np.ndarray) -> int:
    return int(np.count_nonzero((a != 0) & (np.abs(a) < TINY)))


def test_adam_flushes_subnormal_moments_without_changing_a_bit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Gradients that stop (a dead unit): m decays by β1 each step, through the subnormals."""
    rng = np.random.default_rng(6)
    theta = rng.normal(size=50)
    grads = [rng.normal(size=50) for _ in range(20)]
    grads.append(grads[-1] * (np.arange(50) < 40))  # from step 20 on, the last 10 stop

    def run() -> tuple[np.ndarray, Adam]:
        params, opt = {"theta": theta.copy()}, Adam()
        for t in range(7000):
            opt.step(params, {"theta": grads[min(t, 20)]}, 0.01)
        return params["theta"], opt

    flushed, opt = run()
    assert subnormal(opt.m["theta"]) == 0 and not opt.m["theta"][40:].any()
    monkeypatch.setattr("engine.optimizers.FLUSH_EVERY", 10**9)
    kept, reference = run()
    assert subnormal(reference.m["theta"]) > 0  # the case arose, and was flushed
    np.testing.assert_array_equal(flushed.view(np.uint64), kept.view(np.uint64))


# -- every optimizer against its recurrence, typed in again here, in scalars ---------------

GRADS = [0.5, -1.0, 0.25, 3.0, -0.125, 0.0, 2.0, -0.75]


def by_hand(name: str, grads: list[float], lr: float, theta: float = 1.0) -> list[float]:
    """θ after each step, from the textbook recurrences (PyTorch's forms), one number at a time."""
    v = m = s = 0.0
    out = []
    for t, g in enumerate(grads, start=1):
        if name == "sgd":
            theta = theta - lr * g
        elif name == "momentum":  # torch.optim.SGD(momentum=0.9)
            v = 0.9 * v + g
            theta = theta - lr * v
        elif name == "nesterov":  # torch.optim.SGD(momentum=0.9, nesterov=True)
            v = 0.9 * v + g
            theta = theta - lr * (g + 0.9 * v)
        elif name == "rmsprop":  # torch.optim.RMSprop(alpha=0.9, eps=1e-8)
            s = 0.9 * s + (1 - 0.9) * (g * g)  # addcmul(g, g, value=1 − α)
            theta = theta - lr * g / (s**0.5 + 1e-8)
        elif name == "adam":  # torch.optim.Adam: bias-corrected moments, ε outside the root
            m = 0.9 * m + 0.1 * g
            s = 0.999 * s + 0.001 * g * g
            m_hat, s_hat = m / (1 - 0.9**t), s / (1 - 0.999**t)
            theta = theta - lr * m_hat / (s_hat**0.5 + 1e-8)
        out.append(theta)
    return out


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "rmsprop", "adam"])
@pytest.mark.parametrize("lr", [0.01, 0.3])
def test_each_update_matches_its_recurrence(name: str, lr: float) -> None:
    theta = np.array([1.0, -2.0])
    opt = make(name)
    expected = np.column_stack(
        [by_hand(name, GRADS, lr, 1.0), by_hand(name, [-g for g in GRADS], lr, -2.0)]
    )
    for k, g in enumerate(GRADS):
        opt.step({"theta": theta}, {"theta": np.array([g, -g])}, lr)
        np.testing.assert_allclose(theta, expected[k], rtol=1e-12, atol=1e-12)


def test_nesterov_looks_ahead_of_momentum() -> None:
    """Same velocity, but the step adds β·v to g: further while the gradient keeps its sign."""
    a, b = np.array([0.0]), np.array([0.0])
    mom, nes = Momentum(), Nesterov()
    for _ in range(3):
        mom.step({"p": a}, {"p": np.array([1.0])}, 0.1)
        nes.step({"p": b}, {"p": np.array([1.0])}, 0.1)
    np.testing.assert_array_equal(mom.v["p"], nes.v["p"])  # v = 1, 1.9, 2.71
    # momentum: −0.1·(1 + 1.9 + 2.71); Nesterov: −0.1·(1.9 + 2.71 + 3.439)
    np.testing.assert_allclose(a, [-0.561], rtol=1e-12)
    np.testing.assert_allclose(b, [-0.8049], rtol=1e-12)


def test_rmsprop_first_step_is_lr_over_root_one_minus_rho() -> None:
    """s = 0.1·g² after one step: the step is η·g/(√0.1·|g|) ≈ 3.16·η, whatever g's size."""
    for g in (1e-3, 5.0):
        p = np.array([0.0])
        RMSProp().step({"p": p}, {"p": np.array([g])}, 0.01)
        np.testing.assert_allclose(p, [-0.01 / np.sqrt(0.1)], rtol=1e-4)  # ε: 3e−5 at 1e−3

"""Beans engine against the notes' formulas (SEEDS.md §1), least squares and finite differences."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine.lab import Effect
from engine.labs.beans import PRESETS, Beans, BeansParams
from engine.regression import Moments, batch_grad
from engine.trail import PATH_POINTS


def make(**kw: object) -> Beans:
    return Beans(dataclasses.replace(BeansParams(), **kw))


def notes_beans(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The notes' get_beans(n), typed in independently: 0.7x + 0.5 + (0.5 − u)/5."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.random(n))
    return x, 0.7 * x + 0.5 + (0.5 - rng.random(n)) / 5


def test_data_is_the_notes_beans_and_reproducible() -> None:
    lab = make(n=50, data_seed=7)
    x, y = notes_beans(50, 7)
    np.testing.assert_allclose(lab.x, x, rtol=0, atol=1e-15)
    np.testing.assert_allclose(lab.y, y, rtol=0, atol=1e-14)
    again = make(n=50, data_seed=7)
    assert np.array_equal(again.y, lab.y)
    assert not np.array_equal(make(n=50, data_seed=8).y, lab.y)
    assert np.all(np.abs(lab.y - (0.7 * lab.x + 0.5)) <= 0.1)


@pytest.mark.parametrize("model", ["w", "wb"])
def test_sgd_follows_the_notes_per_sample_rule_in_order(model: str) -> None:
    lab = make(model=model, method="sgd", lr=0.1, w0=0.1, b0=0.1, n=30)
    w, b = 0.1, 0.1 if model == "wb" else 0.0
    for k in range(75):  # 2.5 epochs, in order
        xi, yi = float(lab.x[k % 30]), float(lab.y[k % 30])
        dw = 2 * xi**2 * w + 2 * xi * b - 2 * xi * yi
        db = 2 * b + 2 * xi * w - 2 * yi
        w, b = w - 0.1 * dw, (b - 0.1 * db if model == "wb" else 0.0)
    assert lab.step(75) == 75
    assert lab.w == pytest.approx(w, abs=1e-12)
    assert lab.b == pytest.approx(b, abs=1e-12)
    assert lab.frame()["epoch"] == pytest.approx(2.5)


def test_minibatch_takes_consecutive_groups_and_a_short_last_batch() -> None:
    lab = make(method="minibatch", batch_size=10, n=25, lr=0.2, w0=0.0, b0=0.0)
    w = b = 0.0
    bounds = [(0, 10), (10, 20), (20, 25), (0, 10), (10, 20)]
    for lo, hi in bounds:
        xs, ys = lab.x[lo:hi], lab.y[lo:hi]
        r = w * xs + b - ys
        w, b = w - 0.2 * float(np.mean(2 * r * xs)), b - 0.2 * float(np.mean(2 * r))
    lab.step(5)
    assert (lab.w, lab.b) == (pytest.approx(w, abs=1e-12), pytest.approx(b, abs=1e-12))
    assert lab.frame()["epoch"] == pytest.approx(45 / 25)


def test_batch_descent_uses_the_mean_gradient_and_reaches_least_squares() -> None:
    lab = make(method="batch", lr=0.5, w0=0.1, b0=0.1)
    w = b = 0.1
    for _ in range(3):
        r = w * lab.x + b - lab.y
        w, b = w - 0.5 * float(np.mean(2 * r * lab.x)), b - 0.5 * float(np.mean(2 * r))
    lab.step(3)
    assert (lab.w, lab.b) == (pytest.approx(w, abs=1e-12), pytest.approx(b, abs=1e-12))
    lab.step(5000)
    A = np.column_stack([lab.x, np.ones_like(lab.x)])
    (w_ls, b_ls), *_ = np.linalg.lstsq(A, lab.y, rcond=None)
    assert lab.w == pytest.approx(w_ls, abs=1e-8)
    assert lab.b == pytest.approx(b_ls, abs=1e-8)


def test_fixed_step_moves_against_the_sign_and_ends_zigzagging() -> None:
    lab = make(method="fixed_step", step_size=0.01, w0=0.1, b0=0.1)
    w = b = 0.1
    for _ in range(200):
        r = w * lab.x + b - lab.y
        w -= 0.01 * np.sign(np.mean(2 * r * lab.x))
        b -= 0.01 * np.sign(np.mean(2 * r))
    lab.step(200)
    assert (lab.w, lab.b) == (pytest.approx(w, abs=1e-12), pytest.approx(b, abs=1e-12))
    moves = []
    for _ in range(20):
        before = lab.w
        lab.step(1)
        moves.append(round(lab.w - before, 12))
    assert set(moves) <= {0.01, -0.01} and len(set(moves)) == 2  # back and forth


@pytest.mark.parametrize("model", ["w", "wb"])
def test_optimum_is_least_squares(model: str) -> None:
    lab = make(model=model, n=200, data_seed=3)
    cols = [lab.x] if model == "w" else [lab.x, np.ones_like(lab.x)]
    sol, *_ = np.linalg.lstsq(np.column_stack(cols), lab.y, rcond=None)
    w, b = lab.optimum
    assert w == pytest.approx(sol[0], abs=1e-10)
    assert b == pytest.approx(sol[1] if model == "wb" else 0.0, abs=1e-10)


def test_gradients_match_finite_differences() -> None:
    lab = make(n=40)
    cost = lambda w, b: float(np.mean((w * lab.x + b - lab.y) ** 2))  # noqa: E731
    m = Moments.of(lab.x, lab.y)
    h = 1e-6
    for w, b in [(-0.5, -1.5), (0.3, 0.2), (1.7, -0.4)]:
        fd_w = (cost(w + h, b) - cost(w - h, b)) / (2 * h)
        fd_b = (cost(w, b + h) - cost(w, b - h)) / (2 * h)
        assert batch_grad(lab.x, lab.y, w, b) == (pytest.approx(fd_w, abs=1e-6),
                                                  pytest.approx(fd_b, abs=1e-6))  # fmt: skip
        assert m.grad(w, b) == (pytest.approx(fd_w, abs=1e-6), pytest.approx(fd_b, abs=1e-6))
        assert m.cost(w, b) == pytest.approx(cost(w, b), rel=1e-12)


def test_surface_matches_the_cost_and_covers_the_notes_ranges() -> None:
    lab = make()
    surface = lab.data_messages()[1]
    w, b, c = surface["w"], surface["b"], surface["cost"]
    assert w[0] <= -1 and w[-1] >= 2 and b[0] <= -2 and b[-1] >= 2
    for i, j in [(0, 0), (10, 40), (60, 60)]:
        direct = np.mean((w[j] * lab.x + b[i] - lab.y) ** 2)
        assert c[i, j] == pytest.approx(direct, rel=1e-5)
    assert surface["optimum"]["w"] == pytest.approx(lab.optimum[0])


def test_window_widens_when_the_path_leaves_it() -> None:
    lab = make(method="batch", lr=0.05, w0=4.5, b0=4.5)
    posted = lab.take_messages()
    assert posted and posted[-1]["type"] == "surface"  # start outside the notes' window
    assert posted[-1]["w"][-1] >= 4.5 and posted[-1]["b"][-1] >= 4.5


def test_divergence_is_reported_and_reset_recovers() -> None:
    lab = make(method="batch", lr=5.0)
    done = lab.step(1000)
    assert lab.diverged and done < 1000
    frame = lab.frame()
    assert frame["diverged"] is True and frame["loss"]["train"] is None
    assert lab.step(10) == 0
    lab.reset()
    assert not lab.diverged and lab.frame()["loss"]["train"] is not None


def test_live_changes_do_not_reset_but_data_and_start_changes_do() -> None:
    lab = make()
    lab.step(7)
    assert lab.apply(dataclasses.replace(lab.params, lr=0.05, method="sgd")) is Effect.LIVE
    assert lab.steps == 7
    lab.step(1)
    assert lab.frame()["update"]["lr"] == 0.05
    assert lab.apply(dataclasses.replace(lab.params, w0=1.0)) is Effect.RESET
    assert lab.steps == 0 and lab.w == 1.0
    assert lab.apply(dataclasses.replace(lab.params, n=20)) is Effect.DATA
    assert len(lab.x) == 20


def test_w_model_keeps_b_at_zero() -> None:
    lab = make(model="w", b0=2.0)
    lab.step(50)
    frame = lab.frame()
    assert frame["params"]["b"] == 0.0 and frame["grad"]["b"] == 0.0


def test_shuffle_visits_every_bean_once_per_epoch_and_is_seeded() -> None:
    lab = make(method="sgd", shuffle=True, n=20)
    seen = []
    for _ in range(20):
        lab.step(1)
        seen += lab.frame()["batch"]
    assert sorted(seen) == list(range(20)) and seen != list(range(20))
    again = make(method="sgd", shuffle=True, n=20)
    again.step(20)
    assert again.w == lab.w


def test_path_is_thinned_and_repeats_the_last_point() -> None:
    lab = make(method="sgd")
    lab.step(1000)
    path = lab.frame()["path"]
    assert len(path["w"]) == PATH_POINTS and path["w"][-1] == lab.w
    lab.step(3)
    assert len(lab.frame()["path"]["w"]) == 4


def test_presets_are_valid_params() -> None:
    for name, preset in PRESETS.items():
        params = {k: v for k, v in preset.items() if k != "speed"}
        assert Beans(dataclasses.replace(BeansParams(), **params)).params, name
    assert PRESETS["notes_sgd_wb"]["lr"] == 0.01 and PRESETS["notes_sgd_w"]["lr"] == 0.1


def test_switching_the_model_resends_the_surface_with_its_optimum() -> None:
    lab = make(model="wb")
    assert lab.apply(dataclasses.replace(lab.params, model="w")) is Effect.RESET
    surfaces = [m for m in lab.take_messages() if m["type"] == "surface"]
    assert len(surfaces) == 1
    assert surfaces[0]["optimum"]["b"] == 0.0
    assert surfaces[0]["optimum"]["w"] == pytest.approx(lab.optimum[0])


def test_a_reset_after_a_blow_up_looks_at_the_data_window_again() -> None:
    lab = make(method="batch", lr=5.0, w0=0.1, b0=0.1)
    lab.take_messages()
    while lab.step(1):
        pass
    wide = [m for m in lab.take_messages() if m["type"] == "surface"][-1]
    assert wide["w"][-1] - wide["w"][0] > 100  # the window followed the blow-up
    lab.restart()
    narrow = [m for m in lab.take_messages() if m["type"] == "surface"]
    assert narrow and narrow[-1]["w"][0] == -1.0 and narrow[-1]["w"][-1] < 2.5


def test_the_too_large_lesson_zig_zags_outward_before_it_blows_up() -> None:
    lab = Beans(BeansParams(**{k: v for k, v in PRESETS["too_large"].items() if k != "speed"}))
    ws, costs = [], []
    for _ in range(60):
        lab.step(1)
        ws.append(lab.w)
        costs.append(lab.frame()["loss"]["train"])
    turns = np.sign(np.diff(ws))
    assert (turns[1:] != turns[:-1]).sum() > 40  # the path keeps changing direction
    low = int(np.argmin(costs))
    assert low > 5 and costs[-1] > 100 * costs[low]  # the cost goes down, then climbs
    assert not lab.diverged and lab.step(1000) < 1000 and lab.diverged

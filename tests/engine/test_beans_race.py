"""Beans optimizers and races (issue 15) against hand-derived updates and least squares.

The oracles are independent of the lab: the recurrences typed in again here, over the
beans' own arrays; ``np.linalg.lstsq`` for the bottom of the bowl; and, for a race, each
racer's optimizer run alone, stepped one update at a time and measured against lstsq.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest

from engine.lab import Effect
from engine.labs.beans import PRESETS, Beans, BeansParams

OPTIMIZERS = ["gd", "momentum", "nesterov", "rmsprop", "adam"]
NOTES_START = {"w0": 0.1, "b0": 0.1}


def make(**kw: object) -> Beans:
    return Beans(dataclasses.replace(BeansParams(), **kw))


def lstsq(lab: Beans) -> tuple[float, float]:
    if lab.params.model == "w":
        (w,), *_ = np.linalg.lstsq(lab.x[:, None], lab.y, rcond=None)
        return float(w), 0.0
    (w, b), *_ = np.linalg.lstsq(np.column_stack([lab.x, np.ones_like(lab.x)]), lab.y, rcond=None)
    return float(w), float(b)


def by_hand(name: str, x: np.ndarray, y: np.ndarray, lr: float, w: float, b: float,
            steps: int, with_b: bool = True) -> list[tuple[float, float]]:  # fmt: skip
    """(w, b) after each batch update, each optimizer's recurrence written out per coordinate."""
    v, m, s = [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]
    theta = [w, b]
    out = []
    for t in range(1, steps + 1):
        w, b = theta
        # the notes' per-sample gradients (SEEDS.md §1), averaged: RMSProp near the bottom
        # amplifies a last-bit difference ~30× every 3 steps, so the sums go in their order
        de_dw, de_db = 2 * x**2 * w + 2 * x * b - 2 * x * y, 2 * b + 2 * x * w - 2 * y
        grad = [float(de_dw.mean()), float(de_db.mean()) if with_b else 0.0]
        for i, g in enumerate(grad):
            if name == "gd":
                theta[i] -= lr * g
            elif name in ("momentum", "nesterov"):
                v[i] = 0.9 * v[i] + g
                theta[i] -= lr * (v[i] if name == "momentum" else g + 0.9 * v[i])
            elif name == "rmsprop":
                s[i] = 0.9 * s[i] + (1 - 0.9) * (g * g)  # torch: addcmul(g, g, value=1 − ρ)
                theta[i] -= lr * g / (math.sqrt(s[i]) + 1e-8)
            else:
                m[i] = 0.9 * m[i] + 0.1 * g
                s[i] = 0.999 * s[i] + 0.001 * g * g
                m_hat, s_hat = m[i] / (1 - 0.9**t), s[i] / (1 - 0.999**t)
                theta[i] -= lr * m_hat / (math.sqrt(s_hat) + 1e-8)
        out.append((theta[0], theta[1]))
    return out


@pytest.mark.parametrize("model", ["w", "wb"])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_each_optimizer_is_its_recurrence_on_the_beans(name: str, model: str) -> None:
    lab = make(optimizer=name, method="batch", lr=0.1, model=model, **NOTES_START)
    expected = by_hand(name, lab.x, lab.y, 0.1, 0.1, 0.1 if model == "wb" else 0.0, 60,
                       with_b=model == "wb")  # fmt: skip
    for k in range(60):
        lab.step(1)
        assert lab.w == pytest.approx(expected[k][0], rel=1e-12, abs=1e-12)
        assert lab.b == pytest.approx(expected[k][1], rel=1e-12, abs=1e-12)
    assert lab.frame()["update"]["optimizer"] == name


@pytest.mark.parametrize(("name", "lr"), [("gd", 0.3), ("momentum", 0.1), ("nesterov", 0.1),
                                          ("rmsprop", 0.001), ("adam", 0.01)])  # fmt: skip
def test_each_optimizer_reaches_least_squares(name: str, lr: float) -> None:
    lab = make(optimizer=name, method="batch", lr=lr, **NOTES_START)
    w_ls, b_ls = lstsq(lab)
    lab.step(6000)
    if name == "rmsprop":
        # its steps stay about η long: it ends zig-zagging across the optimum, η/2 either side
        w1, b1 = lab.w, lab.b
        lab.step(1)
        assert abs(lab.w - w_ls) <= lr and abs(lab.b - b_ls) <= lr
        assert (lab.w + w1) / 2 == pytest.approx(w_ls, abs=1e-6)
        assert (lab.b + b1) / 2 == pytest.approx(b_ls, abs=1e-6)
    else:
        assert lab.w == pytest.approx(w_ls, abs=1e-9)
        assert lab.b == pytest.approx(b_ls, abs=1e-9)


def test_a_live_optimizer_change_starts_fresh_from_where_it_is() -> None:
    lab = make(optimizer="momentum", method="batch", lr=0.05, **NOTES_START)
    lab.step(10)
    w, b = lab.w, lab.b
    assert lab.apply(dataclasses.replace(lab.params, optimizer="adam")) is Effect.LIVE
    assert lab.steps == 10 and (lab.w, lab.b) == (w, b)
    lab.step(5)
    # Adam from (w, b) with fresh moments: its first step is η·sign(g) (up to ε)
    fresh = make(optimizer="adam", method="batch", lr=0.05, w0=w, b0=b)
    fresh.step(5)
    assert (lab.w, lab.b) == (pytest.approx(fresh.w, abs=1e-12), pytest.approx(fresh.b, abs=1e-12))


def alone_steps_to(name: str, lr: float, eps: float, limit: int, **kw: object) -> int | None:
    """Steps until the run is within eps of lstsq, stepping one update at a time."""
    lab = make(optimizer=name, lr=lr, **kw)
    w_ls, b_ls = lstsq(lab)
    for k in range(1, limit + 1):
        lab.step(1)
        if lab.diverged:
            return None
        if math.hypot(lab.w - w_ls, lab.b - b_ls) <= eps:
            return k
    return None


@pytest.mark.parametrize(
    "settings",
    [
        {"method": "batch", "lr": 0.1},
        {"method": "minibatch", "batch_size": 10, "lr": 0.1, "shuffle": True},
        {"method": "sgd", "lr": 0.01, "limit": 3000},
    ],
)
def test_a_race_from_the_notes_start_finishes_as_each_would_alone(settings: dict[str, Any]) -> None:
    settings = dict(settings)
    lr, limit = settings.pop("lr"), settings.pop("limit", 400)
    race = make(race=tuple(OPTIMIZERS), lr=lr, **NOTES_START, **settings)
    race.step(limit)
    frame = race.frame()
    alone = [
        alone_steps_to(name, lr, 0.01, limit, **NOTES_START, **settings) for name in OPTIMIZERS
    ]
    assert [r["finish"] for r in frame["race"]] == alone
    assert sum(a is not None for a in alone) >= 3  # the race is not empty
    best = min(a for a in alone if a is not None)
    winners = [i for i, a in enumerate(alone) if a == best]
    assert frame["finish"] == {"eps": 0.01, "step": best, "winners": winners}


def test_the_notes_race_has_the_numbers_a_learner_sees() -> None:
    """Batch descent at α = 0.1 from w = b = 0.1: Nesterov first, plain descent last."""
    race = make(race=tuple(OPTIMIZERS), method="batch", lr=0.1, **NOTES_START)
    race.step(300)
    finishes = {r["optimizer"]: r["finish"] for r in race.frame()["race"]}
    alone = {
        n: alone_steps_to(n, 0.1, 0.01, 300, method="batch", **NOTES_START) for n in OPTIMIZERS
    }
    assert finishes == alone
    assert race.frame()["finish"]["winners"] == [OPTIMIZERS.index("nesterov")]
    assert max(finishes, key=lambda n: finishes[n] or 0) == "gd"


def test_one_optimizer_at_several_rates() -> None:
    race = make(race=("gd", "gd", "gd"), race_lr=(0.05, 0.3, 0.7), method="batch", **NOTES_START)
    race.step(200)
    finishes = [r["finish"] for r in race.frame()["race"]]
    assert finishes == [alone_steps_to("gd", lr, 0.01, 200, method="batch", **NOTES_START)
                        for lr in (0.05, 0.3, 0.7)]  # fmt: skip
    assert race.frame()["finish"]["winners"] == [2]
    assert [r["lr"] for r in race.frame()["race"]] == [0.05, 0.3, 0.7]


def test_a_racer_that_blows_up_stops_alone() -> None:
    race = make(race=("gd", "adam"), race_lr=(2.0, 0.05), method="batch", **NOTES_START)
    race.step(100)
    gd, adam = race.frame()["race"]
    assert gd["diverged"] and gd["loss"] is None and not race.diverged
    assert not adam["diverged"] and adam["loss"] is not None
    assert race.steps == 100
    alone = make(optimizer="adam", lr=0.05, method="batch", **NOTES_START)
    alone.step(100)
    assert adam["params"] == {"w": alone.w, "b": alone.b}


def test_racers_share_the_lab_lr_live_unless_given_their_own() -> None:
    race = make(race=("momentum", "rmsprop"), method="batch", lr=0.02, **NOTES_START)
    race.step(4)
    assert race.apply(dataclasses.replace(race.params, lr=0.2)) is Effect.LIVE
    race.step(3)
    alone = make(optimizer="rmsprop", method="batch", lr=0.02, **NOTES_START)
    alone.step(4)
    alone.apply(dataclasses.replace(alone.params, lr=0.2))
    alone.step(3)
    assert race.racers[1].w == alone.w and race.racers[1].b == alone.b
    # a change of the single run's optimizer does nothing to the racers
    race.apply(dataclasses.replace(race.params, optimizer="adam"))
    assert [r.optimizer for r in race.racers] == ["momentum", "rmsprop"]


def test_any_race_the_bounds_allow_is_a_race() -> None:
    """A race of one is a time trial; racers past the end of race_lr use lr, live."""
    trial = make(race=("adam",), method="batch", lr=0.1, **NOTES_START)
    trial.step(80)
    (only,) = trial.frame()["race"]
    assert only["finish"] == alone_steps_to("adam", 0.1, 0.01, 80, method="batch", **NOTES_START)
    assert trial.frame()["finish"]["winners"] == ([0] if only["finish"] else [])
    some = make(race=("gd", "momentum", "adam"), race_lr=(0.3,), lr=0.05)
    assert [r.lr for r in some.racers] == [0.3, None, None]
    extra = make(race=("gd", "adam"), race_lr=(0.1, 0.2, 0.3))
    assert [r.lr for r in extra.racers] == [0.1, 0.2]
    assert make(race_lr=(0.4,)).frame()["race"] is None  # no racers: a plain run at lr
    assert make().frame()["race"] is None


def test_race_frames_carry_arrows_and_paths() -> None:
    race = make(race=("gd", "momentum", "adam"), method="batch", lr=0.1, **NOTES_START)
    race.step(5)
    gd, mom, adam = race.frame()["race"]
    assert gd["velocity"] is None
    v = mom["update"]["state"]["after"]["v"]
    assert mom["velocity"] == v
    step = mom["step"]
    assert step["w"] == pytest.approx(-0.1 * v["w"], abs=1e-15)  # heavy ball: Δθ = −η·v
    assert adam["velocity"]["w"] == pytest.approx(
        adam["update"]["state"]["after"]["m"]["w"] / (1 - 0.9**5), rel=1e-12
    )
    assert len(gd["path"]["w"]) == 6  # the start and five updates
    assert [r["distance"] > 0.01 for r in (gd, mom, adam)] == [True, True, True]


def test_notes_presets_descend_plainly_and_race_presets_race() -> None:
    for name, preset in PRESETS.items():
        params = BeansParams(**{k: tuple(v) if isinstance(v, list) else v
                                for k, v in preset.items() if k != "speed"})  # fmt: skip
        assert bool(params.race) == name.startswith("race")
        if not params.race:
            assert params.optimizer == "gd"


@pytest.mark.parametrize(
    ("preset", "steps"),
    [("notes_sgd_w", 10_000), ("notes_sgd_wb", 50_000), ("notes_batch", 2000),
     ("notes_minibatch", 2000), ("notes_fixed_step", 200)],
)  # fmt: skip
def test_the_notes_lessons_are_bit_for_bit_plain_descent(preset: str, steps: int) -> None:
    """With ``gd`` the optimizer machinery adds nothing: the notes' loop, in Python floats,
    ends on exactly the same bits (SEEDS.md §1: samples in order, w ← w − α·∂e/∂w)."""
    params = {k: v for k, v in PRESETS[preset].items() if k not in ("speed", "race", "race_lr")}
    lab = make(**params)
    x, y = lab.x, lab.y
    w, b = float(params["w0"]), float(params["b0"]) if params["model"] == "wb" else 0.0
    method, n = params["method"], len(x)
    size = {"sgd": 1, "minibatch": params.get("batch_size", 10)}.get(method, n)
    for k in range(steps):
        lo = (k * size) % n if size < n else 0
        xs, ys = x[lo : lo + size], y[lo : lo + size]
        gw = float((2 * xs**2 * w + 2 * xs * b - 2 * xs * ys).mean())
        gb = float((2 * b + 2 * xs * w - 2 * ys).mean())
        if method == "fixed_step":
            dw, db = 0.01 * float(np.sign(gw)), 0.01 * float(np.sign(gb))
        else:
            dw, db = params["lr"] * gw, params["lr"] * gb
        w, b = w - dw, (b - db if params["model"] == "wb" else 0.0)
    assert lab.step(steps) == steps
    assert (lab.w, lab.b) == (w, b)

"""More than two classes in circles, and uploaded tables: data, gradients, metrics, export.

Oracles: central finite differences of the lab's own loss for the softmax
network's gradient; per-class counts done by hand; the exported script, run in
a fresh interpreter, for the replay.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine import datasets, multiclass
from engine.export import circles as body
from engine.lab import OpError
from engine.labs.circles import AddPointArgs, Circles, CirclesParams
from engine.losses import LOSSES, one_hot
from engine.nn import MLP
from engine.userdata import parse
from tests.engine.export_checks import run_script


def lab(**changes: Any) -> Circles:
    return Circles(replace(CirclesParams(), **changes))


def table_csv(rows: list[tuple[float, float, str]]) -> str:
    return "x1,x2,label\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows)


# -- data --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(datasets.MULTICLASS))
@pytest.mark.parametrize("k", [2, 3, 6])
def test_k_class_sets_are_balanced_seeded_and_on_the_plane(name: str, k: int) -> None:
    gen = datasets.MULTICLASS[name]
    X, y = gen(301, np.random.default_rng(4), 0.1, k)
    assert X.shape == (301, 2) and y.dtype == np.int64
    counts = np.bincount(y, minlength=k)
    assert counts.tolist() == [301 // k + (c < 301 % k) for c in range(k)]
    assert (np.abs(X) < 6.0).mean() > 0.99  # Gaussian tails may leave the plane
    X2, y2 = gen(301, np.random.default_rng(4), 0.1, k)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)


def test_blob_centres_are_where_the_docstring_says() -> None:
    X, y = datasets.blobs(3000, np.random.default_rng(0), 0.0, 4)
    means = np.array([X[y == c].mean(axis=0) for c in range(4)])
    expected = [[0, 3.5], [3.5, 0], [0, -3.5], [-3.5, 0]]  # angles from the x2 axis
    assert np.allclose(means, expected, atol=0.1)


# -- the softmax network --------------------------------------------------------------


def test_three_classes_give_three_softmax_outputs_and_binary_stays_one() -> None:
    assert lab().net.sizes[-1] == 1 and lab().net.output == "sigmoid"
    c = lab(dataset="arms", classes=3, hidden=(5,))
    assert c.net.sizes == (2, 5, 3) and c.net.output == "softmax" and c.k == 3
    assert c.Y_train.shape == (len(c.y_train), 3)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_multiclass_gradients_match_finite_differences(activation: str) -> None:
    """∂L/∂θ from backward against (L(θ + h) − L(θ − h))/2h for every parameter."""
    c = lab(dataset="blobs", classes=4, hidden=(4, 3), activation=activation, n=40)
    net = c.net
    F, Y = c.F_train[:12], c.Y_train[:12]
    loss = LOSSES["softmax_ce"]
    with np.errstate(all="ignore"):
        net.backward(loss.grad(net.forward(F), Y))
    analytic = net.dtheta.copy()
    numeric = np.empty_like(analytic)
    h = 1e-6
    for i in range(net.theta.size):
        keep = net.theta[i]
        net.theta[i] = keep + h
        up = loss.value(net.forward(F), Y)
        net.theta[i] = keep - h
        down = loss.value(net.forward(F), Y)
        net.theta[i] = keep
        numeric[i] = (up - down) / (2 * h)
    assert np.allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_softmax_ce_loss_is_minus_log_the_true_class_probability() -> None:
    Z = np.array([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
    y = np.array([0, 2])
    p0 = np.exp(2) / (np.exp(2) + 1 + np.exp(-1))
    expected = -(np.log(p0) + np.log(1 / 3)) / 2
    assert LOSSES["softmax_ce"].value(Z, one_hot(y, 3)) == pytest.approx(expected, rel=1e-12)


def test_per_class_accuracy_counted_by_hand() -> None:
    net = MLP([2, 3], "relu", "softmax", np.random.default_rng(0))
    net.W[0][...] = np.eye(2, 3) * 10  # class 0 ← x1, class 1 ← x2, class 2 never wins
    F = np.array([[1.0, 0], [1, 0], [0, 1], [0, 1], [1, 0], [0, 1]])
    y = np.array([0, 0, 1, 0, 2, 2])  # right, right, right, wrong, wrong, wrong
    loss, accuracy, per_class = multiclass.evaluate(net, F, y, 4)
    assert accuracy == 0.5
    assert per_class == [2 / 3, 1.0, 0.0, None]  # class 3 has no point
    assert loss == pytest.approx(LOSSES["softmax_ce"].value(net.forward(F), one_hot(y, 3)))


def test_three_arms_learn_and_the_frame_has_per_class_accuracy_and_top_class() -> None:
    c = lab(dataset="arms", classes=3, hidden=(16, 16))
    c.step(600)
    f = c.frame()
    per = f["metrics"]["class_accuracy"]
    assert len(per["train"]) == len(per["test"]) == 3
    assert f["metrics"]["accuracy"]["test"] > 0.9
    b = f["boundary"]
    assert b["classes"] == 3 and b["top"].shape == b["z"].shape == (48, 48)
    assert set(np.unique(b["top"])) == {0, 1, 2}  # three coloured regions
    # the top class of each cell is the argmax of the network's probabilities
    P = c.net.predict(c.boundary.features(c._grid(), c.params.features).astype(np.float64))
    agree = (P.argmax(axis=1).reshape(48, 48) == b["top"]).mean()
    assert agree > 0.99  # float32 grid: a tie may differ at a cell on the line
    conf = (P.max(axis=1) - 1 / 3) / (2 / 3) * 255
    assert np.abs(conf.reshape(48, 48) - b["z"]).max() <= 2


def test_binary_frames_have_no_multiclass_fields() -> None:
    f = lab(hidden=(4,)).frame()
    assert "class_accuracy" not in f["metrics"] and "top" not in f["boundary"]
    assert "classes" not in lab(hidden=(4,)).data_messages()[0]


def test_add_point_label_must_be_a_class_of_the_data() -> None:
    c = lab(dataset="blobs", classes=4, hidden=(4,))
    c.call_op("add_point", AddPointArgs(x1=0.0, x2=0.0, label=3))
    assert c.y_train[-1] == 3 and c.Y_train[-1].tolist() == [0, 0, 0, 1]
    with pytest.raises(OpError):
        c.call_op("add_point", AddPointArgs(x1=0.0, x2=0.0, label=4))
    with pytest.raises(OpError):
        lab(hidden=(4,)).call_op("add_point", AddPointArgs(x1=0.0, x2=0.0, label=2))


# -- uploaded tables ----------------------------------------------------------------


def test_an_uploaded_table_is_scaled_onto_the_plane_and_named_classes_kept() -> None:
    rows = [(100 + i, 2000 - 3 * i, ["cat", "dog", "emu"][i % 3]) for i in range(30)]
    c = lab(hidden=(4,), test_ratio=0.2)
    messages = c.upload(parse(table_csv(rows), "circles"))
    data = messages[0]
    assert data["type"] == "data" and data["classes"] == ["cat", "dog", "emu"]
    assert data["upload"] == {"rows": 30}
    assert len(c.y_train) == 24 and len(c.y_test) == 6 and c.k == 3
    X = np.concatenate([c.X_train, c.X_test])
    assert np.abs(X).max() == pytest.approx(5.4)  # 0.9 of the half-width, shape kept
    assert c.net.sizes[-1] == 3 and c.steps == 0


def test_upload_stays_through_reset_and_split_changes_but_not_new_data() -> None:
    c = lab(hidden=(4,))
    c.upload(parse(table_csv([(i, i % 4, str(i % 2)) for i in range(20)]), "circles"))
    assert c.k == 2 and c.net.sizes[-1] == 1  # two uploaded classes: the sigmoid output
    c.step(5)
    c.restart()
    c.apply(replace(c.params, test_ratio=0.3))
    assert c.table is not None and len(c.y_train) == 14
    c.apply(replace(c.params, noise=0.1))
    assert c.table is None and len(c.y_train) == 280  # 400 generated points, 30 % held out


def test_a_fork_pickles_the_uploaded_data_with_the_lab() -> None:
    import pickle

    c = lab(hidden=(4,))
    c.upload(parse(table_csv([(i, -i, "ab"[i % 2] * 2) for i in range(20)]), "circles"))
    c.step(3)
    copy = pickle.loads(pickle.dumps(c))
    assert np.array_equal(copy.X_train, c.X_train) and copy.class_names == ["aa", "bb"]
    copy.step(4)
    c.step(4)
    assert copy.frame()["loss"] == c.frame()["loss"]


# -- the export replays exactly -------------------------------------------------------


def expected(c: Circles) -> dict[str, Any]:
    return {"step": c.steps, "loss": c.frame()["loss"]["train"]}


@pytest.mark.parametrize(("dataset", "k"), [("arms", 3), ("blobs", 5)])
def test_multiclass_runs_replay_exactly_in_process(dataset: str, k: int) -> None:
    c = lab(dataset=dataset, classes=k, hidden=(6, 5), n=150, noise=0.2, data_seed=3,
            features=("x1", "x2", "x1x2"), optimizer="momentum", lr=0.05)  # fmt: skip
    c.step(15)
    c.apply(replace(c.params, dropout=0.2, l2=0.01, batch_size=7))
    c.step(10)
    c.call_op("add_point", AddPointArgs(x1=1.0, x2=-2.0, label=k - 1))
    c.step(10)
    assert body.run(c.log.params, c.log.events, c.steps) == expected(c)


def test_an_uploaded_run_replays_exactly_as_a_script(tmp_path: Path) -> None:
    rows = [(np.cos(i) * i, np.sin(i) * i, ["red", "green", "blue", "grey"][i % 4])
            for i in range(60)]  # fmt: skip
    c = lab(hidden=(8,), test_ratio=0.25)
    c.upload(parse(table_csv(rows), "circles"))
    c.step(12)
    c.call_op("add_point", AddPointArgs(x1=0.5, x2=0.5, label=2))
    c.step(8)
    c.restart()  # the data and the point are carried to the new run
    assert [kind for _, kind, _ in c.log.events] == ["upload", "add_point"]
    c.step(20)
    assert run_script(c, tmp_path) == expected(c)


def test_a_brush_stroke_adds_its_points_at_once_and_replays() -> None:
    from engine.labs.circles import MAX_ADDED, AddPointsArgs

    c = lab(dataset="blobs", classes=3, hidden=(6,), n=60)
    c.step(5)
    stroke = tuple((0.5 * i - 3, 1.0, 2) for i in range(12))
    reply = c.call_op("add_points", AddPointsArgs(points=stroke))
    assert reply == {"type": "points", "added": 12}
    assert c.y_train[-12:].tolist() == [2] * 12 and c.X_train[-1].tolist() == [2.5, 1.0]
    c.step(7)
    c.restart()  # the painted points are carried, one add_point each
    assert [kind for _, kind, _ in c.log.events] == ["add_point"] * 12
    c.step(4)
    c.call_op("add_points", AddPointsArgs(points=((1.0, 1.0, 0), (2.0, 2.0, 1))))
    c.step(4)
    assert body.run(c.log.params, c.log.events, c.steps) == expected(c)
    with pytest.raises(OpError):
        c.call_op("add_points", AddPointsArgs(points=((0.0, 0.0, 3),)))
    too_many = tuple((0.0, 0.0, 0) for _ in range(50))
    for _ in range(MAX_ADDED // 50 - 1):
        c.call_op("add_points", AddPointsArgs(points=too_many))
    with pytest.raises(OpError):
        c.call_op("add_points", AddPointsArgs(points=too_many))

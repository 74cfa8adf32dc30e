"""The circles lab's data: generated or uploaded points, the learner's added points,
their input features, and the messages that carry them to the page.

A base of ``Circles`` (engine/labs/circles.py), which trains on them: the points and
their features change together whether new data, an upload or a click changed them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine import datasets
from engine.activations import curve
from engine.classifier import Batches, Boundary, split
from engine.features import expand
from engine.lab import Lab, Message
from engine.labs.circles_params import EXTENT, CirclesParams
from engine.losses import one_hot
from engine.userdata import Table, display_scale


class CirclesData(Lab[CirclesParams]):
    """The circles lab's data half: what it trains on, and how the page hears of it."""

    boundary: Boundary  # forgotten whenever the data changes: the next frame shows the change
    table: Table | None  # uploaded data, scaled onto the plane

    def make_data(self) -> None:
        p = self.params
        rng = np.random.default_rng(p.data_seed)
        if self.table is not None:
            X, y = self.table.x, self.table.y
        elif p.dataset in datasets.MULTICLASS:
            X, y = datasets.MULTICLASS[p.dataset](p.n, rng, p.noise, p.classes)
        else:
            X, y = datasets.CLASSIFICATION[p.dataset](p.n, rng, p.noise)
        self.X_base, self.y_base, self.X_test, self.y_test = split(X, y, p.test_ratio, rng)
        self.added: list[tuple[float, float, int]] = []  # regenerated data drops them
        self._join_added()

    def _join_added(self) -> None:
        """The training set is the generated points followed by the added ones."""
        extra = np.array([a[:2] for a in self.added], dtype=np.float64).reshape(-1, 2)
        self.X_train = np.concatenate([self.X_base, extra])  # (m, 2)
        self.y_train = np.concatenate([self.y_base, [a[2] for a in self.added]]).astype(np.int64)

    def data_messages(self) -> list[Message]:
        """The data, then the hidden activation's curve for the page's f and f′ panel."""
        return [self._data_message(), self._activation_message()]

    def _data_message(self) -> Message:
        def part(X: np.ndarray, y: np.ndarray) -> Message:
            return {"x": X.astype(np.float32), "y": y.astype(np.uint8)}

        message: Message = {"type": "data", "train": part(self.X_train, self.y_train),
                            "test": part(self.X_test, self.y_test),
                            "added": len(self.added)}  # fmt: skip
        if self.k > 2 or self.table is not None:  # binary generated data: as it always was
            message["classes"] = self.class_names
        if self.table is not None:
            message["upload"] = {"rows": len(self.table.y)}
        return message

    @property
    def k(self) -> int:
        """How many classes the data has: 2 (one sigmoid output) or more (softmax)."""
        if self.table is not None:
            return len(self.table.classes)
        return self.params.classes if self.params.dataset in datasets.MULTICLASS else 2

    @property
    def class_names(self) -> list[str]:
        """The uploaded labels, or the class numbers of generated data."""
        if self.table is not None:
            return list(self.table.classes)
        return [str(c) for c in range(self.k)]

    def _activation_message(self) -> Message:
        """g(z) and g′(z) of the hidden activation on z ∈ [−5, 5], 101 points each."""
        name = self.params.activation
        c = curve(name)
        return {"type": "activation", "name": name,
                **{k: v.astype(np.float32) for k, v in c.items()}}  # fmt: skip

    def _featurize(self) -> None:
        """Input features of the train and test points, and a fresh epoch order."""
        names = self.params.features
        self.F_train, self.F_test = expand(self.X_train, names), expand(self.X_test, names)
        if self.k > 2:  # one-hot rows (m, k) for the softmax
            self.Y_train, self.Y_test = one_hot(self.y_train, self.k), one_hot(self.y_test, self.k)
        else:
            self.Y_train = self.y_train.astype(np.float64)[:, None]  # (m, 1)
            self.Y_test = self.y_test.astype(np.float64)[:, None]
        self._batches: Batches | None = None  # drawn when first needed: see ``batches``
        self.boundary.forget()  # a new model or training set: the next frame shows it

    def carried_ops(self) -> list[tuple[str, dict[str, Any]]]:
        """Uploaded data and added points stay through a reset: a replay uses them again
        at step 0, the data first."""
        points = [("add_point", {"x1": x1, "x2": x2, "label": int(label)})
                  for x1, x2, label in self.added]  # fmt: skip
        if self.table is None:
            return points
        t = self.table
        data = {"x": t.x.tolist(), "y": t.y.tolist(), "classes": list(t.classes)}
        return [("upload", data), *points]

    def upload(self, table: Table | None) -> list[Message]:
        """Train on a learner's table from here on (None: back to generated data).

        Its points are scaled onto the plane (``userdata.display_scale``), split by
        ``test_ratio`` and ``data_seed`` like generated data, and the model starts over.
        Returns the messages a data change sends.
        """
        if table is not None:
            table = Table(display_scale(table.x, EXTENT[1])[0], table.y, table.classes)
        self.table = table
        self.make_data()
        self.reset()
        self._start_log()
        self.boundary.forget()
        return [*self.data_messages(), *self.take_messages()]

    def _points_changed(self) -> Message:
        self._join_added()
        self._featurize()  # a fresh epoch over the new training set; the model goes on
        self.post(self._data_message())
        return {"type": "points", "added": len(self.added)}

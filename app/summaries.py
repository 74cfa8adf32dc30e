"""What a student's tile shows, taken from the frames their own session makes.

The session calls ``Summary.note`` with each frame it makes, on the scheduler's
thread (where the lab may be read): it keeps only a few numbers and, per lab, a
tiny picture of the model. The class's publisher reads ``Summary.take`` about
twice a second on the event loop; nothing here costs more than a frame's copy
of a few hundred bytes, so a class of 60 adds next to nothing to the server.
While no teacher watches the class view a summary is ``active = False``: a
frame is only remembered, and ``start`` (again on the scheduler's thread)
summarises the newest one when the view opens, so a class nobody
looks at costs nothing per frame.

Pictures (``pic``):

- beans: ``{"w", "b"}`` the line, and ``points`` [[x, y], …] (at most 40) when the data changed;
- circles: ``{"z"}`` the boundary, P(class 1) on a 12×12 grid as a packed uint8 array;
- neuron: nothing (the tile draws its two runs' costs, sent as ``series``);
- digits: ``{"confusion"}`` the 10×10 test confusion counts.
"""

from __future__ import annotations

import logging
import math
import threading
from typing import Any

import numpy as np

from app.protocol import pack
from engine.digits_metrics import confusion as digits_confusion
from engine.optdigits import N_CLASSES

log = logging.getLogger("descent.class")
PIC_GRID = 12  # the circles boundary, coarsened to this many cells a side
MAX_POINTS = 40  # beans data points drawn under the line
LEVELS = 8  # the circles picture in steps of 8 of 255: a boundary that barely moved is not resent


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and math.isfinite(value):
        return round(float(value), 6)
    return None


def coarse(z: np.ndarray, size: int = PIC_GRID) -> np.ndarray:
    """A square uint8 image averaged down to ``size`` × ``size`` cells."""
    n = z.shape[0]
    edges = np.linspace(0, n, size + 1).astype(int)
    rows = np.add.reduceat(z.astype(np.float32), edges[:-1], axis=0)
    cells = np.add.reduceat(rows, edges[:-1], axis=1)
    counts = np.outer(np.diff(edges), np.diff(edges))
    return np.asarray(np.rint(cells / counts), dtype=np.uint8)


class Summary:
    """The newest state of one student's run, as a tile needs it."""

    def __init__(self, lab_id: str) -> None:
        self.lab_id = lab_id
        self.lock = threading.Lock()  # note() runs on a scheduler thread, take() on the loop
        self.latest: dict[str, Any] = {}
        self.pic: dict[str, Any] | None = None
        self.pic_new = False
        self.data_id = 0  # the beans data drawn last (a new array is new data)
        self.failed = False  # logged once
        self.active = False  # a teacher watches the class view: summarise every frame
        self.last: tuple[Any, dict[str, Any]] | None = None  # the newest frame, while inactive

    def note(self, lab: Any, frame: dict[str, Any]) -> None:
        """Keep what a tile shows of this frame (on the scheduler's thread); a fault here
        costs the teacher a tile update, never the student their frame."""
        if not self.active:
            self.last = (lab, frame)  # two references: what a view opening later starts from
            return
        try:
            self._note(lab, frame)
        except Exception:
            if not self.failed:
                log.exception("a %s class summary failed", self.lab_id)
            self.failed = True

    def _note(self, lab: Any, frame: dict[str, Any]) -> None:
        acc = (frame.get("metrics") or {}).get("accuracy") or {}
        latest = {
            "step": frame.get("step"),
            "loss": _number((frame.get("loss") or {}).get("train")),
            "acc": _number(acc.get("test", acc.get("train"))),
            "diverged": bool(frame.get("diverged")),
            "series": self._series(frame),
        }
        pic = getattr(self, f"_pic_{self.lab_id}", lambda _lab, _frame: None)(lab, frame)
        with self.lock:
            self.latest = latest
            if pic is not None:
                self.pic, self.pic_new = pic, True

    def start(self) -> None:
        """Summarise every frame from now on, beginning with the newest one remembered. On
        the scheduler's thread, like the frames: none is made meanwhile, none comes first."""
        self.active = True
        last, self.last = self.last, None
        if last is not None:
            self.note(*last)

    def stop(self) -> None:
        self.active = False

    def take(self) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The newest numbers, and the picture if it changed since the last take."""
        with self.lock:
            pic = self.pic if self.pic_new else None
            self.pic_new = False
            if pic is not None and "raw" in pic:
                pic = {k: v for k, v in pic.items() if k != "raw"}  # what it is compared by
            return dict(self.latest), pic

    def _series(self, frame: dict[str, Any]) -> dict[str, float | None]:
        series = {"loss": _number((frame.get("loss") or {}).get("train"))}
        for name, run in (frame.get("runs") or {}).items():  # neuron: one cost per run
            series[str(name)] = _number(run.get("cost"))
        return series

    # -- pictures, per lab ------------------------------------------------------------

    def _pic_beans(self, lab: Any, frame: dict[str, Any]) -> dict[str, Any] | None:
        line = frame.get("params") or {}
        pic: dict[str, Any] = {"w": _number(line.get("w")), "b": _number(line.get("b"))}
        if id(lab.x) != self.data_id:
            self.data_id = id(lab.x)
            pick = np.linspace(0, len(lab.x) - 1, min(MAX_POINTS, len(lab.x))).astype(int)
            pic["points"] = [[round(float(lab.x[i]), 3), round(float(lab.y[i]), 3)] for i in pick]
        elif self.pic is not None and "points" in self.pic:
            pic["points"] = self.pic["points"]
        return None if self.pic is not None and pic == self.pic else pic

    def _pic_circles(self, lab: Any, frame: dict[str, Any]) -> dict[str, Any] | None:
        boundary = frame.get("boundary")
        if not boundary or not isinstance(boundary.get("z"), np.ndarray):
            return None  # the last one still holds
        z = coarse(boundary["z"]) // LEVELS * LEVELS + LEVELS // 2
        if self.pic is not None and bytes(z) == self.pic.get("raw"):
            return None
        return {"z": pack(z), "raw": bytes(z)}

    def _pic_digits(self, lab: Any, frame: dict[str, Any]) -> dict[str, Any] | None:
        """The confusion matrix of detailed frames (twice a second while playing); a frame
        without one (a step while paused) gets it from the lab's evaluation, cached anyway."""
        confusion = frame.get("confusion")
        if confusion is None:
            if self.pic is not None and self.pic.get("step") == frame.get("step"):
                return None
            confusion = digits_confusion(lab.y_test, lab.evaluate().test_pred, N_CLASSES)
        return {"confusion": np.asarray(confusion).astype(int).tolist(), "step": frame.get("step")}

"""The circles lab's ops: inspect a unit, the weights or boundary now, and points
the learner adds by clicking or brushing (``Circles.ops`` names them)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from engine.classifier import to_uint8
from engine.lab import Message, OpError
from engine.labs.circles_params import (
    EXTENT,
    MAX_ADDED,
    AddPointArgs,
    AddPointsArgs,
    InspectArgs,
    NoArgs,
)

if TYPE_CHECKING:
    from engine.labs.circles import Circles


def inspect(lab: Circles, args: InspectArgs) -> Message:
    """One unit's activation over the plane, scaled to its own range on the grid."""
    sizes = lab.net.sizes
    if args.layer >= len(sizes):
        raise OpError("invalid_params", f"layer: expected 0…{len(sizes) - 1}, got "
                      f"{args.layer}", "layer")  # fmt: skip
    if args.unit >= sizes[args.layer]:
        raise OpError("invalid_params", f"unit: layer {args.layer} has units 0…"
                      f"{sizes[args.layer] - 1}, got {args.unit}", "unit")  # fmt: skip
    with np.errstate(all="ignore"):
        F = lab.boundary.features(lab._grid(), lab.params.features)
        a = lab.net.layer_outputs(F)[args.layer][:, args.unit]
    finite = a[np.isfinite(a)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    res = lab.params.resolution
    return {"type": "inspect", "layer": args.layer, "unit": args.unit,
            "extent": list(EXTENT), "z": to_uint8(a.reshape(res, res), lo, hi),
            "range": [finite_or_none(lo), finite_or_none(hi)]}  # fmt: skip


def weights(lab: Circles, args: NoArgs) -> Message:
    """The current weights on demand (e.g. after pausing between snapshots)."""
    return {"type": "weights", "step": lab.steps, **lab._weights()}


def boundary_now(lab: Circles, args: NoArgs) -> Message:
    """The boundary at this very step, for a frame that left it out (a step while paused)."""
    image = lab.boundary.compute(lab.net, lab._grid(), lab.params.features, lab.steps,
                                  lab.frames)  # fmt: skip
    return {"type": "boundary", **lab._boundary_message(image)}


def add_point(lab: Circles, args: AddPointArgs) -> Message:
    """Add a training point; it stays through live changes and resets until new data."""
    if len(lab.added) >= MAX_ADDED:
        raise OpError("invalid_params", f"at most {MAX_ADDED} added points; clear them first")
    if args.label >= lab.k:
        raise OpError("invalid_params", f"label: expected 0…{lab.k - 1}, got {args.label}",
                      "label")  # fmt: skip
    lab.added.append((args.x1, args.x2, int(args.label)))
    return lab._points_changed()


def add_points(lab: Circles, args: AddPointsArgs) -> Message:
    """Add a brush stroke's points at once: one new epoch and one data message for all."""
    if len(lab.added) + len(args.points) > MAX_ADDED:
        raise OpError("invalid_params", f"at most {MAX_ADDED} added points; clear them first",
                      "points")  # fmt: skip
    if any(label >= lab.k for _, _, label in args.points):
        raise OpError("invalid_params", f"points: labels must be 0…{lab.k - 1}", "points")
    lab.added.extend((float(x1), float(x2), int(c)) for x1, x2, c in args.points)
    return lab._points_changed()


def clear_points(lab: Circles, args: NoArgs) -> Message:
    """Remove every added point."""
    lab.added.clear()
    return lab._points_changed()


def finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None

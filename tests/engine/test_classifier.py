"""The classification pieces: metrics through reused buffers, and the boundary's schedule.

Oracles: the plain functions they replace (``evaluate`` without scratch,
``to_uint8(net.predict(...))``), compared bit for bit, and the drift thresholds.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine.activations import ACTIVATIONS, sigmoid
from engine.classifier import (
    EVERY,
    JUMP,
    STILL,
    Boundary,
    Grid,
    evaluate,
    probability_uint8,
    to_uint8,
)
from engine.losses import LOSSES
from engine.nn import MLP, Scratch

GRID = Grid((-6.0, 6.0, -6.0, 6.0), 24)
NAMES = ("x1", "x2")


def fresh(net: MLP, grid: Grid = GRID, names: tuple[str, ...] = NAMES) -> np.ndarray:
    """The boundary computed the plain way, as the lab did before it kept buffers."""
    with np.errstate(all="ignore"):
        return to_uint8(net.predict(grid.features(names)).reshape(grid.res, grid.res))


def net_of(activation: str = "relu", seed: int = 0) -> MLP:
    return MLP([2, 8, 6, 1], activation, "sigmoid", np.random.default_rng(seed))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_probability_uint8_is_to_uint8_of_the_sigmoid(dtype: type) -> None:
    z: np.ndarray = np.random.default_rng(1).normal(0, 8, size=4000).astype(dtype)
    z[:7] = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e3, -1e3]
    with np.errstate(all="ignore"):
        expected = to_uint8(sigmoid(z))
        np.testing.assert_array_equal(probability_uint8(z.copy()), expected)
    assert expected[2] == 128  # NaN: the middle


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_a_computed_boundary_equals_a_fresh_computation(activation: str) -> None:
    net, b = net_of(activation), Boundary()
    rng = np.random.default_rng(2)
    for res in (24, 24, 16, 24):  # buffers reused across nets and resolutions
        net.theta += rng.normal(0, 0.5, size=net.theta.shape)
        grid = Grid(GRID.extent, res)
        image = b.compute(net, grid, NAMES, 0, 0)
        assert image.shape == (res, res) and image.dtype == np.uint8
        np.testing.assert_array_equal(image, fresh(net, grid))


def test_metrics_through_scratch_are_the_same_numbers() -> None:
    rng = np.random.default_rng(3)
    net, scratch = net_of("tanh"), Scratch()
    for m in (50, 20):
        F, Y = rng.normal(size=(m, 2)), (rng.random((m, 1)) > 0.5).astype(float)
        for loss in LOSSES.values():
            if loss.output == "sigmoid":
                assert evaluate(net, F, Y, loss, scratch) == evaluate(net, F, Y, loss)


class Schedule:
    """A net, a boundary and a frame counter, to watch what each frame is sent."""

    def __init__(self) -> None:
        self.net, self.b, self.frame = net_of(), Boundary(), 0
        self.computed: list[int] = []  # frame numbers whose image was computed

    def next(self, keyframe: bool = False) -> np.ndarray | None:
        before = self.b.image
        image = self.b.for_frame(self.net, GRID, NAMES, self.frame, self.frame, keyframe)
        if self.b.image is not before:
            self.computed.append(self.frame)
        self.frame += 1
        return image

    def drift(self, relative: float) -> None:
        """Move θ by ``relative`` of the norm it had at the last image."""
        direction = np.random.default_rng(self.frame).normal(size=self.net.theta.shape)
        size = relative * np.sqrt(self.b._norm2)
        self.net.theta += direction * (size / np.linalg.norm(direction))


def test_an_image_rides_on_its_frame_and_the_next_then_on_keyframes_only() -> None:
    s = Schedule()
    first = s.next()
    assert first is not None and s.computed == [0]
    assert s.next() is first  # repeated once, for a follower that skips a frame
    assert s.next() is None and s.next() is None
    assert s.next(keyframe=True) is first  # a keyframe carries it, unchanged
    assert s.computed == [0]


def test_a_still_net_keeps_its_image_and_a_moving_one_gets_one_every_few_frames() -> None:
    s = Schedule()
    s.next()
    for _ in range(6):
        s.drift(STILL / 10)  # together still under STILL: nothing visible moved
        s.next()
    assert s.computed == [0]
    s.drift(STILL)  # now past it
    s.next()
    assert s.computed == [0, 7]
    s.drift(2 * STILL)
    assert s.next() is s.b.image and s.computed == [0, 7]  # the repeat, not a new one
    s.drift(2 * STILL)
    s.next()
    assert s.computed == [0, 7, 7 + EVERY]


def test_a_jump_or_a_blow_up_shows_at_once_and_forget_starts_over() -> None:
    s = Schedule()
    s.next()
    s.drift(2 * JUMP)  # e.g. a step op of hundreds of updates
    s.next()
    assert s.computed == [0, 1]
    s.net.theta[0] = np.nan
    image = s.next()
    assert s.computed == [0, 1, 2] and image is not None and (image == 128).all()
    s.net.theta[0] = 0.0
    s.b.forget()  # new params, data, points or a reset
    s.next()
    assert s.computed[-1] == 3
    np.testing.assert_array_equal(s.b.image, fresh(s.net))

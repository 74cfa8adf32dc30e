"""How much training fits in one slice: a frame's CPU budget, measured as it goes.

Runs on the scheduler's threads, like everything that touches a lab. The cost
of a step is measured, never assumed: after any change of the params the first
chunk is a single step, so a big network cannot take a whole second in a slice
sized for a small one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.lab import Lab, Message


@dataclass
class StepJob:
    """A ``step`` op under way: updates still to do, and the id its frame answers."""

    left: int
    msg_id: Any


class Pacer:
    """Sizes slices of training to ``budget`` seconds from measured step and frame costs."""

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.per_step: float | None = None  # seconds per update; None: measure first
        self.frame_seconds = 0.0  # what the last frame took to compute
        self.credit = 0.0  # fractional steps carried between frames at low speed

    def forget(self) -> None:
        """The params changed: the cost of a step must be measured again."""
        self.per_step = None

    def run(self, lab: Lab[Any], want: int, budget: float) -> int:
        """Up to ``want`` updates within ``budget`` seconds (at least one); how many were done."""
        start = time.perf_counter()
        done = 0
        while done < want and not lab.diverged:
            left = budget - (time.perf_counter() - start)
            if left <= 0 and done:
                break
            chunk = (
                1 if self.per_step is None else max(1, min(want - done, int(left / self.per_step)))
            )
            t0 = time.perf_counter()
            did = lab.step(chunk)
            if did:
                self._measure((time.perf_counter() - t0) / did)
            done += did
            if did < chunk:
                break  # it diverged
        return done

    def _measure(self, seconds: float) -> None:
        # up at once, down slowly: an underestimate is what makes a slice overrun
        old = self.per_step
        self.per_step = seconds if old is None else max(seconds, 0.7 * old + 0.3 * seconds)

    def slice(self, lab: Lab[Any], job: StepJob) -> bool:
        """One budget's worth of a ``step`` op; True once it is done (or the run diverged)."""
        job.left -= self.run(lab, job.left, self.budget)
        return job.left <= 0 or lab.diverged

    def play_slice(self, lab: Lab[Any], speed: float) -> bool:
        """The updates of one play frame; False when none is due (speed below 1)."""
        self.credit += speed
        want = int(self.credit)
        self.credit -= want
        if want == 0:
            return False
        self.run(lab, want, self.budget - self.frame_seconds)
        return True

    def timed_frame(self, make: Callable[[], Message]) -> Message:
        """``make()``, timing it: a costly frame leaves less of the budget for steps."""
        start = time.perf_counter()
        frame = make()
        self.frame_seconds = 0.5 * self.frame_seconds + 0.5 * (time.perf_counter() - start)
        return frame

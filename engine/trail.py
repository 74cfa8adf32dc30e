"""The (w, b) points a descent visits between two frames: the path the page draws."""

from __future__ import annotations

import numpy as np

PATH_POINTS = 64  # most path points one frame carries


class Trail:
    """Points since the last frame; ``take`` thins them evenly and keeps the last.

    Each taken path starts with the previous path's last point, so the page can
    join them into one line.
    """

    def __init__(self, w: float, b: float) -> None:
        self.points: list[tuple[float, float]] = [(w, b)]

    def add(self, w: float, b: float) -> None:
        self.points.append((w, b))
        if len(self.points) > 4 * PATH_POINTS:
            self.points = self.points[::2]  # keep memory bounded on long unwatched runs

    def take(self) -> tuple[list[float], list[float]]:
        """(w list, b list) of at most PATH_POINTS points, evenly thinned."""
        points, self.points = self.points, self.points[-1:]
        if len(points) > PATH_POINTS:
            keep = np.linspace(0, len(points) - 1, PATH_POINTS).round().astype(int)
            points = [points[i] for i in keep]
        return [p[0] for p in points], [p[1] for p in points]

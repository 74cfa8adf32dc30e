"""The UCI optical-recognition handwritten digits, shipped with the engine.

1,797 images of 8×8 pixels at 17 grey levels (0..16) with their labels 0..9
(Alpaydin and Kaynak, 1998; CC BY 4.0 — see ``engine/data/README.md``). The
file is read once per process and shared: the arrays are read-only so no
caller can change what the next one sees.
"""

from __future__ import annotations

import gzip
from functools import cache
from importlib import resources

import numpy as np

N_SAMPLES = 1797
N_PIXELS = 64  # 8 × 8, row-major
LEVELS = 17  # grey levels 0..16
N_CLASSES = 10
RESOURCE = "data/optdigits.csv.gz"


@cache
def load() -> tuple[np.ndarray, np.ndarray]:
    """The whole data set: ``X`` uint8 (1797, 64) in 0..16, ``y`` int64 (1797,) in 0..9.

    Each row of ``X`` is one image, row-major (``X[i].reshape(8, 8)``).
    Both arrays are read-only; copy them to change them.
    """
    raw = resources.files("engine").joinpath(RESOURCE).read_bytes()
    lines = gzip.decompress(raw).decode("ascii").splitlines()
    table = np.loadtxt(lines, delimiter=",", dtype=np.int64)  # (1797, 65)
    X = table[:, :N_PIXELS].astype(np.uint8)  # (1797, 64)
    y = np.ascontiguousarray(table[:, N_PIXELS])  # (1797,)
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y

"""Benchmarks that print figures; run with `make bench` (nothing here asserts times).

Importing any bench module first pins BLAS to one thread, as the server does
(app/__main__.py), so the figures are those a served session sees.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

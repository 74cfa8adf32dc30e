"""Command line: ``python -m app --host 127.0.0.1 --port 8000``."""

from __future__ import annotations

import argparse
import os

# One BLAS thread per training thread: the engine's matrices are small, and
# OpenBLAS's own threads oversubscribe 2 cores (a 1.2 ms boundary became 14 ms).
# Must be set before NumPy is first imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import uvicorn  # noqa: E402

from app.main import create_app  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app", description="Serve Descent Playground.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--log-level", default="info", help="uvicorn log level")
    args = parser.parse_args(argv)
    uvicorn.run(
        create_app(), host=args.host, port=args.port, log_level=args.log_level, ws_max_size=1 << 20
    )


if __name__ == "__main__":
    main()

"""Command line: ``python -m app --host 127.0.0.1 --port 8000 [--workers 1]``.

An installed wheel has the same as a console script: ``descent-playground --port 8000``.

Settings come from ``DESCENT_*`` variables (``app/settings.py``); a bad one stops
the server before it listens, with one line per problem and exit status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import os
import sys
from pathlib import Path

# One BLAS thread per training thread: the engine's matrices are small, and
# OpenBLAS's own threads oversubscribe 2 cores (a 1.2 ms boundary became 14 ms).
# Must be set before NumPy is first imported; worker processes inherit it.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import uvicorn  # noqa: E402

from app.main import create_app  # noqa: E402
from app.redis_server import private_redis  # noqa: E402
from app.server import uvicorn_options  # noqa: E402
from app.settings import Settings, SettingsError, check_limits  # noqa: E402
from engine.labs import registry  # noqa: E402

# uvicorn can only start several worker processes from an import string.
APP_FACTORY = "app.main:create_app"
log = logging.getLogger("descent")
NO_REDIS = (
    "%d cores, but one worker: several share their classroom rooms through Redis. "
    "Install redis-server (apt-get install redis-server) or set DESCENT_REDIS_URL "
    "to use every core."
)


def program() -> str:
    """How the server was started: the console script or ``python -m app``."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return "descent-playground" if name.startswith("descent-playground") else "python -m app"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line; ``PORT`` in the environment sets the default port."""
    parser = argparse.ArgumentParser(prog=program(), description="Serve Descent Playground.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PORT", "8000")),
        help="port (default $PORT, else 8000)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help=(
            "server processes (default: one per core). Several share their classroom rooms "
            "through Redis: DESCENT_REDIS_URL, or a private redis-server started here when "
            "one is installed; without either, one process serves"
        ),
    )
    parser.add_argument("--log-level", default="info", help="uvicorn log level")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    return args


def read_settings() -> Settings:
    """The settings from the environment, checked against the labs; exit 2 if any is bad."""
    try:
        settings = Settings.from_env()
        check_limits(settings.limits, registry())
    except SettingsError as exc:
        print(f"{program()}: cannot start, bad settings:\n{exc}", file=sys.stderr)
        sys.exit(2)
    return settings


def main(argv: list[str] | None = None) -> None:
    """Serve the app with uvicorn: in this process, or in ``--workers`` processes."""
    args = parse_args(argv)
    settings = read_settings()
    with contextlib.ExitStack() as stack:
        workers = args.workers
        if workers > 1 and not settings.redis_url:
            url = stack.enter_context(private_redis())
            if url is None:
                log.warning(NO_REDIS, workers)
                workers = 1
            else:  # the workers read their settings from this environment
                os.environ["DESCENT_REDIS_URL"] = url
                settings = dataclasses.replace(settings, redis_url=url)
        serve(args, settings, workers)


def serve(args: argparse.Namespace, settings: Settings, workers: int) -> None:
    # One process takes the app object; several need the import string to build their own
    # (each reads the same, already checked, environment).
    target = create_app(settings) if workers == 1 else APP_FACTORY
    uvicorn.run(
        target,
        factory=workers > 1,
        workers=workers,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        **uvicorn_options(settings),
    )


if __name__ == "__main__":
    main()

"""Command line: ``python -m app --host 127.0.0.1 --port 8000``."""

from __future__ import annotations

import argparse

import uvicorn

from app.main import create_app


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

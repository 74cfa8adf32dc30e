"""Static files: compressed once per process, content-hashed URLs, served by ServeStatic.

At the first ``create_app()`` of a process, the package's ``static/`` is copied to a
temporary folder and each file gets a ``.br`` and a ``.gz`` twin there (the vendored Plotly
builds bring theirs, made by tools/plotly: the best levels take seconds on them), and a
hashed URL, ``/static/css/site.<hash>.css``. Pages name files through ``url(path)``; a
hashed URL never changes content, so it is cached for good (``immutable``). The plain URL
still works, revalidated by ETag: the lab modules import each other by relative plain URLs.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from servestatic import ServeStaticASGI
from servestatic.compress import Compressor
from starlette.types import ASGIApp

STATIC = Path(__file__).resolve().parent / "static"  # package data, so a wheel has it
PREFIX = "/static/"
PLOTLY = "vendor/plotly.json"  # tools/plotly/build.sh's bundles and which lab loads which
TWINS = (".gz", ".br", ".zstd")  # compressed variants ServeStatic picks by Accept-Encoding


@dataclass(frozen=True)
class Prepared:
    """A compressed copy of ``static/``: its root and each file's hash, by relative path."""

    root: Path
    hashes: dict[str, str]

    def hashed(self, path: str) -> str:
        """``css/site.css`` → ``css/site.<hash>.css`` (the name the browser caches forever)."""
        stem, dot, ext = path.rpartition(".")
        return f"{stem}.{self.hashes[path]}.{ext}" if dot else f"{path}.{self.hashes[path]}"


@cache
def prepared() -> Prepared:
    """Copy and compress ``static/`` once per process; removed when the process exits."""
    root = Path(tempfile.mkdtemp(prefix="descent-static-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    shutil.copytree(STATIC, root, dirs_exist_ok=True)
    compressor = Compressor(use_zstd=False, quiet=True)
    hashes: dict[str, str] = {}
    for file in sorted(root.rglob("*")):
        if not file.is_file() or file.suffix in TWINS:
            continue
        data = file.read_bytes()
        hashes[file.relative_to(root).as_posix()] = hashlib.sha256(data).hexdigest()[:12]
        made = all(file.with_name(file.name + twin).exists() for twin in (".br", ".gz"))
        if compressor.should_compress(file.name) and not made:  # Plotly's come with it
            compressor.compress(file)
    return Prepared(root, hashes)


def url(path: str) -> str:
    """The URL a page uses for the static file ``path``: hashed, so it can be cached forever."""
    return PREFIX + prepared().hashed(path)


@cache
def plotly_bundles() -> dict[str, Any]:
    """The vendored bundles: ``{"bundles": {name: {"file", "traces"}}, "labs", "default"}``."""
    manifest: dict[str, Any] = json.loads((STATIC / PLOTLY).read_text(encoding="utf-8"))
    return manifest


def plotly_url(lab: str) -> str:
    """The hashed URL of the Plotly bundle ``lab`` loads: the 3-D traces only where drawn."""
    manifest = plotly_bundles()
    name = manifest["labs"].get(lab, manifest["default"])
    return url(f"vendor/{manifest['bundles'][name]['file']}")


def serve(app: ASGIApp) -> Any:
    """``app`` behind ServeStatic for ``/static/``: plain and hashed URLs of every file."""
    files = prepared()
    immutable = {PREFIX + files.hashed(path) for path in files.hashes}

    def headers(extra: Any, path: str, url: str) -> None:
        # the content's hash, the same in every worker and on every host
        extra["ETag"] = f'"{files.hashes[Path(path).relative_to(files.root).as_posix()]}"'

    static = ServeStaticASGI(
        app,
        root=files.root,
        prefix=PREFIX,
        max_age=0,  # plain URLs: revalidate (a 304 when unchanged)
        allow_all_origins=False,
        immutable_file_test=lambda _path, url: url in immutable,
        add_headers_function=headers,
    )
    for path in files.hashes:
        static.add_file_to_dictionary(PREFIX + files.hashed(path), str(files.root / path))
    return static

"""Static files: compressed once, content-hashed URLs, served by ServeStatic.

Once per content version, the package's ``static/`` is copied to the temp folder and each
file gets a ``.br`` and a ``.gz`` twin there (the vendored Plotly builds bring theirs, made
by tools/plotly: the best levels take seconds on them); every file gets a hashed URL,
``/static/css/site.<hash>.css``. Pages name files through ``url(path)``; a
hashed URL never changes content, so it is cached for good (``immutable``). The plain URL
still works, revalidated by ETag: the lab modules import each other by relative plain URLs.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import posixpath
import re
import shutil
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath
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
    """``static/``'s hashes, and a folder with its files and their compressed twins."""
    hashes = {
        file.relative_to(STATIC).as_posix(): hashlib.sha256(file.read_bytes()).hexdigest()[:12]
        for file in sorted(STATIC.rglob("*"))
        if file.is_file() and file.suffix not in TWINS
    }
    version = hashlib.sha256(json.dumps(hashes, sort_keys=True).encode()).hexdigest()[:16]
    return Prepared(compressed_copy(version, list(hashes)), hashes)


def compressed_copy(version: str, names: list[str]) -> Path:
    """The compressed copy of this ``static/`` (one per content ``version``), made once.

    It is kept in the temp folder for every later process and start (the image builds it
    when it checks the app starts): built aside, then renamed into place, so a process sees
    it whole or not at all. One that another user could have written is not trusted: this
    process then makes a private copy, removed when it exits; so it does when a file is
    missing (a temp cleaner took it).
    """
    try:
        base = Path(tempfile.gettempdir())
        shared = base / f"descent-static-{version}"
        if usable(shared, names):
            return shared
        build = Path(tempfile.mkdtemp(prefix="descent-static-build-", dir=base))
    except OSError:  # no writable temp folder (a read-only container): the files as shipped
        return STATIC  # (Plotly's twins ship with it; the small files go uncompressed)
    try:
        fill(build)
        build.chmod(0o755)  # mkdtemp's 0700 would hide it from other users' servers
        build.rename(shared)
        return shared
    except OSError:  # another process put it there first, or it is not ours to use
        if usable(shared, names):
            shutil.rmtree(build, ignore_errors=True)
            return shared
        atexit.register(shutil.rmtree, build, ignore_errors=True)
        return build


def usable(folder: Path, names: list[str]) -> bool:
    """A real folder, ours or root's, that nobody else can write to, with every file."""
    try:
        info = folder.lstat()
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid in (os.getuid(), 0)
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        and all((folder / name).is_file() for name in names)
    )


def fill(root: Path) -> None:
    """Copy ``static/`` into ``root`` and give each file its ``.br`` and ``.gz`` twins."""
    shutil.copytree(STATIC, root, dirs_exist_ok=True)
    compressor = Compressor(use_zstd=False, quiet=True)
    for file in sorted(root.rglob("*")):
        if not file.is_file() or file.suffix in TWINS:
            continue
        made = all(file.with_name(file.name + twin).exists() for twin in (".br", ".gz"))
        if compressor.should_compress(file.name) and not made:  # Plotly's come with it
            compressor.compress(file)


def url(path: str) -> str:
    """The URL a page uses for the static file ``path``: hashed, so it can be cached forever."""
    return PREFIX + prepared().hashed(path)


@cache
def plotly_bundles() -> dict[str, Any]:
    """The vendored bundles: ``{"bundles": {name: {"file", "traces"}}, "labs", "default"}``."""
    manifest: dict[str, Any] = json.loads((STATIC / PLOTLY).read_text(encoding="utf-8"))
    return manifest


def plotly_bundle(lab: str) -> dict[str, Any]:
    """The bundle ``lab`` draws with: ``{"file", "traces", "imports"}``, and ``"base"`` for an
    add-on to the base bundle (which the page loads first)."""
    manifest = plotly_bundles()
    bundle: dict[str, Any] = manifest["bundles"][manifest["labs"].get(lab, manifest["default"])]
    return bundle


def plotly_url(lab: str) -> str:
    """The hashed URL of the Plotly bundle ``lab`` loads first: the base, a small one."""
    bundle = plotly_bundle(lab)
    base = plotly_bundles()["bundles"][bundle["base"]] if "base" in bundle else bundle
    return url(f"vendor/{base['file']}")


def plotly_addon_url(lab: str) -> str | None:
    """The hashed URL of the add-on with ``lab``'s other traces (3-D, or bars), loaded after
    its first charts; None for a lab the base bundle draws alone."""
    bundle = plotly_bundle(lab)
    return url(f"vendor/{bundle['file']}") if "base" in bundle else None


def plotly_addon_traces(lab: str) -> str:
    """The trace types only ``lab``'s add-on draws, space-separated: a chart with one of them
    waits for the add-on."""
    bundle = plotly_bundle(lab)
    if "base" not in bundle:
        return ""
    base = plotly_bundles()["bundles"][bundle["base"]]["traces"]
    return " ".join(t for t in bundle["traces"] if t not in base)


def plotly_chunks(lab: str) -> tuple[str, ...]:
    """The plain URLs of the chunks ``lab``'s bundles (its base and add-on) import, shared
    with other bundles and named by their content's hash: the page preloads them."""
    bundle = plotly_bundle(lab)
    base = plotly_bundles()["bundles"][bundle.get("base", "")] if "base" in bundle else {}
    return chunk_urls(c for b in (bundle, base) for c in b.get("imports", []))


def chunk_urls(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(f"{PREFIX}vendor/{name}" for name in sorted(set(names)))


IMPORT = re.compile(r"""^\s*(?:import|export)\b[^;'"]*?["'](\.{1,2}/[^"']+)["']""", re.MULTILINE)


@cache
def module_imports(path: str) -> tuple[str, ...]:
    """The plain URLs of every module ``path`` (a ``.js`` file of ``static/``) imports, however
    deep: a page preloads them all at once, rather than one level of imports after another."""
    found: dict[str, None] = {}
    todo = [path]
    while todo:
        here = todo.pop()
        text = (STATIC / here).read_text(encoding="utf-8")
        for relative in IMPORT.findall(text):
            name = posixpath.normpath(f"{PurePosixPath(here).parent}/{relative}")
            if name not in found and name != path:
                found[name] = None
                todo.append(name)
    return tuple(PREFIX + name for name in sorted(found))


def serve(app: ASGIApp) -> Any:
    """``app`` behind ServeStatic for ``/static/``: plain and hashed URLs of every file."""
    files = prepared()
    immutable = {PREFIX + files.hashed(path) for path in files.hashes} | set(
        chunk_urls(c for b in plotly_bundles()["bundles"].values() for c in b.get("imports", []))
    )

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

"""Checks shared by the per-lab export tests (``test_export_<lab>.py``).

An exported script is run the way a learner would run it: in a fresh, isolated
interpreter (``-I``: no user site, no ``PYTHONPATH``, the script's directory first on
the path) in a directory without ``engine/``, BLAS on one thread as the server has it.
Its last line is parsed as strict JSON, so a NaN or an Infinity fails the test.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Collection
from pathlib import Path
from typing import Any

from engine.export import python_script
from engine.lab import Lab

SETTINGS = ("PARAMS", "CHANGES", "STEPS")


def strict_json(line: str) -> Any:
    """Parse JSON as the spec has it: NaN and Infinity are not JSON."""

    def refuse(name: str) -> Any:
        raise ValueError(f"not JSON: {name}")

    return json.loads(line, parse_constant=refuse)


def run_script(lab: Lab[Any], tmp_path: Path, lang: str = "en") -> dict[str, Any]:
    """Export ``lab``, run the script in an isolated interpreter, parse its last line."""
    name, source = python_script(lab, lang)
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    # nothing of ours, but the same BLAS kernels: a machine that pins OpenBLAS's core type
    # (OPENBLAS_CORETYPE) gets other kernels without it, and their sums differ in the last bit
    blas = {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS_", "MKL_"))}
    env = {"PATH": os.environ.get("PATH", ""), **blas, "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-I", str(path)], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = strict_json(done.stdout.strip().splitlines()[-1])
    return result


def imports(tree: ast.Module) -> set[str]:
    """The top-level packages a module imports."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def assignments(tree: ast.Module) -> dict[str, ast.Assign]:
    """Top-level ``NAME = value`` statements of a module: name → the statement."""
    return {
        target.id: node
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def first_def(tree: ast.Module) -> int:
    """The line of a module's first top-level function or class."""
    return next(n.lineno for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef))


def check_standalone(
    source: str,
    *,
    params: dict[str, Any],
    changes: list[tuple[int, str, dict[str, Any]]],
    steps: int,
    docstring: str,
    stdlib: Collection[str] = sys.stdlib_module_names,
) -> ast.Module:
    """Assert a script needs only NumPy and the standard library (``stdlib``: which of it)
    and states the run's settings as literals, with these values, before its first def.

    Returns the parsed script for any further checks of the caller's own.
    """
    tree = ast.parse(source)
    found = imports(tree)
    assert "numpy" in found
    assert found - {"numpy"} <= {*stdlib, "__future__"}
    assert "engine" not in source
    settings = assignments(tree)
    assert all(settings[name].lineno < first_def(tree) for name in SETTINGS)
    assert ast.literal_eval(settings["PARAMS"].value) == params
    assert ast.literal_eval(settings["CHANGES"].value) == changes
    assert ast.literal_eval(settings["STEPS"].value) == steps
    assert (ast.get_docstring(tree) or "").startswith(docstring)
    return tree

"""The engine is pure NumPy: it imports nothing but NumPy, the standard library,
annotated_types (bounds metadata) and itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "engine"
ALLOWED = {"numpy", "annotated_types", "engine", "__future__"} | set(sys.stdlib_module_names)


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_engine_imports_only_numpy_and_the_standard_library() -> None:
    files = sorted(ENGINE.rglob("*.py"))
    assert len(files) >= 4
    bad = {str(f.relative_to(ENGINE)): sorted(imported_roots(f) - ALLOWED) for f in files}
    assert {k: v for k, v in bad.items() if v} == {}


def test_the_check_itself_catches_a_foreign_import(tmp_path: Path) -> None:
    f = tmp_path / "x.py"
    f.write_text("import fastapi\nfrom pydantic import BaseModel\nimport numpy as np\n")
    assert imported_roots(f) - ALLOWED == {"fastapi", "pydantic"}

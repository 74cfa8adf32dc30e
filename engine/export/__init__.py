"""Export a run: a standalone NumPy script that replays it, or its record as JSON.

Each lab has a script body here, ``engine/export/<lab id>.py``: a readable,
from-scratch implementation of the lab that uses only NumPy and the standard
library, and defines ``run(params, changes, steps) -> dict``. The export puts
the run's settings (the params it started with, every change with the step it
happened at, and the number of updates) between the body's imports and its
code, and a last line that prints ``run(...)`` as JSON. Tests run the script
in a fresh interpreter and compare its result with the live lab's, for every
lab, so the body cannot drift from the engine unnoticed.

A body line ``NAME = ""  # paste: <path>`` is filled in with the base64 of that
file (relative to ``engine/``): the digits data travels inside the script.
"""

from __future__ import annotations

import ast
import base64
import json
import re
import textwrap
import threading
from functools import cache
from pathlib import Path
from typing import Any

from engine.lab import Lab

HERE = Path(__file__).parent
PASTE = re.compile(r'^(\w+) = ""  # paste: (\S+)$', re.MULTILINE)


def body_source(lab_id: str) -> str:
    """The script body of a lab (its source text, as it is in the repository)."""
    return (HERE / f"{lab_id}.py").read_text(encoding="utf-8")


def python_script(lab: Lab[Any]) -> tuple[str, str]:
    """``(filename, source)`` of a script that replays ``lab``'s run to its current step."""
    log = lab.log
    steps = log.replayable(lab.steps)
    doc, imports, code = _parts(lab.id)
    settings = "\n".join(
        [
            "# -- this run: change these and run the script again ----------------------------",
            f"PARAMS = {_literal(log.params)}",
            "# (k, what, values): applied after k updates; what is 'params' or an op's name",
            f"CHANGES = {_literal([tuple(e) for e in log.events])}",
            f"STEPS = {steps}  # updates to do",
        ]
    )
    cut = (
        f"The run had more live changes than a record keeps: this replays its first {steps}\n"
        f"of {lab.steps} updates, up to the first change it could not keep.\n\n"
        if steps < lab.steps
        else ""
    )
    header = (
        f'"""Descent Playground: the {lab.id} lab, a run exported at step {steps}.\n\n'
        f"{doc.strip()}\n\n{cut}"
        f"Run it with Python 3.11+ and NumPy: python {lab.id}_step{steps}.py\n"
        "The settings of the run are at the top (PARAMS, CHANGES, STEPS); the last line\n"
        'printed is JSON with the final step and training loss."""\n'
    )
    main = 'if __name__ == "__main__":\n    print(json.dumps(run(PARAMS, CHANGES, STEPS)))\n'
    source = f"{header}\n{imports}\n\n{settings}\n\n{code.strip()}\n\n\n{main}"
    return f"{lab.id}_step{steps}.py", source


def json_export(lab: Lab[Any]) -> tuple[str, str]:
    """``(filename, text)``: the lab, its starting params, the change log and the history."""
    log = lab.log
    record = {
        "lab": lab.id,
        "step": lab.steps,
        "params": log.params,
        "changes": [{"step": k, "kind": kind, "values": v} for k, kind, v in log.events],
        "history": log.history,
        "record_full_at": log.full_at,  # the first change not kept, if the record filled up
    }
    return f"{lab.id}_step{lab.steps}.json", json.dumps(record, indent=1, default=_number)


_PARSING = threading.Lock()


def _parts(lab_id: str) -> tuple[str, str, str]:
    """A lab body's docstring, imports (with json) and code, parsed once per process.

    Behind a lock: CPython's ``ast.parse`` is not safe in concurrent threads (it
    fails now and then with "AST constructor recursion depth mismatch").
    """
    with _PARSING:
        return _parsed(lab_id)


@cache
def _parsed(lab_id: str) -> tuple[str, str, str]:
    doc, imports, code = _split(_paste(body_source(lab_id)))
    return doc, _with_json(imports), code


def _split(source: str) -> tuple[str, str, str]:
    """A module's docstring, its top import block, and the rest."""
    tree = ast.parse(source)
    lines = source.splitlines()
    doc = ast.get_docstring(tree) or ""
    body = tree.body[1:] if doc else tree.body
    last_import = 0
    for node in body:
        if not isinstance(node, ast.Import | ast.ImportFrom):
            break
        last_import = node.end_lineno or node.lineno
    first = body[0].lineno if body else 1
    imports = "\n".join(lines[first - 1 : last_import]).strip()
    return doc, imports, "\n".join(lines[last_import:])


def _with_json(imports: str) -> str:
    """The import block with ``import json`` (the script's last line needs it), in order."""
    lines = imports.splitlines()
    if "import json" in lines:
        return imports
    plain = [i for i, line in enumerate(lines) if re.fullmatch(r"import \w+", line)]
    later = [i for i in plain if lines[i] > "import json"]
    first_import = next(i for i, line in enumerate(lines) if "__future__" not in line and line)
    at = later[0] if later else plain[-1] + 1 if plain else first_import
    return "\n".join([*lines[:at], "import json", *lines[at:]])


def _paste(source: str) -> str:
    def fill(match: re.Match[str]) -> str:
        data = base64.b64encode((HERE.parent / match.group(2)).read_bytes()).decode()
        chunks = "\n".join(f'    "{line}"' for line in textwrap.wrap(data, 92))
        return f"# {match.group(2)}, base64-encoded\n{match.group(1)} = (\n{chunks}\n)"

    return PASTE.sub(fill, source)


def _literal(value: dict[str, Any] | list[Any]) -> str:
    """A Python literal of a dict or list, one item a line (``repr`` round-trips floats)."""
    if not value:
        return repr(value)
    if isinstance(value, dict):
        items = [f"{k!r}: {v!r}" for k, v in value.items()]
        return "{\n" + "".join(f"    {item},\n" for item in items) + "}"
    return "[\n" + "".join(f"    {item!r},\n" for item in value) + "]"


def _number(value: Any) -> Any:
    """JSON for NumPy scalars that reach the history (float32 metrics and the like)."""
    return value.item() if hasattr(value, "item") else str(value)

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

The script speaks the page's language (``lang``): its comments, docstrings and
messages come from ``engine/export/lang.py``'s catalogs, its code is the same.
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

from engine.export.lang import LANGS, translate
from engine.lab import Lab

HERE = Path(__file__).parent
PASTE = re.compile(r'^(\w+) = ""  # paste: (\S+)$', re.MULTILINE)


def body_source(lab_id: str) -> str:
    """The script body of a lab (its source text, as it is in the repository)."""
    return (HERE / f"{lab_id}.py").read_text(encoding="utf-8")


def python_script(lab: Lab[Any], lang: str = "en") -> tuple[str, str]:
    """``(filename, source)`` of a script that replays ``lab``'s run to its current step,
    its comments in ``lang`` (one of ``LANGS``)."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    log = lab.log
    steps = log.replayable(lab.steps)
    doc, imports, code = _parts(lab.id, lang)
    text = HEADER_ZH if lang == "zh" else HEADER_EN
    settings = "\n".join(
        [
            text["settings"],
            f"PARAMS = {_literal(log.params)}",
            text["changes"],
            f"CHANGES = {_literal([tuple(e) for e in log.events])}",
            f"STEPS = {steps}  {text['steps']}",
        ]
    )
    cut = text["cut"].format(steps=steps, total=lab.steps) if steps < lab.steps else ""
    top = text["top"].format(lab=_LAB_NAMES[lang].get(lab.id, lab.id), steps=steps)
    run = text["run"].format(file=f"{lab.id}_step{steps}.py")
    header = f'"""{top}\n\n{doc.strip()}\n\n{cut}{run}"""\n'
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


HEADER_EN = {
    "top": "Descent Playground: the {lab} lab, a run exported at step {steps}.",
    "cut": "The run had more live changes than a record keeps: this replays its first {steps}\n"
    "of {total} updates, up to the first change it could not keep.\n\n",
    "run": "Run it with Python 3.11+ and NumPy: python {file}\n"
    "The settings of the run are at the top (PARAMS, CHANGES, STEPS); the last line\n"
    "printed is JSON with the final step and training loss.",
    "settings": "# -- this run: change these and run the script again ----------------------------",
    "changes": "# (k, what, values): applied after k updates; what is 'params' or an op's name",
    "steps": "# updates to do",
}
HEADER_ZH = {
    "top": "梯度下降游乐场：{lab}，导出于第 {steps} 步的一次训练。",
    "cut": "这次训练的实时改动超出了记录能保存的数量：本脚本只重放前 {steps} 次更新\n"
    "（共 {total} 次），到第一个没能保存的改动为止。\n\n",
    "run": "用 Python 3.11+ 和 NumPy 运行：python {file}\n"
    "训练的设置在最上面（PARAMS、CHANGES、STEPS）；输出的最后一行是 JSON，\n"
    "含最终的步数和训练损失。",
    "settings": "# -- 这次训练：改动这些值，再运行一次脚本 ---------------------------------------",
    "changes": "# (k, 改动, 值)：在 k 次更新之后应用；改动是 'params' 或某个操作的名称",
    "steps": "# 要做的更新次数",
}
_LAB_NAMES = {
    "en": {},
    "zh": {
        "beans": "豆豆实验",
        "circles": "双圆实验",
        "digits": "手写数字实验",
        "neuron": "神经元实验",
    },
}

_PARSING = threading.Lock()


def _parts(lab_id: str, lang: str = "en") -> tuple[str, str, str]:
    """A lab body's docstring, imports (with json) and code, parsed once per process.

    Behind a lock: CPython's ``ast.parse`` is not safe in concurrent threads (it
    fails now and then with "AST constructor recursion depth mismatch").
    """
    with _PARSING:
        return _parsed(lab_id, lang)


@cache
def _parsed(lab_id: str, lang: str) -> tuple[str, str, str]:
    source = translate(body_source(lab_id), lang, lab_id)
    doc, imports, code = _split(_paste(source, lang))
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


def _paste(source: str, lang: str = "en") -> str:
    encoded = "，base64 编码" if lang == "zh" else ", base64-encoded"

    def fill(match: re.Match[str]) -> str:
        data = base64.b64encode((HERE.parent / match.group(2)).read_bytes()).decode()
        chunks = "\n".join(f'    "{line}"' for line in textwrap.wrap(data, 92))
        return f"# {match.group(2)}{encoded}\n{match.group(1)} = (\n{chunks}\n)"

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

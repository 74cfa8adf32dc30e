"""The export's assembly: settings placement, the json import, pasted data, the JSON record."""

from __future__ import annotations

import ast
import base64
import json
from dataclasses import replace
from pathlib import Path

from engine.export import _paste, _with_json, json_export, python_script
from engine.labs.beans import Beans, BeansParams

ENGINE = Path(__file__).resolve().parents[2] / "engine"


def test_json_is_imported_once_in_sorted_place() -> None:
    block = "from __future__ import annotations\n\nimport math\nfrom typing import Any"
    assert _with_json(block).splitlines()[2:4] == ["import json", "import math"]
    assert _with_json("import abc\nimport zlib").splitlines() == [
        "import abc", "import json", "import zlib"]  # fmt: skip
    assert _with_json("import numpy as np") == "import json\nimport numpy as np"
    assert _with_json("import json\nimport math") == "import json\nimport math"


def test_paste_puts_the_file_in_as_base64() -> None:
    source = 'X = 1\nBLOB = ""  # paste: data/README.md\n'
    namespace: dict[str, object] = {}
    exec(compile(_paste(source), "<pasted>", "exec"), namespace)
    assert base64.b64decode(str(namespace["BLOB"])) == (ENGINE / "data/README.md").read_bytes()


def test_the_script_is_valid_python_with_the_runs_settings() -> None:
    lab = Beans(BeansParams(lr=0.05))
    lab.step(3)
    lab.apply(replace(lab.params, lr=0.2))
    lab.step(1)
    name, source = python_script(lab)
    assert name == "beans_step4.py"
    tree = ast.parse(source)
    assigned = {t.id: node.value for node in tree.body if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)}  # fmt: skip
    assert ast.literal_eval(assigned["PARAMS"])["lr"] == 0.05
    assert ast.literal_eval(assigned["CHANGES"]) == [(3, "params", {"lr": 0.2})]
    assert ast.literal_eval(assigned["STEPS"]) == 4
    assert source.rstrip().endswith("print(json.dumps(run(PARAMS, CHANGES, STEPS)))")


def test_the_json_record() -> None:
    lab = Beans(BeansParams())
    lab.log.record(lab.frame())
    lab.step(2)
    lab.apply(replace(lab.params, lr=0.1))
    lab.log.record(lab.frame())
    name, text = json_export(lab)
    record = json.loads(text)
    assert name == "beans_step2.json"
    assert record["lab"] == "beans" and record["step"] == 2
    assert record["changes"] == [{"step": 2, "kind": "params", "values": {"lr": 0.1}}]
    assert [h["step"] for h in record["history"]] == [0, 2]

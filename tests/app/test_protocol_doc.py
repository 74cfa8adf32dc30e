"""docs/protocol.md names everything the server can send or accept.

The lists come from the code, never from a list typed in here: the ops each lab
registers and the session's op tuples, the op names the app's dispatch compares
against, every ``{"type": …}`` message literal and every ``ProtocolError`` /
``OpError`` code in ``app/`` and ``engine/``, every close code passed to a
``close`` call, the params and op arguments of each lab, and the keys of the
messages a real session opens with. A new message, op, field, error or close
code without documentation fails here.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.protocol import CLASSROOM_OPS, CORE_OPS, SESSION_PARAMS, UPLOAD_OPS
from engine.labs import registry
from tests.app.conftest import recv_until

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "protocol.md"
# the server's side of the protocol: the app, and the engine whose labs build the messages
# (engine/export/*.py are standalone scripts for learners, not server code)
SOURCES = sorted(
    [*ROOT.glob("app/*.py"), *ROOT.glob("engine/*.py"), *ROOT.glob("engine/labs/*.py")]
)
CLIENT = sorted((ROOT / "app" / "static" / "js").rglob("*.js"))
MESSAGE_TYPE = re.compile(r"[a-z_]+")  # ASGI's own messages ("websocket.close") have dots
# the schema's own "type" values (app/protocol.py writes the `speed` property): not messages
JSON_SCHEMA_TYPES = frozenset({"array", "boolean", "integer", "null", "number", "object", "string"})
CLOSE_CALLS = ("close", "_close")


@cache
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def named(name: str) -> bool:
    """Named as code: `name` or `"name"`, not merely as a word in a sentence."""
    return re.search(rf'`"?{re.escape(name)}"?`', doc()) is not None


def undocumented(names: set[str]) -> list[str]:
    return sorted(n for n in names if not named(n))


@cache
def trees() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(encoding="utf-8")) for path in SOURCES}


def nodes() -> Iterator[ast.AST]:
    for tree in trees().values():
        yield from ast.walk(tree)


def text(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


# -- what the code says ---------------------------------------------------------------


def sent_types() -> set[str]:
    """Every ``"type"`` of a dict literal the server builds: the messages it can send."""
    found = set()
    for node in nodes():
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                kind = text(value)
                if text(key) == "type" and kind and MESSAGE_TYPE.fullmatch(kind):
                    found.add(kind)
    return found - JSON_SCHEMA_TYPES


def _is_op(node: ast.AST) -> bool:
    """``op`` or ``something["op"]``: what the dispatch code compares with op names."""
    if isinstance(node, ast.Name):
        return node.id == "op"
    return isinstance(node, ast.Subscript) and text(node.slice) == "op"


def dispatched_ops() -> set[str]:
    """Op names the app compares a client's op with (``op == "x"``, ``op in ("a", "b")``)."""
    found = set()
    for node in nodes():
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_is_op(side) for side in sides):
                for side in sides:
                    found |= {t for n in ast.walk(side) if (t := text(n))}
    return found - {"op"}


def lab_ops() -> dict[str, type[Any]]:
    """Every lab op and its argument dataclass, over every registered lab."""
    return {op: args for lab in registry().values() for op, (args, _) in lab.ops.items()}


def accepted_ops() -> set[str]:
    return {*CORE_OPS, *CLASSROOM_OPS, *UPLOAD_OPS, *dispatched_ops(), *lab_ops()}


def error_codes() -> set[str]:
    """The first argument of every ``ProtocolError(…)`` and ``OpError(…)`` with a literal code."""
    found = set()
    for node in nodes():
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            code = text(node.args[0])
            if name in ("ProtocolError", "OpError") and code:
                found.add(code)
    return found


def _constants() -> dict[str, set[int]]:
    """Module-level names bound to an int, or to a dict of ints (``REFUSED``)."""
    ints: dict[str, set[int]] = {}
    for tree in trees().values():
        for stmt in tree.body:
            if not (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant)):
                continue
            target = stmt.targets[0]
            if isinstance(target, ast.Name) and type(stmt.value.value) is int:
                ints.setdefault(target.id, set()).add(stmt.value.value)
    for tree in trees().values():
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Dict):
                values = _ints(stmt.value.values, ints)
                for target in stmt.targets:
                    if isinstance(target, ast.Name) and values:
                        ints.setdefault(target.id, set()).update(values)
    return ints


def _ints(exprs: list[ast.expr], names: dict[str, set[int]]) -> set[int]:
    found: set[int] = set()
    for expr in exprs:
        for node in ast.walk(expr):
            if isinstance(node, ast.Constant) and type(node.value) is int:
                found.add(node.value)
            elif isinstance(node, ast.Name):
                found |= names.get(node.id, set())
    return found


def close_codes() -> set[int]:
    """WebSocket close codes the app uses: first arguments of ``close`` calls (literals,
    constants and the dicts they are looked up in) and ASGI ``websocket.close`` messages."""
    names, found = _constants(), set()
    for node in nodes():
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in CLOSE_CALLS:
                found |= _ints([node.args[0]], names)
        elif isinstance(node, ast.Dict):
            fields = {text(k): v for k, v in zip(node.keys, node.values, strict=True)}
            if text(fields.get("type")) == "websocket.close" and "code" in fields:
                found |= _ints([fields["code"]], names)
    return {code for code in found if 1000 <= code <= 4999}


def client_ops() -> set[str]:
    """Ops the reference client sends: ``send("op", …)`` and ``{op: "name"}``."""
    pattern = re.compile(r'\bsend\(\s*"(\w+)"|\bop:\s*"(\w+)"')
    return {a or b for path in CLIENT for a, b in pattern.findall(path.read_text("utf-8"))}


def client_types() -> set[str]:
    """Message types the reference client's shared code installs a handler for."""
    pattern = re.compile(r"\bhandlers\.(\w+)\s*=(?!=)")
    return {m for path in CLIENT for m in pattern.findall(path.read_text("utf-8"))}


# -- the scans find what they look for --------------------------------------------------


def test_the_scans_see_the_code() -> None:
    """Guards against a scan silently finding nothing (the other tests would then pass)."""
    types, ops, codes, closes = sent_types(), dispatched_ops(), error_codes(), close_codes()
    assert {"hello", "frame", "error"} <= types and len(types) >= 10
    assert set(CORE_OPS) <= ops and "ack" in ops
    assert len(codes) >= 5 and len(closes) >= 2
    assert client_ops() and client_types()


def test_the_dispatch_and_the_op_tuples_agree() -> None:
    """Every op the session or classroom compares with is a core, classroom or flow op."""
    assert dispatched_ops() - {*CORE_OPS, *CLASSROOM_OPS, *UPLOAD_OPS} == {"ack"}
    assert not set(lab_ops()) & {*CORE_OPS, *CLASSROOM_OPS, *UPLOAD_OPS, "ack"}


# -- the document names them ----------------------------------------------------------


def test_every_message_type_the_server_sends_is_documented() -> None:
    assert undocumented(sent_types()) == []


def test_every_op_the_server_accepts_is_documented() -> None:
    assert undocumented(accepted_ops()) == []


def test_every_error_code_is_documented() -> None:
    assert undocumented(error_codes()) == []


def test_every_close_code_is_documented() -> None:
    rows = re.compile(r"^\| (\d{4}) \|", re.MULTILINE)  # the close-code table's first column
    assert sorted(close_codes() - {int(c) for c in rows.findall(doc())}) == []


def test_every_lab_param_and_op_argument_is_documented() -> None:
    names = {*registry(), *SESSION_PARAMS}
    for lab in registry().values():
        names |= {f.name for f in dataclasses.fields(lab.Params)}
    for args in lab_ops().values():
        names |= {f.name for f in dataclasses.fields(args)}
    assert undocumented(names) == []


def test_the_reference_client_speaks_the_documented_protocol() -> None:
    """What app/static/js sends is accepted and documented; what it handles is sent."""
    assert client_ops() - accepted_ops() == set()
    assert undocumented(client_ops()) == []
    assert client_types() - {"status", "other"} <= sent_types()


@pytest.mark.parametrize("lab", list(registry()))
def test_every_field_of_a_real_opening_is_documented(client: TestClient, lab: str) -> None:
    """The keys of hello (with its limits and flow), the data messages and the first frame."""
    keys: set[str] = set()
    with client.websocket_connect(f"/ws/{lab}") as ws:
        hello = ws.receive_json()
        keys |= {*hello, *hello["limits"], *hello["flow"]}
        while (msg := ws.receive_json())["type"] != "frame":
            keys |= set(msg)
        keys |= {*msg, *msg["metrics"], *msg["loss"]}
        ws.send_json({"op": "configure", "id": 1, "params": {}})
        keys |= set(recv_until(ws, "config"))
        ws.send_json({"op": "play", "id": 2})
        keys |= set(recv_until(ws, "state"))
    assert undocumented(keys) == []

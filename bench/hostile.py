"""Seeded hostile and malformed client messages, over every lab and every op (issue 10).

``stream(lab, seed, count)`` yields ``Hostile`` items: the payload (``str`` for a text
frame, ``bytes`` for a binary one), the vector's name, and what a robust server must
answer. The same seed gives the same items. Params, bounds and lab ops come from the
engine, through bench/bounds.py. Payloads stay under ``max_bytes``: the server closes
larger ones with 1008, by design.

Used by tests/app/test_fuzz.py (thousands, through TestClient) and bench/fuzz.py
(tens of thousands, over real sockets). A little over 300 lines on purpose: one small
builder per vector, to be read top to bottom as the catalogue of what is tried.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from bench import bounds
from bench.bounds import Expect, Field, LabInfo, Made, Raw

INVALID = ("invalid_params",)
BAD = ("bad_message",)
Message = dict[str, Any]
Codes = tuple[str, ...]  # acceptable error codes; () = any
Built = tuple[Message | str | bytes, Expect, Codes]  # what to send, what it deserves
Builder = Callable[[random.Random, LabInfo, str, int], Built]  # (rng, lab, op, byte budget)


@dataclass(frozen=True)
class Hostile:
    """One message to send, and what a robust server answers."""

    lab: str
    kind: str  # the vector, e.g. "deep_nesting", "surrogate_id"
    payload: str | bytes  # bytes: send as a binary frame
    expect: Expect = "any"
    codes: Codes = ()  # acceptable error codes when an error is expected; () = any

    @property
    def binary(self) -> bool:
        return isinstance(self.payload, bytes)


def _id(rng: random.Random) -> Any:
    return rng.choice([rng.randint(0, 10**6), bounds.text(rng, 8), "", -1, 2.5])


def _lab_op(op: str) -> bool:
    """Lab ops (inspect, predict, …) refuse unknown arguments; core ops ignore them."""
    return op not in (*bounds.CORE_OPS, *bounds.CLASSROOM_OPS, *bounds.FLOW_OPS)


def valid_message(rng: random.Random, info: LabInfo, op: str, heavy: bool = False) -> Message:
    """``op`` with valid arguments (for configure, one to three params), maybe an id."""
    msg: Message = {"op": op}
    if op == "configure":
        chosen = info.params if heavy else rng.sample(info.params, rng.randint(1, 3))
        msg["params"] = {f.name: bounds.valid(rng, f, heavy) for f in chosen}
    else:
        msg.update({f.name: bounds.valid(rng, f, heavy) for f in info.ops[op]})
    if rng.random() < 0.5:
        msg["id"] = _id(rng)
    return msg


def _valid(rng: random.Random, info: LabInfo, op: str, budget: int) -> Built:
    msg = valid_message(rng, info, op)
    if op == "fork":
        return msg, "error", ("not_following",)
    # inspect and add_point depend on the state (the net's sizes, points added so far)
    return msg, "any" if _lab_op(op) and info.ops[op] else "ok", ()


def _heavy(rng: random.Random, info: LabInfo, op: str, budget: int) -> Built:
    """As costly as the bounds allow: the biggest net, max speed, the most steps."""
    msg = valid_message(rng, info, rng.choice(["configure", "step", "play"]), heavy=True)
    return msg, "any", ()


def _id_expect(value: Any) -> tuple[Expect, Codes]:
    """PROTOCOL.md: an id is a string or a number; anything else is a bad message."""
    fine = value is None or (isinstance(value, str | int | float) and not isinstance(value, bool))
    return ("any", ()) if fine else ("error", BAD)


def _valued(maker: Callable[[random.Random, Field, int], Made], codes: Codes = INVALID) -> Builder:
    """Put a maker's value where the op takes one: a param, an argument, or else the id.

    A bad value there is an error with one of ``codes``.
    """

    def build(rng: random.Random, info: LabInfo, op: str, budget: int) -> Built:
        f = rng.choice(info.params) if op == "configure" else rng.choice(info.ops[op] or (None,))
        value, expect = maker(rng, f or rng.choice(info.params), budget)
        if f is None:
            msg: Message = {"op": op, "id": value}
            return (msg, "error", ()) if isinstance(value, Raw) else (msg, *_id_expect(value))
        msg = {"op": op}
        if op == "configure":
            msg["params"] = {f.name: value}
        else:
            msg.update({g.name: bounds.valid(rng, g) for g in info.ops[op]}, **{f.name: value})
        if rng.random() < 0.5:
            msg["id"] = _id(rng)
        unparsable = isinstance(value, Raw)  # an error, whatever its code
        return msg, expect, () if unparsable or expect != "error" else codes

    return build


def _judge_text(raw: str) -> tuple[Expect, Codes]:
    try:
        msg = json.loads(raw)
    except json.JSONDecodeError:
        return "error", BAD
    except (ValueError, RecursionError):  # too deep, or an int past CPython's 4300 digits
        return "error", ()
    if not isinstance(msg, dict) or not isinstance(msg.get("op"), str):
        return "error", BAD
    return "any", ()


def _binary(rng: random.Random, info: LabInfo, op: str, budget: int) -> Built:
    """A binary frame: a valid message's bytes (may be accepted), or bytes that are not JSON."""
    good = json.dumps(valid_message(rng, info, op)).encode()
    data = rng.choice([good, b"\xef\xbb\xbf" + good, b"", rng.randbytes(rng.randint(1, 300)),
                       good[: len(good) // 2], b"\xff\xfe" + good, b"\x00" * 8])  # fmt: skip
    try:
        expect = _judge_text(data.decode())[0]
    except UnicodeDecodeError:
        expect = "error"
    return data, expect, ()


def _malformed(rng: random.Random, info: LabInfo, op: str, budget: int) -> Built:
    s = json.dumps(valid_message(rng, info, op))
    cut = s[: rng.randint(1, len(s) - 1)]
    raw = rng.choice([s[:-1], cut, s + "}", s.replace('"', "'"), "{op:pause}", '{"op":"pause",}',
                      s + s, s + " trailing", "", " ", "\x00", "nul", "{", "]]", '"unterminated',
                      "\ufeff" + s, s.replace(":", "=")])  # fmt: skip
    return (raw, *_judge_text(raw))


def _non_object(rng: random.Random, info: LabInfo, op: str, budget: int) -> Built:
    raw = rng.choice(["[1, 2]", "42", f'"{op}"', "null", "true", "[]", f'[{{"op":"{op}"}}]',
                      "3.5", "NaN", "-Infinity", f'"{bounds.text(rng, 20)}"'])  # fmt: skip
    return raw, "error", BAD


def _missing_op(rng: random.Random, info: LabInfo, op: str, budget: int) -> Built:
    msg: Message = rng.choice([{"id": 1}, {}, {"params": {"lr": 0.1}}, {"Op": op}, {"op ": op},
                      {"type": op}, {"ops": [op]}])  # fmt: skip
    return msg, "error", BAD


def _non_string_op(rng: random.Random, info: LabInfo, op: str, budget: int) -> Built:
    value = rng.choice([1, 0, True, None, [op], {"op": op}, 1.5, math.nan, -(10**20)])
    return {"op": value, "id": _id(rng)}, "error", BAD


def _unknown_op(rng: random.Random, info: LabInfo, op: str, budget: int) -> Built:
    others = {o for lab in bounds.LABS for o in bounds.lab_info(lab).ops} - set(info.ops)
    names = [*others, op.upper(), op.capitalize(), f" {op}", f"{op} ", f"{op}\u0000", "hello",
             "frame", "__init__", "_dispatch", f"{op};reset", "", bounds.text(rng, 12)]  # fmt: skip
    name = rng.choice([n for n in names if n not in info.ops])
    return {"op": name, "id": _id(rng)}, "error", ("unknown_op",)


def _bad_id(rng: random.Random, info: LabInfo, op: str, budget: int) -> Built:
    msg = valid_message(rng, info, op)
    msg["id"] = rng.choice([[1], {"a": 1}, True, False, [], math.nan, math.inf, 1e308, -0.0,
                            10**30, "", 2**53 + 1])  # fmt: skip
    return (msg, *_id_expect(msg["id"]))


def _unknown_param(rng: random.Random, info: LabInfo, op: str, budget: int) -> Built:
    p = rng.choice(info.params).name
    names = ["colour", "Lr", "lr ", "__class__", "__dict__", "params", "type", f"_{p}", p.upper(),
             "", "x" * 300, f"{p}\u0000", "op", "id"]  # fmt: skip
    msg = valid_message(rng, info, op)
    if op == "configure":
        known = {f.name for f in info.params}
        msg["params"][rng.choice([n for n in names if n not in known])] = 1
        return msg, "error", INVALID
    known = {f.name for f in info.ops[op]} | {"op", "id"}  # op and id are the message's own
    msg[rng.choice([n for n in names if n not in known])] = 1
    return msg, "error" if _lab_op(op) else "any", INVALID if _lab_op(op) else ()


def _bad_params(rng: random.Random, info: LabInfo, op: str, budget: int) -> Built:
    msg: Message = {"op": "configure", "id": _id(rng)}
    value = rng.choice([3, [], "lr", None, True, [{"lr": 0.1}], "missing"])
    if value != "missing":
        msg["params"] = value
    return msg, "error", (*BAD, *INVALID)


def _export_format(rng: random.Random, info: LabInfo, op: str, budget: int) -> Built:
    msg: Message = {"op": "export", "id": _id(rng)}
    value = rng.choice([["python"], {"python": 1}, None, "", "pdf", "PYTHON", 1, True,
                        "python\u0000", "../../etc/passwd", "missing"])  # fmt: skip
    if value != "missing":
        msg["format"] = value
    return msg, "error", INVALID


def _deep(rng: random.Random, info: LabInfo, op: str, budget: int) -> Built:
    nest = bounds.deep(rng, info.params[0], budget)[0].text
    if rng.random() < 0.2:  # the whole frame
        return nest, "error", ()
    if rng.random() < 0.2:  # an argument that the op ignores, if the server can parse it
        return f'{{"op":"{op}","x":{nest}}}', "error" if _lab_op(op) else "any", ()
    return _valued(bounds.deep)(rng, info, op, budget)


def _surrogate_id(rng: random.Random, info: LabInfo, op: str, budget: int) -> Built:
    msg = valid_message(rng, info, op)
    msg["id"] = bounds.surrogate(rng, rng.choice(["", bounds.text(rng, 6)]))
    return msg, "any", ()


def _surrogate_op(rng: random.Random, info: LabInfo, op: str, budget: int) -> Built:
    msg = {"op": bounds.surrogate(rng, op), "id": _id(rng)}
    return msg, "error", ("unknown_op", *BAD)


def _surrogate_name(rng: random.Random, info: LabInfo, op: str, budget: int) -> Built:
    msg = valid_message(rng, info, op)
    name = bounds.surrogate(rng, rng.choice(["", rng.choice(info.params).name]))
    if op == "configure":
        msg["params"][name] = 1
        return msg, "error", (*INVALID, *BAD)
    msg[name] = 1
    return msg, "error" if _lab_op(op) else "any", (*INVALID, *BAD) if _lab_op(op) else ()


def _long_id(rng: random.Random, info: LabInfo, op: str, budget: int) -> Built:
    """A valid message with an id of 1000 characters or more (a server may refuse it)."""
    msg = valid_message(rng, info, op)
    msg["id"] = bounds.long_text(rng, budget // 2)
    return msg, "any", ()


def _empty(rng: random.Random, info: LabInfo, op: str, budget: int) -> Built:
    options: list[Built] = [("", "error", BAD), ({"op": "", "id": 1}, "error", ("unknown_op",)),
                            ({"op": "configure", "params": {"": 1}}, "error", INVALID),
                            _valued(bounds.empty)(rng, info, op, budget)]  # fmt: skip
    return rng.choice(options)


def _junk(rng: random.Random, info: LabInfo, op: str, budget: int) -> Built:
    k = rng.randint(0, len(op))
    junk_op = {"op": op[:k] + rng.choice(bounds.JUNK) + op[k:]}
    options: list[Built] = [(junk_op, "error", ("unknown_op",)),
                            (bounds.text(rng, rng.randint(1, 200), junk=True), "error", BAD),
                            _valued(bounds.junk)(rng, info, op, budget)]  # fmt: skip
    return rng.choice(options)


KINDS: dict[str, tuple[Builder, int]] = {  # name → (builder, weight in each shuffled deck)
    "valid": (_valid, 4),
    "malformed_json": (_malformed, 1),
    "non_object": (_non_object, 1),
    "missing_op": (_missing_op, 1),
    "non_string_op": (_non_string_op, 1),
    "unknown_op": (_unknown_op, 1),
    "bad_id": (_bad_id, 1),
    "wrong_type": (_valued(bounds.wrong_type), 3),
    "float_for_int": (_valued(bounds.float_for_int), 1),
    "nan_inf": (_valued(bounds.nan_inf), 1),
    "out_of_range": (_valued(bounds.out_of_range), 3),
    "unknown_param": (_unknown_param, 1),
    "huge_list": (_valued(bounds.huge_list), 1),
    "bad_params_object": (_bad_params, 1),
    "export_format": (_export_format, 1),
    "deep_nesting": (_deep, 1),
    "huge_int": (_valued(bounds.huge_int), 1),
    "big_int": (_valued(bounds.big_int), 1),
    "surrogate_id": (_surrogate_id, 1),
    "surrogate_op": (_surrogate_op, 1),
    "surrogate_name": (_surrogate_name, 1),
    # a server may refuse a lone surrogate anywhere as a bad message
    "surrogate_value": (_valued(bounds.surrogate_value, (*INVALID, *BAD)), 1),
    "long_id": (_long_id, 1),
    "long_string": (_valued(bounds.long_string), 1),
    "binary": (_binary, 2),
    "empty": (_empty, 1),
    "unicode_junk": (_junk, 1),
}
HEAVY_KINDS: dict[str, tuple[Builder, int]] = {**KINDS, "heavy": (_heavy, 1)}


def stream(
    lab: str, seed: int, count: int, *, heavy: bool = False, max_bytes: int = 60_000
) -> Iterator[Hostile]:
    """``count`` items for ``lab``: every kind in each shuffled deck, on every op in turn.

    ``heavy`` adds the most costly valid messages (the biggest net, max speed, 10000 steps).
    """
    rng = random.Random(f"{seed}/{lab}")  # a str seed hashes the same in every process
    info, kinds = bounds.lab_info(lab), HEAVY_KINDS if heavy else KINDS
    ops = tuple(info.ops)
    deck: list[str] = []
    turns: Counter[str] = Counter()  # items of each kind so far: the next op in turn
    for _ in range(count):
        if not deck:
            deck = [k for k, (_, weight) in kinds.items() for _ in range(weight)]
            rng.shuffle(deck)
        kind = deck.pop()
        op = ops[turns[kind] % len(ops)]
        turns[kind] += 1
        built, expect, codes = kinds[kind][0](rng, info, op, max_bytes - 500)
        payload = built if isinstance(built, str | bytes) else bounds.dump(rng, built)
        size = len(payload if isinstance(payload, bytes) else payload.encode())
        assert size <= max_bytes, f"{kind}: {size} bytes"
        yield Hostile(lab, kind, payload, expect, codes)


def verdict(item: Hostile, codes: list[Any]) -> str | None:
    """Why the error codes that answered ``item`` break the contract, or None if they keep it."""
    if any(not isinstance(c, str) or not c for c in codes):
        return "an error without a code"
    if "internal" in codes:  # a hostile message reached code that did not expect it
        return "internal error"
    if item.expect == "error" and not codes:
        return "no error reply"
    if item.expect == "ok" and codes:
        return f"unexpected error {codes[0]}"
    if item.expect == "error" and item.codes and not set(codes) & set(item.codes):
        return f"error {codes[0]}, expected {' or '.join(item.codes)}"
    return None

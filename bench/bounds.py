"""A lab's params and op arguments with their bounds, and values inside, past and beside them.

Read from the engine's registry (each lab's params dataclass with ``Annotated`` bounds, and
its ``ops``), so a new lab, param or op is covered without edits here. bench/hostile.py
builds its messages from these.
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal, get_args, get_origin, get_type_hints

from annotated_types import Ge, Gt, Le, Len, Lt

from engine.labs import registry

Expect = Literal["ok", "error", "any"]  # an error reply required, forbidden, or either
Made = tuple[Any, "Expect"]  # a value, and what a server must answer to it where it is put
CORE_OPS = ("configure", "play", "pause", "step", "reset")  # PROTOCOL.md
CLASSROOM_OPS = ("present", "fork", "export")
FLOW_OPS = ("ack",)  # flow control (README, protocol extensions): no reply
MAX_ACK = 100  # frames one ack may count
MAX_STEPS, MAX_SPEED = 10_000, 5_000.0  # the server's default limits
CHEAP_SPAN = 20  # valid ints stay near their minimum: n, widths, batch and resolution cost time
# zero-width space, right-to-left override, BOM, NUL, DEL, emoji, full-width, combining, CJK,
# a noncharacter: valid Unicode that a careless server may mangle
JUNK = ("\u200b", "\u202e", "\ufeff", "\u0000", "\x7f", "💥", "ｐｌａｙ", "e\u0301", "中文",
        "\U0010ffff")  # fmt: skip
SURROGATES = ("\udc00", "\ud800", "\udfff", "\ud83d")  # lone: no UTF-8 encoding exists


@dataclass(frozen=True)
class Field:
    """A param or op argument with its bounds, read from the lab's ``Annotated`` hints."""

    name: str
    kind: Literal["int", "float", "bool", "choice", "list"]
    lo: float = -math.inf
    hi: float = math.inf
    lo_open: bool = False
    hi_open: bool = False
    choices: tuple[Any, ...] = ()
    min_len: int = 0
    max_len: int = 0
    item: Field | None = None


@dataclass(frozen=True)
class Raw:
    """JSON text placed as it is: what ``json.dumps`` will not write (deep nesting, huge ints)."""

    text: str


def _field(name: str, hint: Any) -> Field:
    base, meta = (
        (get_args(hint)[0], get_args(hint)[1:]) if get_origin(hint) is Annotated else (hint, ())
    )
    limits: dict[str, Any] = {}
    for m in meta:
        if isinstance(m, Ge | Gt):
            limits.update(lo=getattr(m, "ge", getattr(m, "gt", None)), lo_open=isinstance(m, Gt))
        elif isinstance(m, Le | Lt):
            limits.update(hi=getattr(m, "le", getattr(m, "lt", None)), hi_open=isinstance(m, Lt))
        elif isinstance(m, Len):
            limits.update(min_len=m.min_length, max_len=m.max_length or 0)
    if get_origin(base) is Literal:
        return Field(name, "choice", choices=get_args(base))
    if get_origin(base) is tuple:
        return Field(name, "list", item=_field(name, get_args(base)[0]), **limits)
    kind: Any = {bool: "bool", int: "int", float: "float"}[base]
    return Field(name, kind, **limits)


def fields_of(cls: type) -> tuple[Field, ...]:
    """The fields of a params or op-arguments dataclass."""
    hints = get_type_hints(cls, include_extras=True)
    return tuple(_field(f.name, hints[f.name]) for f in dataclasses.fields(cls))


@dataclass(frozen=True)
class LabInfo:
    """What a client may send to one lab."""

    id: str
    params: tuple[Field, ...]  # the lab's params and the session's `speed`
    ops: dict[str, tuple[Field, ...]]  # every op → the fields it takes (configure: none here)


@cache
def lab_info(lab: str) -> LabInfo:
    """Every op of ``lab`` with its arguments: the protocol's own, then the lab's."""
    cls = registry()[lab]
    speed = Field("speed", "float", lo=0.01, hi=MAX_SPEED)
    ops: dict[str, tuple[Field, ...]] = dict.fromkeys((*CORE_OPS, *CLASSROOM_OPS), ())
    ops["ack"] = (Field("frames", "int", lo=1, hi=MAX_ACK),)  # a server without acks: unknown_op
    ops["step"] = (Field("steps", "int", lo=1, hi=MAX_STEPS),)
    ops["export"] = (Field("format", "choice", choices=("python", "json")),)
    ops.update({op: fields_of(args) for op, (args, _) in cls.ops.items()})
    return LabInfo(lab, (*fields_of(cls.Params), speed), ops)


LABS: tuple[str, ...] = tuple(registry())

# -- values ------------------------------------------------------------------------------


def valid(rng: random.Random, f: Field, heavy: bool = False) -> Any:
    """A value within bounds; cheap unless ``heavy`` (then as costly as the bounds allow)."""
    if f.kind == "bool":
        return rng.random() < 0.5
    if f.kind == "choice":
        return rng.choice(f.choices)
    if f.kind == "list":
        assert f.item is not None
        n = f.max_len if heavy else rng.randint(f.min_len, min(f.max_len, max(f.min_len, 3)))
        if f.item.kind == "choice":  # names, e.g. features: distinct
            return rng.sample(f.item.choices, min(n, len(f.item.choices)))
        return [valid(rng, f.item, heavy) for _ in range(n)]
    lo = f.lo if math.isfinite(f.lo) else -10
    hi = f.hi if math.isfinite(f.hi) else 10
    if f.kind == "int" and heavy:
        return int(hi) - (1 if f.hi_open else 0)
    if f.kind == "int":
        return rng.randint(int(lo), int(min(hi, lo + CHEAP_SPAN)))
    x = rng.uniform(lo, hi)
    return (lo + hi) / 2 if (x == lo and f.lo_open) or (x == hi and f.hi_open) else x


def _past(rng: random.Random, f: Field) -> Any:
    """Just past a bound (or on an open one), or far past them all."""
    if f.kind == "choice" and all(isinstance(c, str) for c in f.choices):
        c = rng.choice(f.choices)
        return rng.choice([b for b in ("", "none", c.upper() + "X", f"{c} ", c * 2) if b != c])
    if f.kind in ("choice", "bool"):
        return rng.choice([2, -1, 99])
    if f.kind == "list":
        assert f.item is not None
        good = valid(rng, f)
        too_long = [good[0] if good else valid(rng, f.item)] * (f.max_len + rng.randint(1, 5))
        too_short = good[: f.min_len - 1] if f.min_len > 0 else too_long
        return rng.choice([too_long, too_short, [*good[1:], _past(rng, f.item)]])
    edges: list[float] = []
    if math.isfinite(f.lo):
        below = int(f.lo) - 1 if f.kind == "int" else math.nextafter(f.lo, -math.inf)
        edges.append(f.lo if f.lo_open else below)
    if math.isfinite(f.hi):
        above = int(f.hi) + 1 if f.kind == "int" else math.nextafter(f.hi, math.inf)
        edges.append(f.hi if f.hi_open else above)
    return rng.choice([*edges, *edges, 10**30, -(10**30), 2**63, 1e308, -1e308])


def out_of_range(rng: random.Random, f: Field, budget: int) -> Made:
    return _past(rng, f), "error"


def wrong_type(rng: random.Random, f: Field, budget: int) -> Made:
    """Strings and booleans are not numbers (issue 10, item 7); "true" or 1 for a bool may pass."""
    v = valid(rng, f)
    options: list[Made] = [([v], "error"), ({"value": v}, "error"), (None, "error")]
    if f.kind in ("int", "float"):
        options += [(str(v), "error"), (True, "error"), (False, "error"), ("", "error")]
    elif f.kind == "bool":
        options += [("true", "any"), (int(v), "any"), (2, "error"), ("maybe", "error")]
    elif f.kind == "choice" and isinstance(v, str):
        options += [(1, "error"), (True, "error"), (v.encode().hex() + "!", "error")]
    elif f.kind == "choice":  # an int choice, e.g. label 0/1: "1" or true may pass
        options += [(str(v), "any"), (bool(v), "any"), (0.5, "error")]
    elif f.kind == "list":
        assert f.item is not None
        items = ([str(x) for x in v] or ["1"]) if f.item.kind in ("int", "float") else [1]
        options += [(v[0] if v else 1, "error"), (",".join(map(str, v)) or "1", "error")]
        options.append((items, "error"))
    return rng.choice(options)


def float_for_int(rng: random.Random, f: Field, budget: int) -> Made:
    """10.5 for an int is wrong; 10.0 may pass (JSON has one number type)."""
    if f.kind == "int":
        v = valid(rng, f)
        options: list[Made] = [(v + 0.5, "error"), (float(v), "any"), (v + 1e-6, "error")]
        return rng.choice(options)
    if f.kind == "list" and f.item is not None and f.item.kind == "int":
        return [x + 0.5 for x in valid(rng, f)] or [1.5], "error"
    return wrong_type(rng, f, budget)


def nan_inf(rng: random.Random, f: Field, budget: int) -> Made:
    return rng.choice([math.nan, math.inf, -math.inf]), "error"  # NaN, Infinity literals


def huge_list(rng: random.Random, f: Field, budget: int) -> Made:
    """Thousands of items: a net of many layers, a scalar as a list."""
    item = valid(rng, f.item) if f.item else valid(rng, f)
    return [item] * rng.randint(1_000, max(1_000, budget // (len(json.dumps(item)) + 2))), "error"


def huge_int(rng: random.Random, f: Field, budget: int) -> Made:
    """An integer literal CPython refuses to parse: more than 4300 digits."""
    return digits(rng, 4_301, min(20_000, budget // 2)), "error"


def big_int(rng: random.Random, f: Field, budget: int) -> Made:
    """Parsable (at most 4300 digits) and past every bound."""
    return int(digits(rng, 300, 4_300).text), "error"


def deep(rng: random.Random, f: Field, budget: int) -> Made:
    """Arrays or objects nested about 1000 deep, or much deeper."""
    # just under Python's recursion limit (parsable, then too deep for what walks it), just
    # over it, or far over
    far = rng.randint(1100, budget // 6)
    depth = rng.choice([rng.randint(950, 1000), rng.randint(1000, 1100), far])
    if rng.random() < 0.5:
        return Raw("[" * depth + "1" + "]" * depth), "error"
    return Raw('{"a":' * depth + "1" + "}" * depth), "error"


def surrogate(rng: random.Random, base: str) -> str:
    k = rng.randint(0, len(base))
    return base[:k] + rng.choice(SURROGATES) + base[k:]


def surrogate_value(rng: random.Random, f: Field, budget: int) -> Made:
    return surrogate(rng, text(rng, 4)), "error"


def long_string(rng: random.Random, f: Field, budget: int) -> Made:
    return long_text(rng, budget // 2), "error"


def junk(rng: random.Random, f: Field, budget: int) -> Made:
    return text(rng, rng.randint(1, 50), junk=True), "error"


def empty(rng: random.Random, f: Field, budget: int) -> Made:
    return "", "error"


def long_text(rng: random.Random, budget: int) -> str:
    """At least 1000 characters, at most ``budget`` bytes even escaped (12 bytes for an emoji)."""
    junk = rng.random() < 0.3
    return text(rng, rng.randint(1_000, max(1_000, budget // (12 if junk else 1))), junk)


def text(rng: random.Random, length: int, junk: bool = False) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 _-" if not junk else "".join(JUNK) + "ab"
    chunk = "".join(rng.choices(alphabet, k=min(length, 64)))  # repeated: long texts stay cheap
    return (chunk * (length // 64 + 1))[:length]


def digits(rng: random.Random, lo: int, hi: int) -> Raw:
    """An integer literal of lo…hi digits, maybe negative."""
    n = rng.randint(lo, hi) - 1
    body = ("".join(rng.choices("0123456789", k=64)) * (n // 64 + 1))[:n]
    return Raw(rng.choice(["", "-"]) + str(rng.randint(1, 9)) + body)


def dump(rng: random.Random, obj: Any) -> str:
    """Compact or spaced JSON, ASCII-escaped or raw UTF-8, with ``Raw`` parts placed as is.

    Lone surrogates have no UTF-8 form: they always go out as ``\\udc00`` escapes.
    """
    raws: list[str] = []

    def swap(o: Any) -> Any:
        if isinstance(o, Raw):
            raws.append(o.text)
            return f"@@raw{len(raws) - 1}@@"
        if isinstance(o, dict):
            return {k: swap(v) for k, v in o.items()}
        return [swap(v) for v in o] if isinstance(o, list) else o

    plain = swap(obj)
    separators = rng.choice([(",", ":"), (", ", ": ")])
    out = json.dumps(plain, ensure_ascii=rng.random() < 0.5, separators=separators)
    try:
        out.encode()
    except UnicodeEncodeError:
        out = json.dumps(plain, ensure_ascii=True, separators=separators)
    for i, raw in enumerate(raws):
        out = out.replace(f'"@@raw{i}@@"', raw)
    return out

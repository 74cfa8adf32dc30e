"""A lab's params as the protocol sees them: validation, the JSON schema, extra ops.

Split from app/protocol.py (the messages themselves); this is where a lab's params
dataclass becomes pydantic validation and a JSON schema, with the settings' limits.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
from collections.abc import Mapping
from typing import Any, get_type_hints

from pydantic import TypeAdapter, ValidationError

from app.protocol import SESSION_PARAMS, SHOWN, ProtocolError, field_errors, invalid, shown
from app.settings import Settings
from engine.lab import Lab, Ui


class LabSpec:
    """The app's view of one lab: its params' validation, schema and extra ops."""

    def __init__(self, lab: type[Lab[Any]], settings: Settings) -> None:
        self.lab = lab
        self.id = lab.id
        self.settings = settings
        self.adapter: TypeAdapter[Any] = TypeAdapter(lab.Params)
        self.names = [f.name for f in dataclasses.fields(lab.Params)]
        self.limits = settings.limits.get(lab.id, {})
        # lesson presets: a module-level PRESETS dict of param dicts, by name
        self.presets: dict[str, dict[str, Any]] = getattr(inspect.getmodule(lab), "PRESETS", {})
        self.op_adapters = {name: TypeAdapter(args) for name, (args, _) in lab.ops.items()}

    # -- params ----------------------------------------------------------------

    def defaults(self) -> Any:
        return self.lab.Params()

    def session_defaults(self) -> dict[str, Any]:
        return {"speed": self.lab.default_speed}

    def validate(
        self, current: Any, changes: Any, strict: bool = True
    ) -> tuple[Any, dict[str, Any]]:
        """New (lab params, session params) from a subset of changes, or ``invalid``.

        Nothing is applied unless every field is valid. ``strict`` (what clients
        send): JSON types must match, so ``"lr": "0.5"`` or ``"n": true`` are
        refused; URL query values are text and are converted instead.
        """
        if not isinstance(changes, Mapping):
            raise ProtocolError("bad_message", "configure needs `params`: an object")
        errors = [
            {"field": shown(k)[1:-1] if len(str(k)) > SHOWN else str(k),
             "message": f"unknown param for {self.id}"}
            for k in changes
            if k not in self.names and k not in SESSION_PARAMS
        ]  # fmt: skip
        session = self._session_params(changes, errors)
        lab_changes = {k: v for k, v in changes.items() if k in self.names}
        params = current
        try:
            merged = {**dataclasses.asdict(current), **lab_changes}
            params = (
                self.adapter.validate_json(json.dumps(merged), strict=True)
                if strict
                else self.adapter.validate_python(merged)
            )
        except ValidationError as exc:
            errors += field_errors(exc)
        if not errors:
            errors += self._over_limits(params) or self._over_cost(params, set(lab_changes))
        if errors:
            raise invalid(errors)
        return params, session

    def _over_cost(self, params: Any, changed: set[str]) -> list[dict[str, str]]:
        """Params whose update or frame would cost more than this server allows.

        Named by the fields that drive the cost, those just changed first.
        """
        cost, s = self.lab.cost(params), self.settings
        errors = []
        for what, value, limit, names in (
            ("an update", cost.update, s.max_update_cost, self.lab.update_cost_fields),
            ("a frame", cost.frame, s.max_frame_cost, self.lab.frame_cost_fields),
        ):
            if value > limit * 1e6:
                fields = [n for n in names if n in changed] or list(names)
                message = (
                    f"too costly for this server: {what} would take {value / 1e6:.0f} million "
                    f"multiply-adds, at most {limit:g} million; make {' or '.join(names)} smaller"
                )
                errors += [{"field": name, "message": message} for name in fields]
        return errors

    def _session_params(
        self, changes: Mapping[str, Any], errors: list[dict[str, str]]
    ) -> dict[str, Any]:
        if "speed" not in changes:
            return {}
        speed = changes["speed"]
        ok = isinstance(speed, int | float) and not isinstance(speed, bool)
        if not ok or not (0.01 <= speed <= self.settings.max_speed):
            errors.append(
                {
                    "field": "speed",
                    "message": f"expected a number in [0.01, {self.settings.max_speed:g}], "
                    f"got {shown(speed)}",
                }
            )
            return {}
        return {"speed": float(speed)}

    def _over_limits(self, params: Any) -> list[dict[str, str]]:
        """Operator limits from settings, stricter than the engine's own bounds."""
        errors = []
        for name, limit in self.limits.items():
            value = getattr(params, name, None)
            size = len(value) if isinstance(value, tuple | list) else value
            if isinstance(size, int | float) and size > limit:
                what = "length" if isinstance(value, tuple | list) else "value"
                errors.append(
                    {"field": name, "message": f"{what} must be ≤ {limit:g} on this server"}
                )
        return errors

    def from_query(
        self, query: Mapping[str, str]
    ) -> tuple[Any, dict[str, Any], list[dict[str, str]]]:
        """Params from a URL query; the valid ones apply, the invalid are reported."""
        hints = get_type_hints(self.lab.Params)
        changes: dict[str, Any] = {}
        for key, raw in query.items():
            if key in self.names:
                is_list = getattr(hints[key], "__origin__", None) in (tuple, list)
                changes[key] = [s for s in raw.split(",") if s] if is_list else raw
            elif key in SESSION_PARAMS:
                changes[key] = _number(raw)
        params, session, errors = self.defaults(), self.session_defaults(), []
        for key, value in changes.items():
            try:
                params, extra = self.validate(params, {key: value}, strict=False)
                session.update(extra)
            except ProtocolError as exc:
                errors += exc.errors
        return params, session, errors

    def validate_op(self, op: str, msg: Mapping[str, Any]) -> Any:
        args = {k: v for k, v in msg.items() if k not in ("op", "id")}
        known = {f.name for f in dataclasses.fields(self.lab.ops[op][0])}
        unknown = [
            {"field": k, "message": f"unknown argument for {op}"} for k in args if k not in known
        ]
        if unknown:
            raise invalid(unknown)
        try:
            return self.op_adapters[op].validate_json(json.dumps(args), strict=True)
        except ValidationError as exc:
            raise invalid(field_errors(exc)) from exc

    # -- schema ------------------------------------------------------------------

    def schema(self) -> dict[str, Any]:
        """JSON Schema of the params, with ``x-`` UI hints and this server's limits."""
        schema = self.adapter.json_schema()
        props = schema["properties"]
        for name, hint in _ui_hints(self.lab.Params).items():
            props[name].update({f"x-{k}": v for k, v in dataclasses.asdict(hint).items()})
        for name, limit in self.limits.items():
            key = "maxItems" if props[name].get("type") == "array" else "maximum"
            props[name][key] = min(props[name].get(key, limit), limit)
        props["speed"] = {
            "type": "number",
            "minimum": 0.01,
            "maximum": self.settings.max_speed,
            "default": self.lab.default_speed,
            "x-group": "player",
            "x-log": True,
            "x-step": 0.01,
            "x-advanced": False,
            "title": "Speed",
        }
        schema["additionalProperties"] = False
        return schema


def _ui_hints(params: type) -> dict[str, Ui]:
    hints = get_type_hints(params, include_extras=True)
    found = {}
    for name, hint in hints.items():
        for meta in getattr(hint, "__metadata__", ()):
            if isinstance(meta, Ui):
                found[name] = meta
    return found


def _number(raw: str) -> Any:
    try:
        return float(raw)
    except ValueError:
        return raw

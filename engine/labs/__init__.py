"""The lab registry: every module in this package that defines ``LAB`` is a lab.

Discovery keeps adding a lab to one new module: nothing here, and nothing in
the app, has to change.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import Any

from engine.lab import Lab


@cache
def registry() -> dict[str, type[Lab[Any]]]:
    """Lab id → lab class, in a stable, teaching order (``order`` attribute)."""
    found: list[type[Lab[Any]]] = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        lab = getattr(module, "LAB", None)
        if lab is not None:
            found.append(lab)
    found.sort(key=lambda cls: (cls.order, cls.id))
    return {cls.id: cls for cls in found}

"""Every string of the pins panel (js/lib/pins.js, partials/pins.html, the labs' pin layers)
is in both catalogs, and the catalogs have the same pins strings."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "app"


def test_every_pins_string_is_in_both_catalogs() -> None:
    sources = [
        ROOT / "static/js/lib/pins.js",
        ROOT / "templates/partials/pins.html",
        *(ROOT / "static/js/labs").glob("*.js"),
    ]
    quoted = re.compile(r"""["'](pins\.[a-z_]+)["']""")  # t("pins.x"), data-i18n="pins.x"
    used = {k for p in sources for k in quoted.findall(p.read_text("utf-8"))}
    assert {"pins.pin", "pins.pin_tip", "pins.full", "pins.diff", "pins.live"} <= used
    catalogs = {
        lang: json.loads((ROOT / f"static/i18n/{lang}/site.json").read_text("utf-8"))
        for lang in ("en", "zh")
    }
    for lang, catalog in catalogs.items():
        assert not used - set(catalog), f"missing in {lang}: {sorted(used - set(catalog))}"
    pins = [{k for k in c if k.startswith("pins.")} for c in catalogs.values()]
    assert pins[0] == pins[1]

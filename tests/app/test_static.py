"""Static files: hashed URLs cached forever, precompressed once, ETags; the Plotly bundle."""

from __future__ import annotations

import gzip
import json
import re
import tempfile
from pathlib import Path
from typing import Any

import brotli
import pytest
from fastapi.testclient import TestClient

from app import static_files
from app.main import create_app
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
BUILD = json.loads((ROOT / "tools" / "plotly" / "traces.json").read_text())
VENDOR = static_files.STATIC / "vendor"
BUNDLES = static_files.plotly_bundles()
NAMES = list(static_files.prepared().hashes)
LABS = ("beans", "circles", "digits", "neuron")
# Every trace type plotly.js 4 has: a lab that names one outside traces.json fails below.
PLOTLY_TRACES = frozenset(
    [
        "bar",
        "barpolar",
        "box",
        "candlestick",
        "carpet",
        "choropleth",
        "choroplethmap",
        "choroplethmapbox",
        "cone",
        "contour",
        "contourcarpet",
        "densitymap",
        "densitymapbox",
        "funnel",
        "funnelarea",
        "heatmap",
        "histogram",
        "histogram2d",
        "histogram2dcontour",
        "icicle",
        "image",
        "indicator",
        "isosurface",
        "mesh3d",
        "ohlc",
        "parcats",
        "parcoords",
        "pie",
        "quiver",
        "sankey",
        "scatter",
        "scatter3d",
        "scattercarpet",
        "scattergeo",
        "scattergl",
        "scattermap",
        "scattermapbox",
        "scatterpolar",
        "scatterpolargl",
        "scattersmith",
        "scatterternary",
        "splom",
        "streamtube",
        "sunburst",
        "surface",
        "table",
        "treemap",
        "violin",
        "volume",
        "waterfall",
    ]
)


def static_urls(html: str) -> list[str]:
    """The static URLs a page names, but its module preloads (see the test below them)."""
    return re.findall(r'(?<!rel="modulepreload" )(?:src|href)="(/static/[^"]+)"', html)


def module_preloads(html: str) -> list[str]:
    return re.findall(r'<link rel="modulepreload" href="(/static/[^"]+)"', html)


def test_pages_name_static_files_by_hashed_urls(client: TestClient) -> None:
    for path in ["/", *(f"/labs/{lab}" for lab in LABS)]:
        urls = static_urls(client.get(path).text)
        assert any("/css/site." in u for u in urls), path
        for url in urls:
            assert re.search(r"\.[0-9a-f]{12}\.\w+$", url), f"{path}: {url} is not hashed"
            reply = client.get(url)
            assert reply.status_code == 200, url
            cache = reply.headers["cache-control"]
            age = int(re.findall(r"max-age=(\d+)", cache)[0])
            assert "immutable" in cache and age >= 365 * 24 * 3600, f"{url}: {cache}"
            assert reply.headers["etag"] and reply.headers["x-content-type-options"] == "nosniff"


def test_hashed_url_changes_with_the_content() -> None:
    files = static_files.prepared()
    site = (files.root / "css" / "site.css").read_bytes()
    assert files.hashed("css/site.css") != files.hashed("js/lib/page.js")
    assert static_files.url("css/site.css").endswith(f".{files.hashes['css/site.css']}.css")
    assert len({files.hashes[p] for p in files.hashes}) == len(files.hashes)
    assert site == (static_files.STATIC / "css" / "site.css").read_bytes()


def test_plain_urls_revalidate_by_etag(client: TestClient) -> None:
    # the lab modules import each other by plain relative URLs
    first = client.get("/static/js/lib/page.js")
    assert first.status_code == 200 and "max-age=0" in first.headers["cache-control"]
    again = client.get("/static/js/lib/page.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and not again.content
    hashed = client.get(static_files.url("js/lib/page.js"))
    assert hashed.headers["etag"] == first.headers["etag"]  # the content's, not a date's


def bundle_of(lab: str) -> dict[str, Any]:
    bundle: dict[str, Any] = BUNDLES["bundles"][BUNDLES["labs"].get(lab, BUNDLES["default"])]
    return bundle


def test_module_preloads_name_what_the_imports_ask_for(client: TestClient) -> None:
    """A lab's modules import each other by plain URLs, and Plotly's bundles their shared
    chunk: the page preloads exactly those (all at once, not one level of imports after
    another). Plain URLs revalidate; a chunk, named by its content's hash, is immutable."""
    for lab in LABS:
        preloads = module_preloads(client.get(f"/labs/{lab}").text)
        chunks = [f"/static/vendor/{c}" for c in BUNDLES["bundles"]["2d"]["imports"]]
        assert chunks and set(chunks) <= set(preloads), lab
        lib = {f"/static/js/lib/{p.name}" for p in (static_files.STATIC / "js/lib").glob("*.js")}
        own = {f"/static/js/labs/{lab}/{p.name}"  # a lab's own modules (beans' race, …)
               for p in (static_files.STATIC / f"js/labs/{lab}").glob("*.js")}  # fmt: skip
        assert "/static/js/lib/page.js" in preloads, lab
        assert set(preloads) - set(chunks) <= lib | own, lab
        for url in preloads:
            reply = client.get(url)
            assert reply.status_code == 200 and reply.headers["etag"], url
            immutable = "immutable" in reply.headers["cache-control"]
            assert immutable == (url in chunks), f"{url}: {reply.headers['cache-control']}"
    # every import of the lab's module, however deep (circles' own imports name neither);
    # not the class view, a teacher's only, which classroom.js imports when a room is presented
    preloads = module_preloads(client.get("/labs/circles").text)
    assert {"/static/js/lib/membership.js", "/static/js/lib/embed.js"} <= set(preloads)
    assert not {"/static/js/lib/classview.js", "/static/js/lib/tile_pics.js"} & set(preloads)


def test_each_lab_page_loads_its_bundle(client: TestClient) -> None:
    base = BUNDLES["bundles"][BUNDLES["base"]]["file"].removesuffix(".js")
    for lab in LABS:
        page = client.get(f"/labs/{lab}").text
        # the base bundle first, for every lab: the first charts do not wait for the 3-D traces
        assert f'<script id="plotly-js" type="module" src="/static/vendor/{base}.' in page, lab
        addon = bundle_of(lab)["file"].removesuffix(".js")
        has_addon = lab in ("beans", "digits")
        assert (f'data-addon="/static/vendor/{addon}.' in page) == has_addon, lab
        if has_addon:  # the traces a chart waits for
            base_traces = BUNDLES["bundles"]["2d"]["traces"]
            extra = [t for t in bundle_of(lab)["traces"] if t not in base_traces]
            assert f'data-addon-traces="{" ".join(extra)}"' in page, lab
    assert bundle_of("beans") != bundle_of("circles")  # the 3-D traces only where drawn
    assert bundle_of("beans")["base"] == bundle_of("digits")["base"] == BUNDLES["base"]
    assert "bar" in bundle_of("digits")["traces"] and "bar" not in bundle_of("beans")["traces"]


@pytest.mark.parametrize("encoding", ["br", "gzip"])
@pytest.mark.parametrize("lab", ["beans", "circles"])
def test_plotly_comes_precompressed_not_recompressed(
    client: TestClient, encoding: str, lab: str
) -> None:
    url = static_files.plotly_addon_url(lab) or static_files.plotly_url(lab)
    reply = client.get(url, headers={"Accept-Encoding": encoding})
    assert reply.headers["content-encoding"] == encoding
    assert reply.headers["vary"] == "Accept-Encoding"
    # the bytes on the wire are the twin made once, not a fresh per-request compression
    sent = int(reply.headers["content-length"])
    assert sent == len(twin_bytes(url, encoding)) and sent < 600_000
    assert reply.content == (VENDOR / bundle_of(lab)["file"]).read_bytes()  # httpx decoded it


def twin_bytes(url: str, encoding: str) -> bytes:
    """The precompressed file ServeStatic picks for the hashed ``url``."""
    plain = re.sub(r"\.[0-9a-f]{12}(\.\w+)$", r"\1", url.split("/static/")[1])
    suffix = {"br": ".br", "gzip": ".gz"}[encoding]
    return (static_files.prepared().root / f"{plain}{suffix}").read_bytes()


def test_no_encoding_asked_gets_the_plain_file(client: TestClient) -> None:
    reply = client.get(static_files.plotly_url("circles"), headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in reply.headers
    assert reply.content == (VENDOR / bundle_of("circles")["file"]).read_bytes()


def test_small_files_are_compressed_at_start_too(client: TestClient) -> None:
    reply = client.get(static_files.url("css/site.css"), headers={"Accept-Encoding": "gzip"})
    assert reply.headers["content-encoding"] == "gzip"
    assert int(reply.headers["content-length"]) == len(twin_bytes("/static/css/site.css", "gzip"))
    assert gzip.decompress(twin_bytes("/static/css/site.css", "gzip")) == reply.content


def test_static_files_answer_only_to_known_hosts() -> None:
    with TestClient(create_app(Settings(allowed_hosts="example.org"))) as c:
        assert c.get(static_files.url("css/site.css")).status_code == 400


def test_missing_static_file_is_a_404(client: TestClient) -> None:
    assert client.get("/static/js/labs/nope.js").status_code == 404


def test_vendored_bundles_match_their_build() -> None:
    """The committed bundles are what tools/plotly builds: version, traces, compressed twins."""
    package = json.loads((ROOT / "tools" / "plotly" / "package.json").read_text())
    version = package["devDependencies"]["plotly.js"]
    assert BUNDLES["version"] == version
    assert {k: v["traces"] for k, v in BUNDLES["bundles"].items()} == BUILD["bundles"]
    assert (BUNDLES["labs"], BUNDLES["default"]) == (BUILD["labs"], BUILD["default"])
    assert BUNDLES["base"] == BUILD["base"] and "base" not in BUNDLES["bundles"][BUILD["base"]]
    chunks = {c for bundle in BUNDLES["bundles"].values() for c in bundle["imports"]}
    files = {bundle["file"] for bundle in BUNDLES["bundles"].values()} | chunks
    assert {p.name for p in VENDOR.glob("plotly-*.js")} == files  # no stale bundle
    for name, bundle in BUNDLES["bundles"].items():
        assert bundle["file"] == f"plotly-{version}-{name}.min.js"
        header = (VENDOR / bundle["file"]).read_bytes()[:400].decode()
        assert f"traces: {', '.join(bundle['traces'])};" in header
        assert ("An add-on to the" in header) == ("base" in bundle)
    for file in files:
        code = (VENDOR / file).read_bytes()
        assert "tools/plotly/build.sh" in code[:400].decode()
        assert brotli.decompress((VENDOR / f"{file}.br").read_bytes()) == code
        assert gzip.decompress((VENDOR / f"{file}.gz").read_bytes()) == code


def lab_trace_types(source: str) -> set[str]:
    """Trace types a lab's script names: `type: "heatmap"`, plus scatter, Plotly's default."""
    named = set(re.findall(r"""\btype:\s*["'](\w+)["']""", source))
    return {"scatter"} | (named & PLOTLY_TRACES)


def scripts_of(lab: str) -> list[Path]:
    """The lab's module, its own modules (``labs/<lab>/``) and the shared lib modules."""
    js = static_files.STATIC / "js"
    own = sorted((js / "labs" / lab).glob("*.js"))
    return [js / "labs" / f"{lab}.js", *own, *sorted((js / "lib").glob("*.js"))]


@pytest.mark.parametrize("lab", LABS)
def test_every_trace_type_a_lab_uses_is_in_its_bundle(lab: str) -> None:
    used = set().union(*(lab_trace_types(p.read_text(encoding="utf-8")) for p in scripts_of(lab)))
    missing = used - set(bundle_of(lab)["traces"])
    assert not missing, (
        f"the {lab} lab draws {sorted(missing)}: add it to its bundle in "
        "tools/plotly/traces.json and rebuild with tools/plotly/build.sh"
    )


def test_every_lab_script_is_checked() -> None:
    labs = {p.stem for p in (static_files.STATIC / "js" / "labs").glob("*.js")}
    assert labs == set(LABS)


def test_trace_scan_can_fail() -> None:
    assert lab_trace_types('{ type: "surface", z }') - set(bundle_of("circles")["traces"]) == {
        "surface"
    }
    assert lab_trace_types('{ type: "log" }, { type: "line" }') == {"scatter"}


def test_the_compressed_copy_is_made_once_and_shared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    first = static_files.compressed_copy("v1", NAMES)
    assert first == tmp_path / "descent-static-v1"
    assert (
        gzip.decompress((first / "css" / "site.css.gz").read_bytes())
        == (static_files.STATIC / "css" / "site.css").read_bytes()
    )
    (first / "mark").write_text("kept")
    assert static_files.compressed_copy("v1", NAMES) == first  # the next process takes it as it is
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("descent-static-build-")]
    (first / "css" / "site.css").unlink()  # a temp cleaner took a file: not used any more
    assert static_files.compressed_copy("v1", NAMES) != first


def test_a_copy_others_could_write_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    planted = tmp_path / "descent-static-v2"
    (planted / "css").mkdir(parents=True)
    (planted / "css" / "site.css").write_text("body { display: none }")
    planted.chmod(0o777)
    private = static_files.compressed_copy("v2", NAMES)
    assert private != planted and private.parent == tmp_path
    assert (private / "css" / "site.css").read_bytes() == (
        static_files.STATIC / "css" / "site.css"
    ).read_bytes()


def test_a_temp_folder_that_cannot_be_made_serves_the_files_as_shipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_temp(*args: Any, **kwargs: Any) -> str:
        raise FileNotFoundError("No usable temporary directory found")

    monkeypatch.setattr(tempfile, "gettempdir", no_temp)
    assert static_files.compressed_copy("v4", NAMES) == static_files.STATIC


LEFT_OUT = BUILD["left_out"]["names"]
WORDS = "|".join(LEFT_OUT)
LEFT_OUT_RE = re.compile(rf"""\b({WORDS})\s*[:=](?!=)|["'.]({WORDS})\b""")


def names_left_out(source: str) -> set[str]:
    """Left-out Plotly features a script names: as a key (`sliders: [`), assigned
    (`layout.sliders = …`), or in a string, dotted or not (`"xaxis.rangeslider.visible"`):
    the bundles lack their code (tools/plotly/core.js, stackgl.mjs)."""
    return {name for pair in LEFT_OUT_RE.findall(source) for name in pair if name}


@pytest.mark.parametrize("lab", LABS)
def test_no_lab_uses_what_the_bundles_left_out(lab: str) -> None:
    used = set().union(*(names_left_out(p.read_text(encoding="utf-8")) for p in scripts_of(lab)))
    assert not used, (
        f"the {lab} lab uses {sorted(used)}, left out of the Plotly bundles: take it out of "
        "left_out in tools/plotly/traces.json and tools/plotly/core.js, and rebuild"
    )


def test_left_out_scan_can_fail() -> None:
    source = 'layout = { sliders: [] }; restyle({ "error_y.array": [1] }); surfaceaxis: 2'
    assert names_left_out(source) == {"sliders", "error_y", "surfaceaxis"}
    source = 'relayout(gd, { "xaxis.rangeslider.visible": true }); layout.images = []'
    assert names_left_out(source) == {"rangeslider", "images"}
    assert names_left_out("let n = images === 3; slidersOpen(); x.updatemenus_ = 1") == set()


def test_the_bundles_leave_it_out() -> None:
    """The stackgl code dropped is gone, and what was kept is there (drawn in the browser
    tests: beans' bowl is a surface with scatter3d paths)."""
    code = (VENDOR / bundle_of("beans")["file"]).read_text(encoding="utf-8")
    assert "gl_cone3d is not in Descent Playground's Plotly build" in code
    assert "gl_surface3d is not in" not in code and "gl_scatter3d is not in" not in code

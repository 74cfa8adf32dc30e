// The circles network diagram: a column of units per layer, linked by the strongest
// weights (orange positive, blue negative), and the inspector: a click on a unit asks
// the server for its activation over the plane, drawn beside the diagram.

import { rows, unpack } from "../../lib/arrays.js";
import { COLORS, Chart, baseLayout, num } from "../../lib/charts.js";
import { classNames } from "../../lib/classes.js";
import { PLANE } from "./plane.js";
import { $, S, charts, page, t } from "./state.js";

const SVG = "http://www.w3.org/2000/svg";
const FEATURE_LABEL = { x1: "x₁", x2: "x₂", "x1^2": "x₁²", "x2^2": "x₂²", x1x2: "x₁x₂",
  sin_x1: "sin x₁", sin_x2: "sin x₂" };
const MAX_EDGES = 150; // links drawn per layer: the strongest, so that 4,000 do not make a hairball

export function mountInspect() {
  charts.inspect = new Chart($("chart-inspect"), [
    { type: "heatmap", z: [[0.5]], zmin: 0, zmax: 1, colorscale: PLANE, showscale: false, zsmooth: "best",
      hoverinfo: "skip" },
  ], baseLayout({ margin: { l: 4, r: 4, t: 4, b: 4 },
    xaxis: { visible: false, fixedrange: true }, yaxis: { visible: false, fixedrange: true, scaleanchor: "x" } }),
  { displayModeBar: false, staticPlot: true });
}

export function onWeights(w) {
  S.weights = { W: w.W.map((a) => ({ shape: a.shape ?? [a.length, a[0]?.length ?? 0], v: unpack(a) })) };
  S.dirty.net = true;
  if (S.selected) page.ctx.send("inspect", S.selected);
}

function layout() {
  const svg = $("network");
  const W = svg.clientWidth || 600, H = svg.clientHeight || 360;
  const padL = 46, padR = 34, padT = 10, padB = 34;
  const L = S.sizes.length;
  const xs = S.sizes.map((_, l) => padL + (l * (W - padL - padR)) / Math.max(1, L - 1));
  const maxN = Math.max(...S.sizes);
  const r = Math.max(2.2, Math.min(8, ((H - padT - padB) / maxN) * 0.36));
  const pos = S.sizes.map((n, l) => Array.from({ length: n }, (_, i) =>
    [xs[l], padT + ((i + 0.5) * (H - padT - padB)) / n]));
  return { W, H, pos, r, xs };
}

export function buildNetwork() {
  const svg = $("network");
  if (!S.sizes.length) return;
  const { W, H, pos, r, xs } = layout();
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const mk = (tag, attrs) => {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    return e;
  };
  const edges = mk("g", { class: "edges" }), nodes = mk("g", { class: "nodes" }), labels = mk("g", {});
  S.edges = pos.slice(1).map((layer, l) => layer.map(([x2, y2]) => pos[l].map(([x1, y1]) => {
    const e = mk("line", { x1, y1, x2, y2, stroke: "#c9cdd4", "stroke-width": 0.5 });
    edges.append(e);
    return e;
  })));
  pos.forEach((layer, l) => layer.forEach(([x, y], i) => {
    const g = mk("g", { class: "node", "data-layer": l, "data-unit": i, tabindex: 0 });
    // a target as tall as the gap to the next neuron and wider than the dot: easy to hit
    const gap = (H - 44) / S.sizes[l];
    g.append(mk("rect", { x: x - 13, y: y - gap / 2, width: 26, height: gap, fill: "transparent" }));
    g.append(mk("circle", { cx: x, cy: y, r }));
    const title = mk("title", {});
    title.textContent = unitName(l, i);
    g.append(title);
    g.addEventListener("click", () => select(l, i));
    g.addEventListener("keydown", (ev) => { if (ev.key === "Enter") select(l, i); });
    nodes.append(g);
    if (l === 0) {
      const lab = mk("text", { x: x - r - 4, y: y + 4, "text-anchor": "end", class: "feat" });
      lab.textContent = FEATURE_LABEL[S.features[i]] ?? S.features[i];
      labels.append(lab);
    }
  }));
  const out = pos.at(-1)[0];
  const p = mk("text", { x: out[0] + r + 4, y: out[1] + 4, class: "feat" });
  p.textContent = "P";
  labels.append(p);
  const crowded = xs.length > 2 && xs[1] - xs[0] < 62;
  xs.forEach((x, l) => {
    const lab = mk("text", { x, y: H - 18, "text-anchor": "middle", class: "lbl" });
    const [name, size] = layerName(l, crowded);
    lab.textContent = name;
    const sub = mk("text", { x, y: H - 5, "text-anchor": "middle", class: "lbl" });
    sub.textContent = size;
    labels.append(lab, sub);
  });
  svg.replaceChildren(edges, nodes, labels);
  $("net-note").hidden = !S.sizes.slice(1).some((n, l) => n * S.sizes[l] > MAX_EDGES);
  markSelected();
  S.dirty.net = true;
}

function layerName(l, crowded) {
  const last = S.sizes.length - 1;
  if (l === 0) return [t("network.input"), ""];
  if (l === last) return [t("network.output"), ""];
  return [t(crowded ? "network.hidden_short" : "network.hidden", { k: l }), `(${S.sizes[l]})`];
}

function unitName(l, i) {
  const last = S.sizes.length - 1;
  if (l === 0) return t("inspect.input", { name: FEATURE_LABEL[S.features[i]] ?? S.features[i] });
  // k classes: output unit i is the softmax's P(class i), its heatmap that class's probability
  if (l === last) return S.k > 2 ? t("inspect.output_class", { name: classNames(t, S.names, S.k)[i] }) : t("inspect.output");
  return t("inspect.hidden", { k: l, i: i + 1 });
}

export function drawEdges() {
  if (!S.dirty.net || !S.weights || !S.edges) return;
  S.dirty.net = false;
  S.weights.W.forEach(({ shape: [din, dout], v }, l) => {
    const lines = S.edges[l];
    if (!lines || lines.length !== dout || lines[0]?.length !== din) return; // a stale snapshot
    let max = 1e-12;
    for (let k = 0; k < v.length; k++) if (Number.isFinite(v[k])) max = Math.max(max, Math.abs(v[k]));
    const floor = strongest(v, MAX_EDGES);
    for (let j = 0; j < dout; j++) for (let i = 0; i < din; i++) {
      const w = v[i * dout + j], m = Number.isFinite(w) ? Math.abs(w) / max : 1;
      const e = lines[j][i];
      e.setAttribute("visibility", Number.isFinite(w) && Math.abs(w) < floor ? "hidden" : "visible");
      e.setAttribute("stroke", w >= 0 ? COLORS.orange : COLORS.blue);
      // Squared, so the few large weights stand out of the thousands of small ones.
      e.setAttribute("stroke-width", (0.2 + 2.8 * m).toFixed(2));
      e.setAttribute("stroke-opacity", (0.06 + 0.94 * m * m).toFixed(3));
    }
  });
}

/** The size of the `k`-th largest |w|: weaker links are not drawn (0 when all are). */
function strongest(v, k) {
  if (v.length <= k) return 0;
  const sizes = Array.from(v, (w) => (Number.isFinite(w) ? Math.abs(w) : Infinity)).sort((a, b) => b - a);
  return sizes[k - 1];
}

function select(layer, unit) {
  S.selected = { layer, unit };
  markSelected();
  page.ctx.send("inspect", S.selected);
}

function markSelected() {
  document.querySelectorAll("#network .node").forEach((n) => n.classList.toggle("sel",
    !!S.selected && +n.dataset.layer === S.selected.layer && +n.dataset.unit === S.selected.unit));
}

export function onInspect(msg) {
  if (!S.selected || msg.layer !== S.selected.layer || msg.unit !== S.selected.unit) return;
  S.inspect = msg;
  S.dirty.inspect = true;
}

export function drawInspect() {
  if (!S.dirty.inspect) return;
  S.dirty.inspect = false;
  const msg = S.inspect;
  if (!msg) {
    $("inspect-title").textContent = t("inspect.none");
    $("inspect-range").textContent = "";
    $("inspect-hint").classList.remove("hidden");
    charts.inspect.set(0, { z: [[0.5]] });
    charts.inspect.draw();
    return;
  }
  $("inspect-title").textContent = unitName(msg.layer, msg.unit);
  const [lo, hi] = msg.range;
  $("inspect-range").textContent = lo === hi ? t("inspect.constant", { v: num(lo, 2) })
    : t("inspect.range", { lo: num(lo, 2), hi: num(hi, 2) });
  $("inspect-hint").classList.add("hidden");
  charts.inspect.set(0, { z: rows(msg.z, 255) });
  charts.inspect.draw();
}

/** New params: a new diagram when the layers or the input features changed. */
export function paramsChanged(p) {
  const sizes = [p.features.length, ...p.hidden, S.k > 2 ? S.k : 1];
  const same = sizes.length === S.sizes.length && sizes.every((n, i) => n === S.sizes[i]) &&
    p.features.join() === S.features.join();
  if (same) return;
  S.sizes = sizes;
  S.features = [...p.features];
  S.weights = null;
  if (S.selected && (S.selected.layer >= sizes.length || S.selected.unit >= sizes[S.selected.layer])) {
    S.selected = null;
    S.inspect = null;
    S.dirty.inspect = true;
  }
  buildNetwork();
}

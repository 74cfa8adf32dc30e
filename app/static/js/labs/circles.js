// Two circles: the decision boundary forms over the plane while the curves,
// the network's weights and each layer's gradient size move with it.
// Only drawing happens here; the server does the math.

import { startLab } from "../lib/page.js";
import { list, rows, unpack } from "../lib/arrays.js";
import { COLORS, Chart, Series, baseLayout, num } from "../lib/charts.js";
import { CLASS_COLOR, MAX_CLASSES, SYMBOL, classButtons, classNames, classScale, classValues,
  drawLegend } from "../lib/classes.js";
import { mountBrush } from "../lib/brush.js";
import { mountUpload } from "../lib/upload.js";
import { PIN_STYLES, copySeries, letterAt, pinCurve, pinLegend, setPinTraces } from "../lib/pin_traces.js";

// Blue (class 0) ↔ white ↔ orange (class 1), lightened so the points stay visible on it.
const PLANE = [[0, "#6aaad6"], [0.5, "#f8f8f8"], [1, "#f0c060"]];
const LAYER_COLORS = [COLORS.blue, COLORS.orange, COLORS.green, COLORS.vermillion, COLORS.purple,
  COLORS.sky, COLORS.black];
const HOVER = "x₁=%{x:.2f}, x₂=%{y:.2f}<br>P(1)=%{z:.2f}<extra></extra>";
const TEST = 1 + MAX_CLASSES, ADDED = 1 + 2 * MAX_CLASSES; // plane traces: the train points first
const SVG = "http://www.w3.org/2000/svg";
const FEATURE_LABEL = { x1: "x₁", x2: "x₂", "x1^2": "x₁²", "x2^2": "x₂²", x1x2: "x₁x₂",
  sin_x1: "sin x₁", sin_x2: "sin x₂" };

let ctx, t;
const charts = {};
const MAX_EDGES = 150; // links drawn per layer: the strongest, so that 4,000 do not make a hairball
const S = {
  data: null, frame: null, boundary: null, askedAt: null, weights: null, act: null, inspect: null,
  sizes: [], features: [], selected: null, cls: 0, showTest: false, discretize: false,
  k: 2, names: null, upload: null, // classes, the uploaded labels (null: generated data)
  loss: { train: new Series(), test: new Series() }, acc: { train: new Series(), test: new Series() },
  accMin: 1, accLo: 0.4, grads: [], dirty: { plane: false, data: false, net: false, act: false, inspect: false, grads: false },
};
const $ = (id) => document.getElementById(id);

function axis(titleKey, extra = {}) {
  return { title: { text: t(titleKey), standoff: 4 }, zeroline: false, gridcolor: "#eceef2", ...extra };
}

const LEGEND = { orientation: "h", y: 1.0, yanchor: "bottom", x: 0, font: { size: 11 } };
const SMALL = { margin: { l: 46, r: 8, t: 22, b: 36 }, showlegend: true, legend: LEGEND };

function points(symbol, color, open = false) {
  return { x: [], y: [], mode: "markers", hoverinfo: "skip",
    marker: { symbol: open ? `${symbol}-open` : symbol, color, size: open ? 8 : 7,
      line: { color: open ? color : "#ffffff", width: open ? 1.8 : 0.8 } } };
}

function mountCharts() {
  const plane = { range: [-6, 6], fixedrange: true, zeroline: false, showgrid: false, dtick: 2,
    constrain: "domain" }; // a square plane that shrinks to fit, never a wider range
  charts.plane = new Chart($("chart-boundary"), [
    { type: "heatmap", z: [[0.5]], x0: 0, dx: 1, y0: 0, dy: 1, zmin: 0, zmax: 1, colorscale: PLANE,
      showscale: false, zsmooth: "best",
      hovertemplate: HOVER },
    ...SYMBOL.map((s, c) => points(s, CLASS_COLOR[c])),
    ...SYMBOL.map((s, c) => points(s, CLASS_COLOR[c], true)),
    { x: [], y: [], mode: "markers", hoverinfo: "skip",
      marker: { symbol: [], color: [], size: 11, line: { color: COLORS.black, width: 2 } } },
  ], baseLayout({ margin: { l: 40, r: 8, t: 4, b: 40 }, dragmode: false,
    xaxis: { ...plane, title: { text: "x₁", standoff: 14 } },
    yaxis: { ...plane, title: { text: "x₂", standoff: 2 }, scaleanchor: "x" } }));
  $("chart-boundary").on("plotly_click", (ev) => addPoint(ev.event));

  charts.loss = new Chart($("chart-loss"), [
    { x: [], y: [], mode: "lines", name: t("legend.train"), line: { color: COLORS.blue, width: 2 } },
    { x: [], y: [], mode: "lines", name: t("legend.test"), line: { color: COLORS.vermillion, width: 2, dash: "dot" } },
  ], baseLayout({ ...SMALL, xaxis: axis("axis.steps", { rangemode: "tozero" }), yaxis: axis("axis.loss", { rangemode: "tozero" }) }));
  charts.acc = new Chart($("chart-acc"), [
    { x: [], y: [], mode: "lines", name: t("legend.train"), line: { color: COLORS.blue, width: 2 } },
    { x: [], y: [], mode: "lines", name: t("legend.test"), line: { color: COLORS.vermillion, width: 2, dash: "dot" } },
  ], baseLayout({ ...SMALL, xaxis: axis("axis.steps", { rangemode: "tozero" }), yaxis: axis("axis.accuracy", { tickformat: ".0%", range: [0.38, 1.02] }) }));
  // a narrow column of W₁ … W₉ beside the plot, and a tick every few decades (see drawCurves)
  charts.grads = new Chart($("chart-grads"), [],
    baseLayout({ ...SMALL, margin: { ...SMALL.margin, t: 8 },
      legend: { orientation: "v", x: 1.01, xanchor: "left", y: 1, yanchor: "top", font: { size: 10 }, itemwidth: 30, tracegroupgap: 0 },
      xaxis: axis("axis.steps", { rangemode: "tozero" }), yaxis: axis("axis.grad", { type: "log", exponentformat: "power", dtick: 1 }) }));
  charts.act = new Chart($("chart-act"), [
    { x: [], y: [], mode: "lines", name: "f(z)", line: { color: COLORS.blue, width: 2.5 } },
    { x: [], y: [], mode: "lines", name: "f′(z)", line: { color: COLORS.vermillion, width: 2, dash: "dash" } },
  ], baseLayout({ ...SMALL, xaxis: axis("axis.z", { zeroline: true, zerolinecolor: "#c9cdd4" }),
    yaxis: { zeroline: true, zerolinecolor: "#c9cdd4", gridcolor: "#eceef2" } }));
  charts.inspect = new Chart($("chart-inspect"), [
    { type: "heatmap", z: [[0.5]], zmin: 0, zmax: 1, colorscale: PLANE, showscale: false, zsmooth: "best",
      hoverinfo: "skip" },
  ], baseLayout({ margin: { l: 4, r: 4, t: 4, b: 4 },
    xaxis: { visible: false, fixedrange: true }, yaxis: { visible: false, fixedrange: true, scaleanchor: "x" } }),
  { displayModeBar: false, staticPlot: true });
}

// -- the plane -----------------------------------------------------------------

function addPoint(e) {
  const area = $("chart-boundary").querySelector(".nsewdrag")?.getBoundingClientRect();
  if (!e || !area || S.brush) return; // with the brush, a click is a stroke of one point
  const fx = (e.clientX - area.left) / area.width, fy = (e.clientY - area.top) / area.height;
  if (fx < 0 || fx > 1 || fy < 0 || fy > 1) return;
  const round = (v) => Math.round(Math.max(-6, Math.min(6, v)) * 100) / 100;
  ctx.send("add_point", { x1: round(-6 + 12 * fx), x2: round(6 - 12 * fy), label: S.cls });
}

function onData(msg) {
  // decode each array once; the last `added` training points came from clicks
  const k2 = msg.classes?.length ?? 2;
  const byClass = (xy, y) => Array.from({ length: k2 }, (_, c) => {
    const keep = xy.filter((_, i) => y[i] === c);
    return { x: keep.map((p) => p[0]), y: keep.map((p) => p[1]) };
  });
  const trainX = rows(msg.train.x), trainY = list(msg.train.y), k = msg.added ?? 0, n = trainY.length;
  S.data = { train: byClass(trainX.slice(0, n - k), trainY.slice(0, n - k)),
    test: byClass(rows(msg.test.x), list(msg.test.y)) };
  const xy = trainX.slice(n - k), y = trainY.slice(n - k);
  S.data.added = { x: xy.map((p) => p[0]), y: xy.map((p) => p[1]),
    symbol: y.map((c) => SYMBOL[c]), color: y.map((c) => CLASS_COLOR[c]) };
  $("added").textContent = k;
  $("btn-clear").disabled = k === 0;
  S.dirty.data = true;
  S.upload?.onData(msg);
  const names = msg.upload ? msg.classes : null;
  if (k2 !== S.k || String(names) !== String(S.names)) onClasses(k2, names);
}

/** Another number of classes, or other names: the picker, the legend and the output layer. */
function onClasses(k, names) {
  S.k = k;
  S.names = names;
  if (S.cls >= k) S.cls = 0;
  S.perClass = null;
  relabelClasses();
  S.sizes = []; // the output layer has k units (one with two classes)
  paramsChanged(ctx.params());
  S.dirty.plane = true;
}

function relabelClasses() {
  const words = S.k === 2 && !S.names; // two generated classes: the page's own "class 0", "class 1"
  const names = classNames(t, S.names, S.k);
  classButtons($("btn-clear").parentElement, names.map((n) => (words ? null : n)), t, S.cls);
  drawLegend($("class-legend"), names, S.perClass, !words);
}

function drawPlane() {
  if (S.dirty.data && S.data) {
    const none = { x: [], y: [] };
    for (let c = 0; c < MAX_CLASSES; c++) {
      charts.plane.set(1 + c, S.data.train[c] ?? none);
      charts.plane.set(TEST + c, { ...(S.data.test[c] ?? none), visible: S.showTest });
    }
    const a = S.data.added;
    charts.plane.set(ADDED, { x: a.x, y: a.y, "marker.symbol": a.symbol, "marker.color": a.color });
  }
  if (S.dirty.plane && S.boundary) {
    const [xmin, xmax, ymin, ymax] = S.boundary.extent;
    let z = rows(S.boundary.z, 255);
    const multi = S.boundary.top !== undefined;
    // k classes: the predicted class's colour, pale where unsure (discretized: the class only)
    if (multi) z = classValues(rows(S.boundary.top), S.discretize ? z.map((r) => r.map(() => 255)) : rows(S.boundary.z));
    else if (S.discretize) z = z.map((r) => r.map((v) => (v >= 0.5 ? 1 : 0)));
    const res = z.length;
    const colors = multi ? classScale(S.boundary.classes) : { colorscale: PLANE, zmin: 0, zmax: 1 };
    charts.plane.set(0, { z, x0: xmin + (xmax - xmin) / res / 2, dx: (xmax - xmin) / res,
      y0: ymin + (ymax - ymin) / res / 2, dy: (ymax - ymin) / res,
      zsmooth: S.discretize || multi ? false : "fast", ...colors,
      hovertemplate: multi ? "x₁=%{x:.2f}, x₂=%{y:.2f}<extra></extra>" : HOVER });
  }
  S.dirty.plane = S.dirty.data = false;
  charts.plane.draw();
}

// -- frames and curves -----------------------------------------------------------

// The server sends the boundary only when it has moved visibly (and on every frame with
// weights); a frame without one leaves the last on the plane. Its `step` tells how old it is.
function onBoundary(b) {
  // an older one: a follower's catch-up replays the newest frame with weights after the newest
  // `boundary` reply, which may be newer (a new run starts the count again: see reset)
  if (S.boundary && b.step < S.boundary.step) return;
  const same = S.boundary && S.boundary.step === b.step && S.boundary.z?.b64 !== undefined &&
    S.boundary.z.b64 === b.z?.b64; // the same image again (it rides on two frames): no redraw
  S.boundary = b;
  S.askedAt = null;
  if (!same) S.dirty.plane = true;
}

// Paused, the plane must show the step on the counter: ask for the boundary if it is older.
function boundaryIfStale() {
  if (ctx.state.running || !S.frame || !S.boundary || S.boundary.step === S.frame.step) return;
  if (S.askedAt === S.frame.step) return; // asked already: the reply is on its way
  S.askedAt = S.frame.step;
  ctx.send("boundary");
}

function onFrame(f) {
  S.frame = f;
  if (f.boundary) onBoundary(f.boundary);
  boundaryIfStale();
  if (f.loss.train != null) S.loss.train.push(f.step, f.loss.train);
  if (f.loss.test != null) S.loss.test.push(f.step, f.loss.test);
  const acc = f.metrics?.accuracy ?? {};
  if (acc.train != null) S.acc.train.push(f.step, acc.train);
  if (acc.test != null) S.acc.test.push(f.step, acc.test);
  S.accMin = Math.min(S.accMin, acc.train ?? 1, acc.test ?? 1);
  const pct = (v) => (v == null ? "—" : `${(100 * v).toFixed(1)} %`);
  $("acc-test").textContent = pct(acc.test);
  $("acc-train").textContent = pct(acc.train);
  const perClass = f.metrics?.class_accuracy?.test ?? null;
  if (String(perClass) !== String(S.perClass)) {
    S.perClass = perClass;
    drawLegend($("class-legend"), classNames(t, S.names, S.k), perClass, S.k > 2 || !!S.names);
  }
  if (f.step > 0 && f.grad_norms) {
    if (S.grads.length !== f.grad_norms.length) resetGrads(f.grad_norms.length);
    f.grad_norms.forEach((g, i) => { if (g != null && g > 0) S.grads[i].push(f.step, g); });
    S.dirty.grads = true;
  }
  if (f.weights) onWeights(f.weights);
  else if (!ctx.state.running) ctx.send("weights"); // a step while paused: keep the diagram exact
}

function resetGrads(n) {
  S.grads = Array.from({ length: n }, () => new Series());
  charts.grads.react(S.grads.map((_, i) => ({ x: [], y: [], mode: "lines", name: gradName(i),
    line: { color: LAYER_COLORS[i % LAYER_COLORS.length], width: 1.8 } })));
}

function gradName(i) {
  return `W${toSub(i + 1)}`;
}

function toSub(n) {
  return String(n).replace(/\d/g, (d) => "₀₁₂₃₄₅₆₇₈₉"[d]);
}

function reset() {
  S.askedAt = null;
  if (S.boundary) S.boundary = { ...S.boundary, step: -1 }; // drawn until the new run's arrives
  for (const g of [S.loss, S.acc]) { g.train.clear(); g.test.clear(); }
  S.accMin = 1;
  S.grads.forEach((s) => s.clear());
  S.dirty.grads = true;
}

function drawCurves() {
  for (const [name, g] of [["loss", S.loss], ["acc", S.acc]]) {
    charts[name].set(0, { x: g.train.x, y: g.train.y });
    charts[name].set(1, { x: g.test.x, y: g.test.y });
    charts[name].draw();
  }
  // Accuracy from a round tenth up to 100 %: a run stuck at chance reads as flat, not noisy.
  const lo = Math.floor(Math.min(0.5, S.accMin) * 10) / 10;
  if (lo !== S.accLo) {
    S.accLo = lo;
    charts.acc.relayout({ "yaxis.range": [lo - 0.02, 1.02] });
  }
  if (S.dirty.grads) {
    S.grads.forEach((s, i) => charts.grads.set(i, { x: s.x, y: s.y }));
    charts.grads.draw();
    S.dirty.grads = false;
    gradTicks();
  }
}

/** At most about five labels on the log axis, however many decades the norms span. */
function gradTicks() {
  const ys = S.grads.flatMap((s) => s.y).filter((v) => v > 0 && Number.isFinite(v));
  if (!ys.length) return;
  const span = Math.log10(Math.max(...ys)) - Math.log10(Math.min(...ys));
  const dtick = Math.max(1, Math.ceil(span / 4));
  if (dtick !== S.gradTick) {
    S.gradTick = dtick;
    charts.grads.relayout({ "yaxis.dtick": dtick });
  }
}

// Plotly redraws dominate the page's CPU on a laptop without a GPU: the plane at
// ~15 per second still animates smoothly, the curves at ~4 per second are plenty.
// A skipped redraw is made up a little later, so the last frame always shows.
const THROTTLE = { plane: 66, curves: 250 };
const lastAt = {}, timers = {};

function throttled(name, fn) {
  const wait = (lastAt[name] ?? -1e9) + THROTTLE[name] - performance.now();
  if (wait <= 0) {
    lastAt[name] = performance.now();
    fn();
  } else if (!timers[name]) {
    timers[name] = setTimeout(() => { timers[name] = null; ctx.markDirty(); }, wait);
  }
}

// -- the activation ----------------------------------------------------------------

function onActivation(msg) {
  S.act = msg;
  S.dirty.act = true;
}

function drawActivation() {
  if (!S.dirty.act || !S.act) return;
  const z = list(S.act.z);
  charts.act.set(0, { x: z, y: list(S.act.f) });
  charts.act.set(1, { x: z, y: list(S.act.df) });
  charts.act.draw();
  actCaption();
  S.dirty.act = false;
}

function actCaption() {
  const span = $("chart-act").closest("figure").querySelector("figcaption span");
  const name = S.act?.name ?? ctx.params().activation;
  span.textContent = `${t("panel.activation")}: ${t(`param.activation.${name}`)}`;
}

// -- the network diagram ---------------------------------------------------------------

function onWeights(w) {
  S.weights = { W: w.W.map((a) => ({ shape: a.shape ?? [a.length, a[0]?.length ?? 0], v: unpack(a) })) };
  S.dirty.net = true;
  if (S.selected) ctx.send("inspect", S.selected);
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

function buildNetwork() {
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

function drawEdges() {
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
  ctx.send("inspect", S.selected);
}

function markSelected() {
  document.querySelectorAll("#network .node").forEach((n) => n.classList.toggle("sel",
    !!S.selected && +n.dataset.layer === S.selected.layer && +n.dataset.unit === S.selected.unit));
}

function onInspect(msg) {
  if (!S.selected || msg.layer !== S.selected.layer || msg.unit !== S.selected.unit) return;
  S.inspect = msg;
  S.dirty.inspect = true;
}

function drawInspect() {
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

// -- params, labels, toggles -------------------------------------------------------

function paramsChanged(p) {
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

function relabel() {
  const titles = { loss: ["axis.steps", "axis.loss"], acc: ["axis.steps", "axis.accuracy"],
    grads: ["axis.steps", "axis.grad"], act: ["axis.z", null] };
  for (const [name, [x, y]] of Object.entries(titles)) {
    charts[name].relayout({ "xaxis.title.text": t(x), ...(y ? { "yaxis.title.text": t(y) } : {}) });
  }
  for (const name of ["loss", "acc"]) Plotly.restyle(charts[name].el, { name: [t("legend.train"), t("legend.test")] }, [0, 1]);
  buildNetwork();
  actCaption();
  relabelClasses();
  S.dirty.inspect = true;
}

function mountToggles() {
  const q = new URLSearchParams(location.search);
  const bind = (id, key, prop, onChange) => {
    const box = $(id);
    S[prop] = q.get(key) === "1";
    box.checked = S[prop];
    box.addEventListener("change", () => {
      S[prop] = box.checked;
      onChange();
      ctx.writeUrl();
      ctx.markDirty();
    });
  };
  bind("show-test", "test", "showTest", () => { S.dirty.data = true; });
  bind("discretize", "disc", "discretize", () => { S.dirty.plane = true; });
  // one listener for the picker: its buttons come and go with the number of classes
  $("btn-clear").parentElement.addEventListener("click", (ev) => {
    const b = ev.target.closest(".cls[data-class]");
    if (!b) return;
    S.cls = Number(b.dataset.class);
    document.querySelectorAll(".tools .cls[data-class]").forEach((o) => {
      o.classList.toggle("on", o === b);
      o.setAttribute("aria-pressed", String(o === b));
    });
  });
  $("btn-clear").addEventListener("click", () => ctx.send("clear_points"));
  mountBrush($("chart-boundary"), $("brush"), () => S.cls, (points) => ctx.send("add_points", { points }),
    (on) => { S.brush = on; });
}

startLab({
  pins: { snapshot: pinSnapshot, layers: pinLayers },
  mount(c) {
    ctx = c;
    t = c.i18n.t;
    mountToggles();
    mountCharts();
    S.upload = mountUpload(c, "circles");
    // a rebuilt diagram starts grey: draw its weights again even while paused
    new ResizeObserver(() => { buildNetwork(); ctx.markDirty(); }).observe($("network"));
    // pausing may leave a boundary a frame or two old on the plane: the button's state says when
    new MutationObserver(boundaryIfStale).observe($("btn-play"),
      { attributes: true, attributeFilter: ["aria-pressed"] });
  },
  on: { data: onData, frame: onFrame, weights: onWeights, inspect: onInspect, activation: onActivation,
    boundary: onBoundary, points: () => {}, upload: (m) => S.upload.on.upload(m) },
  onError: (msg) => S.upload?.onError(msg),
  paramsChanged,
  reset,
  // a lesson is its own experiment: points a learner added to another do not carry over
  // (new data drops added points too)
  beforeLesson: (send) => {
    if (!S.upload?.beforeLesson(send) && S.data?.added?.x.length) send("clear_points");
  },
  draw() {
    throttled("plane", drawPlane);
    throttled("curves", drawCurves);
    drawEdges();
    drawActivation();
    drawInspect();
  },
  relabel,
  urlExtras: () => ({ test: S.showTest ? 1 : null, disc: S.discretize ? 1 : null }),
});

// -- pins (lib/pins.js): runs kept from this page, drawn under the live one -------------

function pinSnapshot() {
  if (!S.loss.train.x.length) return null;
  const b = S.boundary;
  return { loss: { train: copySeries(S.loss.train), test: copySeries(S.loss.test) },
    acc: { train: copySeries(S.acc.train), test: copySeries(S.acc.test) },
    boundary: b ? { extent: [...b.extent], z: rows(b.z, 255) } : null };
}

function pinLayers(pins) {
  for (const name of ["loss", "acc"]) {
    setPinTraces(charts[name], pins.flatMap((p) => [
      ...pinCurve(p, p.data[name].train.x, p.data[name].train.y, { color: COLORS.blue, hover: t("legend.train") }),
      ...pinCurve(p, p.data[name].test.x, p.data[name].test.y,
        { color: COLORS.vermillion, legend: false, hover: t("legend.test") }),
    ]));
    pinLegend(charts[name], pins);
  }
  setPinTraces(charts.plane, pins.flatMap(pinBoundary));
}

/** A pinned boundary: the line P(1) = ½ of its network, over the live run's colours. */
function pinBoundary(p) {
  const b = p.data.boundary;
  if (!b) return [];
  const [xmin, xmax, ymin, ymax] = b.extent, res = b.z.length;
  const at = (lo, hi, i) => lo + ((hi - lo) * (i + 0.5)) / res;
  const x = b.z[0].map((_, j) => at(xmin, xmax, j)), y = b.z.map((_, i) => at(ymin, ymax, i));
  const line = { type: "contour", x, y, z: b.z, autocontour: false, showscale: false, hoverinfo: "skip",
    contours: { start: 0.5, end: 0.5, size: 1, coloring: "none" }, name: p.label, showlegend: false,
    line: { color: COLORS.black, width: 2.5, dash: PIN_STYLES[p.letter].dash, smoothing: 0.8 } };
  // its letter where the line crosses a row: each pin's at its own height, so letters do not collide
  const target = res * (0.8 - 0.22 * "ABC".indexOf(p.letter));
  const rowsOrder = y.map((_, i) => i).sort((i, k) => Math.abs(i - target) - Math.abs(k - target));
  for (const i of rowsOrder) {
    const j = b.z[i].findIndex((v, k) => k > 0 && (v >= 0.5) !== (b.z[i][k - 1] >= 0.5));
    if (j > 0) return [line, { ...letterAt(p, x[j], y[i], COLORS.black), textfont: { size: 14, color: COLORS.black },
      zorder: 1 }]; // over the colours, like its line
  }
  return [line];
}

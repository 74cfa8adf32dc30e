// Digits: training and test curves, a gallery of test digits with the current
// predictions, the weights as images, the confusion matrix — and a pad where
// the learner draws a digit for the current model to classify. Only drawing
// happens here; the server runs the model (the predict op takes 8×8 grey levels).
// The CNN's own views (filters, feature maps, parameter counts) are in digits/cnn.js.

import { startLab } from "../lib/page.js";
import { rows, shapeOf, unpack } from "../lib/arrays.js";
import { COLORS, Chart, Series, baseLayout } from "../lib/charts.js";
import { drawCounts, drawFilters, drawMaps, showCnn } from "./digits/cnn.js";
import { networkApplies } from "./digits/controls.js";
import { SIDE, canvas8, diverging, inkLevels, paint, paintGrey, pen, trace } from "./digits/ink.js";
import { copySeries, pinCurve, pinLegend, setPinTraces } from "../lib/pin_traces.js";

const PREDICT_MS = 90; // at most ~11 predict ops a second while drawing
const REPREDICT_MS = 300; // while training, the drawn digit is re-classified this often
const DIGITS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const CONFUSION = [[0, "#ffffff"], [0.03, "#e4eef8"], [0.2, "#a6cbe3"], [0.55, "#4a90c4"], [1, "#0b4f8a"]];

let ctx, t;
const S = {
  test: null, // {x: Uint8Array (n·64), y}
  galleryIdx: [],
  pred: null, // predicted labels of the gallery digits
  weights: null, // {flat: Float32Array (k·64), k}
  confusion: null,
  frame: null,
  curves: { accTrain: new Series(), accTest: new Series(), lossTrain: new Series(), lossTest: new Series() },
  strokes: [], // polylines in pad pixels
  drawing: null, // the stroke the pointer is drawing now
  fixed: null, // or the 64 grey levels of a test digit the learner clicked
  log: false, // the loss on a log axis
  pixels: null, // the 64 grey levels last sent to predict
  prediction: null,
  lastPredict: 0,
  predictTimer: null,
  filters: null, // the CNN's: one packed (k, c, 9) per conv layer
  counts: null, // the CNN's and the MLP's parameter counts
  maps: null, // the CNN's feature maps of the drawn digit, with its prediction
  dirty: { gallery: false, weights: false, filters: false, counts: false, maps: true },
};
const charts = {};
const $ = (id) => document.getElementById(id);

function axis(titleKey, extra = {}) {
  return { title: { text: t(titleKey), standoff: 4 }, zeroline: false, gridcolor: "#eceef2", ...extra };
}

// -- charts ----------------------------------------------------------------

function curveTraces(fmt) {
  const hover = (k) => `${t(k)}<br>${t("stat.step")} %{x}: %{y:${fmt}}<extra></extra>`;
  return [
    { x: [], y: [], mode: "lines", name: t("legend.train"), line: { color: COLORS.blue, width: 2 },
      hovertemplate: hover("legend.train") },
    { x: [], y: [], mode: "lines", name: t("legend.test"), line: { color: COLORS.vermillion, width: 2, dash: "dash" },
      hovertemplate: hover("legend.test") },
  ];
}

function mountCharts() {
  const legend = { orientation: "h", y: 1.0, yanchor: "bottom", x: 0, font: { size: 11 } };
  const curve = (yKey, extra) => baseLayout({ showlegend: true, legend, margin: { l: 50, r: 10, t: 22, b: 40 },
    xaxis: axis("axis.steps", { rangemode: "tozero" }), yaxis: axis(yKey, extra) });
  charts.acc = new Chart($("chart-acc"), curveTraces(".1f"), curve("axis.accuracy", { ticksuffix: "", range: [0, 101] }));
  charts.loss = new Chart($("chart-loss"), curveTraces(".4f"), curve("axis.loss", { rangemode: "tozero" }));
  charts.probs = new Chart($("chart-probs"), [
    { type: "bar", x: DIGITS, y: DIGITS.map(() => 0), marker: { color: COLORS.blue },
      hovertemplate: "%{x}: %{y:.1f} %<extra></extra>" },
  ], baseLayout({ margin: { l: 44, r: 6, t: 6, b: 36 }, bargap: 0.18,
    xaxis: axis("axis.digit", { tickmode: "linear", dtick: 1, fixedrange: true }),
    yaxis: axis("axis.prob", { range: [0, 100], fixedrange: true }) }));
  charts.confusion = new Chart($("chart-confusion"), [
    { type: "heatmap", x: DIGITS, y: DIGITS, z: [], text: [], texttemplate: "%{text}", textfont: { size: 10 },
      colorscale: CONFUSION, zmin: 0, showscale: false, xgap: 1, ygap: 1, hovertemplate: confusionHover() },
  ], baseLayout({ margin: { l: 44, r: 6, t: 6, b: 38 }, plot_bgcolor: "#eceef2",
    xaxis: axis("axis.predicted", { tickmode: "linear", dtick: 1, showgrid: false, range: [-0.5, 9.5],
      constrain: "domain", fixedrange: true }),
    yaxis: axis("axis.true", { tickmode: "linear", dtick: 1, showgrid: false, range: [9.5, -0.5],
      scaleanchor: "x", constrain: "domain", fixedrange: true }) }));
}

function confusionHover() {
  return `${t("axis.true")} %{y} → ${t("axis.predicted")} %{x}: %{z}<extra></extra>`;
}

// -- data and frames -------------------------------------------------------

function onData(msg) {
  S.test = { x: unpack(msg.test.x), y: Array.from(unpack(msg.test.y)) };
  S.galleryIdx = Array.from(msg.gallery ?? []);
  const root = $("gallery");
  root.replaceChildren();
  for (const i of S.galleryIdx) {
    const cell = document.createElement("div");
    cell.className = "digit";
    const c = canvas8();
    paintGrey(c, S.test.x, i * SIDE * SIDE);
    const lbl = document.createElement("div");
    lbl.className = "lbl";
    const truth = document.createElement("div");
    truth.className = "truth";
    cell.append(c, lbl, truth);
    cell.addEventListener("click", () => pick(cell, i));
    root.append(cell);
  }
  S.dirty.gallery = true;
}

function onFrame(f) {
  S.frame = f;
  const acc = f.metrics?.accuracy ?? {};
  const pct = (v) => (v == null ? null : 100 * v);
  if (acc.train != null) S.curves.accTrain.push(f.step, pct(acc.train));
  if (acc.test != null) S.curves.accTest.push(f.step, pct(acc.test));
  if (f.loss.train != null) S.curves.lossTrain.push(f.step, f.loss.train);
  if (f.loss.test != null) S.curves.lossTest.push(f.step, f.loss.test);
  if (f.gallery) {
    S.pred = f.gallery;
    S.dirty.gallery = true;
  }
  if (f.weights) {
    S.weights = { flat: unpack(f.weights), k: shapeOf(f.weights)[0] };
    S.dirty.weights = true;
  }
  if (f.filters) {
    S.filters = f.filters;
    S.dirty.filters = true;
  }
  if (f.counts) {
    S.counts = f.counts;
    S.dirty.counts = true;
  }
  if (f.confusion) S.confusion = rows(f.confusion);
  if (S.pixels && !S.drawing && performance.now() - S.lastPredict > REPREDICT_MS) predictNow();
}

function reset() {
  for (const s of Object.values(S.curves)) s.clear();
}

// -- drawing ----------------------------------------------------------------

function draw() {
  const c = S.curves;
  charts.acc.set(0, { x: c.accTrain.x, y: c.accTrain.y });
  charts.acc.set(1, { x: c.accTest.x, y: c.accTest.y });
  charts.loss.set(0, { x: c.lossTrain.x, y: c.lossTrain.y });
  charts.loss.set(1, { x: c.lossTest.x, y: c.lossTest.y });
  if (S.confusion) {
    const z = S.confusion;
    charts.confusion.set(0, { z, text: z.map((r) => r.map((v) => (v ? String(Math.round(v)) : ""))) });
    S.confusion = null;
  }
  if (S.frame) drawStats(S.frame);
  if (S.dirty.gallery) drawGallery();
  if (S.dirty.weights) drawWeights();
  drawCnn();
  for (const chart of Object.values(charts)) chart.draw();
}

function drawStats(f) {
  const acc = f.metrics?.accuracy ?? {};
  const pct = (v) => (v == null ? "—" : `${(100 * v).toFixed(1)} %`);
  $("acc-test").textContent = pct(acc.test);
  $("acc-train").textContent = pct(acc.train);
  $("rate").textContent = f.lr == null ? "—" : Number(f.lr).toPrecision(3);
}

function drawCnn() {
  const d = S.dirty;
  if (d.filters && S.filters) drawFilters(S.filters, t);
  if (d.counts && S.counts) drawCounts(S.counts, t);
  if (d.maps) drawMaps(S.maps, S.pixels, t);
  d.filters = d.counts = d.maps = false;
}

function drawGallery() {
  S.dirty.gallery = false;
  const cells = $("gallery").children;
  if (!S.test || cells.length !== S.galleryIdx.length) return;
  let wrong = 0;
  S.galleryIdx.forEach((i, n) => {
    const cell = cells[n], y = S.test.y[i], p = S.pred?.[n];
    const bad = p != null && p !== y;
    wrong += bad ? 1 : 0;
    cell.classList.toggle("wrong", bad);
    cell.querySelector(".lbl").textContent = p == null ? "" : String(p);
    cell.querySelector(".truth").textContent = bad ? t("gallery.true", { y }) : "";
    cell.title = p == null ? "" : t("gallery.tip_ok", { p, y });
  });
  $("gallery-wrong").textContent = S.pred ? `${wrong} / ${S.galleryIdx.length}` : "—";
}

function drawWeights() {
  S.dirty.weights = false;
  const { flat, k } = S.weights;
  const root = $("weights");
  const units = ctx.params().model !== "softmax";
  if (root.children.length !== k || root.classList.contains("units") !== units) {
    root.classList.toggle("units", units);
    root.replaceChildren();
    for (let c = 0; c < k; c++) {
      const fig = document.createElement("figure");
      const cap = document.createElement("figcaption");
      cap.textContent = t(units ? "weights.unit" : "weights.class", { c });
      fig.append(canvas8(), cap);
      root.append(fig);
    }
  }
  let m = 0;
  for (const v of flat) m = Math.max(m, Math.abs(v));
  const scale = m > 0 && Number.isFinite(m) ? 1 / m : 0;
  [...root.children].forEach((fig, c) =>
    paint(fig.querySelector("canvas"), (i) => diverging(flat[c * SIDE * SIDE + i] * scale)));
  const label = m > 0 && Number.isFinite(m) ? m.toPrecision(2) : "0";
  $("w-min").textContent = `−${label}`;
  $("w-max").textContent = `+${label}`;
}

// -- the drawing pad -----------------------------------------------------------

/** Put test digit `i` on the pad: the model classifies exactly the data's pixels. */
function pick(cell, i) {
  document.querySelectorAll("#gallery .picked").forEach((c) => c.classList.remove("picked"));
  cell.classList.add("picked");
  S.strokes = [];
  S.drawing = null;
  S.fixed = Array.from(S.test.x.subarray(i * SIDE * SIDE, (i + 1) * SIDE * SIDE));
  paintPad();
  predictNow();
}

function unpick() {
  S.fixed = null;
  document.querySelectorAll("#gallery .picked").forEach((c) => c.classList.remove("picked"));
}

function mountPad() {
  const pad = $("draw");
  const at = (ev) => {
    const r = pad.getBoundingClientRect();
    return [((ev.clientX - r.left) * pad.width) / r.width, ((ev.clientY - r.top) * pad.height) / r.height];
  };
  pad.addEventListener("pointerdown", (ev) => {
    ev.preventDefault();
    if (S.fixed) unpick();
    try {
      pad.setPointerCapture(ev.pointerId);
    } catch {
      // a synthetic pointer cannot be captured; drawing still works
    }
    S.drawing = [at(ev)];
    S.strokes.push(S.drawing);
    paintPad();
    predictSoon();
  });
  pad.addEventListener("pointermove", (ev) => {
    if (!S.drawing) return;
    S.drawing.push(at(ev));
    paintPad();
    predictSoon();
  });
  const end = () => {
    if (!S.drawing) return;
    S.drawing = null;
    predictNow();
  };
  pad.addEventListener("pointerup", end);
  pad.addEventListener("pointercancel", end);
  $("btn-clear").addEventListener("click", clearPad);
}

function paintPad() {
  const pad = $("draw");
  const g = pad.getContext("2d");
  g.clearRect(0, 0, pad.width, pad.height);
  if (S.fixed) {
    const img = canvas8();
    paintGrey(img, S.fixed);
    const m = pad.width / 10; // the data's margin: a digit fills its box
    g.imageSmoothingEnabled = false;
    g.drawImage(img, m, m, pad.width - 2 * m, pad.height - 2 * m);
    return;
  }
  pen(g, pad.width / 14);
  for (const s of S.strokes) trace(g, s, (p) => p);
}

/** The 64 grey levels the model is to see: a picked test digit's, or the strokes'. */
function sample() {
  return S.fixed ?? inkLevels(S.strokes);
}

function predictSoon() {
  const wait = PREDICT_MS - (performance.now() - S.lastPredict);
  clearTimeout(S.predictTimer);
  if (wait <= 0) predictNow();
  else S.predictTimer = setTimeout(predictNow, wait);
}

function predictNow() {
  clearTimeout(S.predictTimer);
  S.lastPredict = performance.now();
  S.pixels = sample();
  paintGrey($("seen"), S.pixels ?? new Array(SIDE * SIDE).fill(0));
  if (S.pixels) ctx.send("predict", { pixels: S.pixels });
}

function onPrediction(msg) {
  if (!S.pixels) return; // an answer that arrived after Clear
  S.prediction = msg;
  S.maps = msg.maps ?? null;
  S.dirty.maps = true;
  const probs = msg.probs.map((p) => (p == null ? 0 : 100 * p));
  charts.probs.set(0, { y: probs, "marker.color": DIGITS.map((d) => (d === msg.label ? COLORS.vermillion : COLORS.blue)) });
  drawVerdict();
  ctx.markDirty();
}

function drawVerdict() {
  const p = S.prediction;
  const el = $("verdict");
  if (!p) el.textContent = t("draw.hint");
  else el.innerHTML = t("draw.verdict", { label: p.label, p: (100 * (p.probs[p.label] ?? 0)).toFixed(0) });
}

function clearPad() {
  clearTimeout(S.predictTimer);
  unpick();
  S.strokes = [];
  S.drawing = null;
  S.pixels = null;
  S.prediction = null;
  S.maps = null;
  S.dirty.maps = true;
  paintPad();
  paintGrey($("seen"), new Array(SIDE * SIDE).fill(0));
  charts.probs.set(0, { y: DIGITS.map(() => 0), "marker.color": COLORS.blue });
  drawVerdict();
  ctx.markDirty();
}

function mountLogToggle(c) {
  const box = $("log-toggle");
  S.log = new URLSearchParams(location.search).get("logy") === "1";
  box.checked = S.log;
  // Log axis: label 1, 2 and 5 of each decade; every minor digit would crowd a small chart.
  const apply = () => charts.loss.relayout({ "yaxis.type": S.log ? "log" : "linear", "yaxis.autorange": true,
    "yaxis.dtick": S.log ? "D2" : null });
  box.addEventListener("change", () => {
    S.log = box.checked;
    apply();
    c.writeUrl();
  });
  if (S.log) apply();
}

// -- language and params -------------------------------------------------------

function weightsCaption() {
  const units = ctx.params().model !== "softmax";
  const span = $("weights").closest("figure").querySelector("figcaption span");
  const help = span.nextElementSibling;
  span.dataset.i18n = units ? "panel.weights_units" : "panel.weights";
  help.dataset.i18nTip = `${span.dataset.i18n}.tip`;
  span.textContent = t(span.dataset.i18n);
  help.title = t(help.dataset.i18nTip);
}

function relabel() {
  const titles = (chart, x, y) => chart.relayout({ "xaxis.title.text": t(x), "yaxis.title.text": t(y) });
  titles(charts.acc, "axis.steps", "axis.accuracy");
  titles(charts.loss, "axis.steps", "axis.loss");
  titles(charts.probs, "axis.digit", "axis.prob");
  titles(charts.confusion, "axis.predicted", "axis.true");
  for (const [chart, fmt] of [[charts.acc, ".1f"], [charts.loss, ".4f"]]) {
    const tr = curveTraces(fmt);
    Plotly.restyle(chart.el, { name: tr.map((x) => x.name), hovertemplate: tr.map((x) => x.hovertemplate) }, [0, 1]);
  }
  Plotly.restyle(charts.confusion.el, { hovertemplate: [confusionHover()] }, [0]);
  [...$("weights").children].forEach((fig, c) => {
    fig.querySelector("figcaption").textContent = t(ctx.params().model !== "softmax" ? "weights.unit" : "weights.class", { c });
  });
  weightsCaption();
  drawVerdict();
  Object.assign(S.dirty, { gallery: true, filters: true, counts: true, maps: true });
}

startLab({
  pins: { snapshot: pinSnapshot, layers: pinLayers },
  mount(c) {
    ctx = c;
    t = c.i18n.t;
    mountCharts();
    mountPad();
    mountLogToggle(c);
    paintGrey($("seen"), new Array(SIDE * SIDE).fill(0));
  },
  on: { data: onData, frame: onFrame, prediction: onPrediction },
  hello: () => relabel(),
  paramsChanged: () => {
    networkApplies(ctx.params().model, t);
    const cnn = ctx.params().model === "cnn";
    showCnn(cnn);
    if (!cnn && S.maps) {
      S.maps = null;
      S.dirty.maps = true;
    }
    weightsCaption();
    if (S.weights) S.dirty.weights = true;
  },
  reset,
  draw,
  relabel,
  urlExtras: () => ({ logy: S.log ? 1 : null }),
});

// -- pins (lib/pins.js): runs kept from this page, drawn under the live one -------------
// The confusion matrix shows the live one, or (a button per pin) how it differs from a pin.

const PINNED = { pins: [], shown: null, listening: false };
const BETTER = [[0, "#D55E00"], [0.5, "#ffffff"], [1, "#0072B2"]]; // orange: worse now, blue: better

function pinSnapshot() {
  if (!S.curves.lossTrain.x.length) return null;
  const c = S.curves, z = charts.confusion.el.data[0].z;
  return { accTrain: copySeries(c.accTrain), accTest: copySeries(c.accTest), lossTrain: copySeries(c.lossTrain),
    lossTest: copySeries(c.lossTest), confusion: z?.length ? z.map((r) => [...r]) : null };
}

function pinLayers(pins) {
  for (const [chart, train, test] of [[charts.acc, "accTrain", "accTest"], [charts.loss, "lossTrain", "lossTest"]]) {
    setPinTraces(chart, pins.flatMap((p) => [
      ...pinCurve(p, p.data[train].x, p.data[train].y, { color: COLORS.blue, hover: t("legend.train") }),
      ...pinCurve(p, p.data[test].x, p.data[test].y, { color: COLORS.vermillion, legend: false, hover: t("legend.test") }),
    ]));
    pinLegend(chart, pins);
  }
  PINNED.pins = pins.filter((p) => p.data.confusion);
  if (!PINNED.pins.some((p) => p.letter === PINNED.shown)) PINNED.shown = null;
  if (!PINNED.listening) { // the live matrix changed: so did its difference
    PINNED.listening = true;
    charts.confusion.el.on("plotly_restyle", (ev) => { if (PINNED.shown && ev?.[1]?.includes(0)) pinConfusion(); });
  }
  confusionButtons();
  setPinTraces(charts.confusion, []);
  pinConfusion();
}

function confusionButtons() {
  const cap = $("chart-confusion").closest("figure").querySelector("figcaption");
  cap.querySelector(".pin-modes")?.remove();
  if (!PINNED.pins.length) return;
  const box = document.createElement("span");
  box.className = "pin-modes";
  box.title = t("pins.confusion_tip");
  for (const letter of [null, ...PINNED.pins.map((p) => p.letter)]) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "mini-btn";
    b.textContent = letter ? t("pins.confusion_diff", { letter }) : t("pins.confusion_now");
    b.setAttribute("aria-pressed", String(PINNED.shown === letter));
    b.addEventListener("click", () => { PINNED.shown = letter; confusionButtons(); pinConfusion(); });
    box.append(b);
  }
  cap.append(box);
}

/** Over the live matrix, the change since the shown pin: signed counts, coloured better or worse. */
function pinConfusion() {
  const pin = PINNED.pins.find((p) => p.letter === PINNED.shown), now = charts.confusion.el.data[0].z;
  const gd = charts.confusion.el;
  // the difference takes the live matrix's place (its text would show through)
  const hidden = gd.data[0].visible === false;
  if (hidden !== !!pin) Plotly.restyle(gd, { visible: !pin }, [0]);
  if (!pin || !now?.length) {
    if (gd.data.length > 1) setPinTraces(charts.confusion, []);
    return;
  }
  const was = pin.data.confusion, sign = (v) => (v > 0 ? `+${v}` : v < 0 ? `−${-v}` : "");
  const diff = now.map((r, i) => r.map((v, j) => Math.round(v - was[i][j])));
  const better = diff.map((r, i) => r.map((d, j) => (i === j ? d : -d)));
  const m = Math.max(1, ...better.flat().map(Math.abs));
  const hover = t("pins.confusion_hover", { x: "%{x}", y: "%{y}", now: "%{customdata[0]}", letter: pin.letter,
    was: "%{customdata[1]}" });
  const props = { z: better, text: diff.map((r) => r.map(sign)), zmin: -m, zmax: m,
    customdata: now.map((r, i) => r.map((v, j) => [Math.round(v), Math.round(was[i][j])])) };
  if (gd.data.length > 1) {
    Plotly.restyle(gd, Object.fromEntries(Object.entries(props).map(([k, v]) => [k, [v]])), [1]);
  } else {
    setPinTraces(charts.confusion, [{ type: "heatmap", x: DIGITS, y: DIGITS, ...props, texttemplate: "%{text}",
      textfont: { size: 10 }, colorscale: BETTER, showscale: false, xgap: 1, ygap: 1, hovertemplate: `${hover}<extra></extra>` }]);
  }
}

// Digits: training and test curves, a gallery of test digits with the current
// predictions, the weights as images, the confusion matrix — and a pad where
// the learner draws a digit for the current model to classify. Only drawing
// happens here; the server runs the model (the predict op takes 8×8 grey levels).
// The CNN's own views (filters, feature maps, parameter counts) are in digits/cnn.js,
// the charts in digits/charts.js, the pad in digits/pad.js, the pins in digits/pins.js.

import { startLab } from "../lib/page.js";
import { rows, shapeOf, unpack } from "../lib/arrays.js";
import { Series } from "../lib/charts.js";
import { mountCharts, relabelCharts } from "./digits/charts.js";
import { drawCounts, drawFilters, drawMaps, showCnn } from "./digits/cnn.js";
import { networkApplies } from "./digits/controls.js";
import { SIDE, canvas8, diverging, paint, paintGrey } from "./digits/ink.js";
import { digitPad } from "./digits/pad.js";
import { digitsPins } from "./digits/pins.js";

let ctx, t, pad;
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
    cell.addEventListener("click", () => pad.pick(cell, i));
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
  pad.repredict();
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
  relabelCharts(charts, t);
  [...$("weights").children].forEach((fig, c) => {
    fig.querySelector("figcaption").textContent = t(ctx.params().model !== "softmax" ? "weights.unit" : "weights.class", { c });
  });
  weightsCaption();
  pad.drawVerdict();
  Object.assign(S.dirty, { gallery: true, filters: true, counts: true, maps: true });
}

startLab({
  pins: digitsPins({ charts, curves: S.curves, t: (...a) => t(...a) }),
  mount(c) {
    ctx = c;
    t = c.i18n.t;
    mountCharts(charts, t);
    pad = digitPad({ S, charts, ctx, t });
    mountLogToggle(c);
    paintGrey($("seen"), new Array(SIDE * SIDE).fill(0));
  },
  on: { data: onData, frame: onFrame, prediction: (msg) => pad.onPrediction(msg) },
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

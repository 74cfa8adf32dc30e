// Beans: the line in data space and the point on the w–b cost surface,
// moving together. Only drawing happens here; the server does the math.
// This module wires the page: the charts are made in beans/charts.js, the race in
// beans/race.js, the update rule in beans/rule.js, the pins in beans/pins.js.

import { startLab } from "../lib/page.js";
import { list, rows, unpack } from "../lib/arrays.js";
import { COLORS, Series, appendPath, pathShown } from "../lib/charts.js";
import { dataSpan, mountUpload } from "../lib/upload.js";
import { mountCharts, relabelCharts } from "./beans/charts.js";
import { beansPins } from "./beans/pins.js";
import { ruleHtml } from "./beans/rule.js";
import { OWN_PARAMS, Race, RacePanel, contourTraces, lineTraces, lossTraces, racerName, surfaceTraces } from "./beans/race.js";
import { showRaceTraces } from "../lib/race_panel.js";

const MAX_PATH = 6000;

let ctx, t;
const S = { data: null, surface: null, frame: null, path: { w: [], b: [], cost: [] },
  loss: new Series(), excess: new Series(), log: false, drawn3d: 0 };
const charts = {};
const race = new Race();
// each chart's first race trace, after the single run's own
const RACE_BASE = { beans: 3, contour: 5, surface: 4, loss: 1 };
let panel;

/** A click on the contour map starts the next run there. */
function mountStartClick() {
  document.getElementById("chart-contour").on("plotly_click", (ev) => {
    const p = ev.points?.[0];
    if (!p) return;
    const w0 = Math.round(p.x * 100) / 100, b0 = Math.round(p.y * 100) / 100;
    const params = ctx.params().model === "wb" ? { w0, b0 } : { w0 };
    ctx.send("configure", { params: clampStart(params) });
  });
}

function clampStart(p) {
  const c = (v) => Math.max(-5, Math.min(5, v));
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, c(v)]));
}

function onData(msg) {
  S.data = { x: list(msg.train.x), y: list(msg.train.y) };
  charts.beans.set(0, { x: S.data.x, y: S.data.y });
  // A fixed view of the beans: a diverging line flies off instead of squashing them.
  const lo = Math.min(...S.data.y), hi = Math.max(...S.data.y), pad = 0.25 * (hi - lo || 1);
  S.beansRange = [lo - pad, hi + pad];
  S.shownRange = null;
  S.xSpan = dataSpan(S.data.x, msg.upload); // uploaded beans may lie anywhere
  charts.beans.relayout({ "yaxis.range": S.beansRange, "xaxis.range": S.xSpan.range });
  S.upload?.onData(msg);
}

/**
 * At a run's start the view also holds the starting line (a default start sits below the
 * beans), within a few units of them; during the run the view stays put, so a diverging
 * line flies off instead of squashing the beans.
 */
function fitStartLine(f) {
  const { w, b } = f.params;
  if (f.step !== 0 || !S.beansRange || !Number.isFinite(w) || !Number.isFinite(b)) return;
  const [lo, hi] = S.beansRange, ends = [b, w + b], margin = 0.1 * (hi - lo);
  const range = [Math.max(lo - 3, Math.min(lo, ...ends.map((y) => y - margin))),
    Math.min(hi + 3, Math.max(hi, ...ends.map((y) => y + margin)))];
  if (S.shownRange && range.every((v, i) => Math.abs(v - S.shownRange[i]) < 1e-9)) return;
  S.shownRange = range;
  charts.beans.relayout({ "yaxis.range": range });
}

function onSurface(msg) {
  const w = list(msg.w), b = list(msg.b), cost = rows(msg.cost);
  const logCost = cost.map((r) => r.map((c) => Math.log10(Math.max(c, 1e-6))));
  S.surface = { w, b, optimum: msg.optimum };
  charts.contour.set(0, { x: w, y: b, z: logCost, customdata: cost });
  charts.contour.set(3, { x: [msg.optimum.w], y: [msg.optimum.b] });
  charts.contour.relayout({ "xaxis.range": [w[0], w.at(-1)], "yaxis.range": [b[0], b.at(-1)] });
  S.raceBox = null; // a race zooms in again from here
  charts.surface.set(0, { x: w, y: b, z: cost });
  charts.surface.set(2, { x: [msg.optimum.w], y: [msg.optimum.b], z: [msg.optimum.cost] });
}

function onFrame(f) {
  S.frame = f;
  race.onFrame(f, S.surface?.optimum.cost);
  if (f.race) return; // the racers' paths and curves, the first racer's included
  appendPath(S.path, f.path, ["w", "b", "cost"], MAX_PATH, f.step);
  if (f.loss.train != null) {
    S.loss.push(f.step, f.loss.train);
    S.excess.push(f.step, Math.max(f.metrics.excess, 1e-12));
  }
}

function reset() {
  S.raceBox = null; // a new race finds its own view
  S.path = { w: [], b: [], cost: [] };
  S.loss.clear();
  S.excess.clear();
  race.clear();
}

function draw() {
  const f = S.frame;
  if (f && S.data) drawBeans(f);
  if (f && S.surface) drawSurfaces(f);
  const series = S.log ? S.excess : S.loss;
  charts.loss.set(0, f?.race ? { x: [], y: [] } : { x: series.x, y: series.y });
  raceTraces(!!race.frame);
  if (S.surface) zoomToRace();
  if (S.surface && race.frame) {
    race.stage(charts, RACE_BASE, { span: S.surface.w.at(-1) - S.surface.w[0], optimum: S.surface.optimum,
      params: ctx.params(), t, log: S.log });
  }
  panel.update();
  const now = performance.now();
  for (const [name, chart] of Object.entries(charts)) {
    // WebGL redraws are the costliest on a laptop without a GPU: ~10 per second is plenty.
    if (name === "surface" && now - S.drawn3d < 100) {
      // draw the skipped update a little later, even if no message arrives meanwhile
      S.catchUp ??= setTimeout(() => { S.catchUp = null; ctx.markDirty(); }, 100);
      continue;
    }
    if (name === "surface") S.drawn3d = now;
    chart.draw();
  }
  if (f) drawRule(f);
}

const RACE_TRACES = { beans: lineTraces, contour: contourTraces, surface: surfaceTraces, loss: lossTraces };

function raceTraces(on) {
  if (on === !!S.raceTraces) return;
  S.raceTraces = on;
  showRaceTraces(charts, RACE_TRACES, RACE_BASE, on, ctx.pins);
}

/** In a race the contour map follows the racers; after it, the whole window again. */
function zoomToRace() {
  const box = race.view(S.surface.optimum, S.raceBox);
  if (box) {
    S.raceBox = box;
    S.zoomed = true;
    charts.contour.relayout({ "xaxis.range": box.slice(0, 2), "yaxis.range": box.slice(2) });
  } else if (!race.frame && S.zoomed) {
    S.zoomed = false;
    const { w, b } = S.surface;
    charts.contour.relayout({ "xaxis.range": [w[0], w.at(-1)], "yaxis.range": [b[0], b.at(-1)] });
  }
}

function drawBeans(f) {
  const { w, b } = f.params;
  const idx = f.batch ?? [];
  const all = f.batch === null && f.update; // the last update used every bean
  charts.beans.set(1, all ? { x: [], y: [] } : { x: idx.map((i) => S.data.x[i]), y: idx.map((i) => S.data.y[i]) });
  charts.beans.set(0, { "marker.color": all ? COLORS.orange : COLORS.blue });
  const [x0, x1] = S.xSpan?.ends ?? [0, 1];
  if (f.race) charts.beans.set(2, { x: [], y: [] }); // each racer has its own line
  else if (w != null && b != null) charts.beans.set(2, { x: [x0, x1], y: [w * x0 + b, w * x1 + b] });
  fitStartLine(f);
}

function drawSurfaces(f) {
  const { w, b } = f.params;
  const alone = !f.race; // in a race every racer draws its own path, point and arrows
  const path = pathShown(S.path, ["w", "b", "cost"]);
  charts.contour.set(1, alone ? { x: path.w, y: path.b } : { x: [], y: [] });
  charts.surface.set(1, alone ? { x: path.w, y: path.b, z: path.cost.map((c) => c * 1.01 + 1e-3) } : { x: [], y: [], z: [] });
  if (!alone) {
    charts.contour.set(2, { x: [], y: [] });
    charts.contour.set(4, { x: [], y: [] });
    charts.surface.set(3, { x: [], y: [], z: [] });
  }
  if (w == null || b == null) return;
  const c = f.loss.train;
  const g = f.grad, span = S.surface.w.at(-1) - S.surface.w[0], norm = Math.hypot(g.w, g.b);
  if (alone) {
    const k = norm > 0 ? (0.12 * span) / norm : 0;
    charts.contour.set(4, { x: [w], y: [b] });
    charts.surface.set(3, { x: [w], y: [b], z: [c] });
    charts.contour.set(2, { x: [w, w - k * g.w], y: [b, b - k * g.b] });
  }
  if (f.slice) {
    const cs = Array.from(unpack(f.slice));
    charts.slice.set(0, { x: S.surface.w, y: cs });
    const d = 0.18 * span;
    charts.slice.set(1, { x: [w - d, w + d], y: [c - g.w * d, c + g.w * d] });
    charts.slice.set(2, { x: [w], y: [c] });
  }
}

function drawRule(f) {
  const el = document.getElementById("rule");
  const opts = { t, n: S.data?.x.length ?? "?", withB: ctx.params().model === "wb" };
  const r = f.race?.[race.selected];
  if (!r) {
    el.innerHTML = ruleHtml(f.update, f, opts);
    return;
  }
  // a racer's update, with the method and samples every racer shared
  const u = r.update && { ...r.update, method: f.update?.method, step_size: f.update?.step_size, sample: f.update?.sample };
  el.innerHTML = ruleHtml(u, f, { ...opts, loss: r.loss, caption: racerName(r, ctx.params(), t) });
}

function relabel() {
  relabelCharts(charts, t, S.log);
  sliceCaption();
  panel.render();
}

function sliceCaption() {
  const span = document.querySelector("#chart-slice").closest("figure").querySelector("figcaption span");
  span.dataset.i18n = ctx.params().model === "wb" ? "panel.slice" : "panel.slice_w";
  span.textContent = t(span.dataset.i18n);
}

startLab({
  pins: beansPins({ charts, S, t: (...a) => t(...a) }),
  mount(c) {
    ctx = c;
    t = c.i18n.t;
    const logBox = document.getElementById("log-toggle");
    S.log = new URLSearchParams(location.search).get("logy") === "1";
    logBox.checked = S.log;
    logBox.addEventListener("change", () => {
      S.log = logBox.checked;
      charts.loss.relayout({ "yaxis.type": S.log ? "log" : "linear", "yaxis.title.text": t(S.log ? "axis.excess" : "axis.cost") });
      c.writeUrl();
      c.markDirty();
      c.pins.redraw(); // pinned runs switch curves too
    });
    mountCharts(charts, t);
    mountStartClick();
    S.upload = mountUpload(c, "beans");
    panel = new RacePanel(document.getElementById("race"), { t, send: c.send, params: c.params }, race, () => {
      if (S.frame) drawRule(S.frame);
    });
    if (S.log) charts.loss.relayout({ "yaxis.type": "log", "yaxis.title.text": t("axis.excess") });
  },
  on: { data: onData, surface: onSurface, frame: onFrame, upload: (m) => S.upload.on.upload(m) },
  onError: (msg) => S.upload?.onError(msg),
  beforeLesson: (send) => S.upload?.beforeLesson(send), // a lesson starts from its own beans
  hello: () => relabel(),
  paramsChanged: (p) => {
    sliceCaption();
    panel.sync(p);
  },
  ownControls: OWN_PARAMS,
  reset,
  draw,
  relabel,
  urlExtras: () => ({ logy: S.log ? 1 : null }),
});

// Neuron: why cross-entropy learns faster. Two copies of one sigmoid neuron
// train in lockstep, one per cost; the page shows their outputs and costs per
// epoch, where each sits on σ(z), the live gradients and each cost's surface.
// Only drawing happens here; the server does the math. A race of costs and optimizers
// (issue 15) draws its racers over the same charts: neuron/race.js. The charts are
// made in neuron/charts.js, the notes' table drawn by neuron/table.js.

import { startLab } from "../lib/page.js";
import { list, rows } from "../lib/arrays.js";
import { Series, appendPath, num, pathShown } from "../lib/charts.js";
import { NAMES, NOTES_EPOCHS, RUNS, costAxis, mountCharts, relabelCharts } from "./neuron/charts.js";
import { NeuronRace, OWN_PARAMS, TRACES, gradientsHtml, racePanel } from "./neuron/race.js";
import { showRaceTraces } from "../lib/race_panel.js";
import { neuronPins } from "./neuron/pins.js";
import { plainGradientsHtml } from "./neuron/gradients.js";
import { drawTable } from "./neuron/table.js";

let ctx, t;
const fresh = () => ({ a: new Series(), cost: new Series(), path: { w: [], b: [] } });
const S = { frame: null, sample: { x: 1, y: 0 }, surfaces: {}, log: true, zSpan: 6, xMax: 0,
  runs: { quadratic: fresh(), cross_entropy: fresh() } };
const charts = {};
const race = new NeuronRace();
let panel;
const RACE_BASE = { output: 4, cost: 2, sigmoid: 7, quadratic: 5, cross_entropy: 5 }; // after each chart's own
const $ = (id) => document.getElementById(id);

const sigmoid = (z) => 1 / (1 + Math.exp(-z));
const sigmoidPrime = (z) => sigmoid(z) * (1 - sigmoid(z));

// -- messages --------------------------------------------------------------------

function onData(msg) {
  S.sample = { x: list(msg.train.x)[0], y: list(msg.train.y)[0] };
}

function onSurface(msg) {
  const name = msg.cost_name;
  if (!charts[name]) return;
  const w = list(msg.w), b = list(msg.b), cost = rows(msg.cost);
  S.surfaces[name] = { w, b, cost };
  charts[name].set(0, { x: w, y: b, z: cost });
  charts[name].relayout({ "xaxis.range": [w[0], w.at(-1)], "yaxis.range": [b[0], b.at(-1)] });
  if (name === "quadratic") placePlateau(w, b, cost);
}

/** Where to label the quadratic cost's flat top: its highest corner, away from the paths. */
function placePlateau(w, b, cost) {
  const corners = [[0, 0], [0, w.length - 1], [b.length - 1, 0], [b.length - 1, w.length - 1]];
  const [i, j] = corners.reduce((best, c) => (cost[c[0]][c[1]] > cost[best[0]][best[1]] ? c : best));
  const inset = (v, k) => v[k > 0 ? k - 2 : 2]; // two cells in, so the text is not clipped
  S.plateau = { w: inset(w, j), b: inset(b, i), right: j > 0, top: i > 0 };
}

function onFrame(f) {
  S.frame = f;
  race.onFrame(f);
  for (const name of NAMES) {
    const run = f.runs?.[name];
    if (!run) continue;
    const R = S.runs[name];
    if (run.a != null) R.a.push(f.epoch, run.a);
    if (run.cost != null) R.cost.push(f.epoch, Math.max(run.cost, 1e-12));
    appendPath(R.path, run.path, ["w", "b"], 6000, f.step);
  }
}


function reset() {
  for (const name of NAMES) S.runs[name] = fresh();
  race.clear();
  S.zSpan = 6;
  S.xMax = 0;
  drawSigmoidCurve();
}

// -- drawing ---------------------------------------------------------------------

function draw() {
  const f = S.frame;
  drawEpochs();
  raceTraces(!!race.frame);
  if (f) {
    drawSigmoid(f);
    drawSurfaces(f);
    drawGradients(f);
  }
  if (race.frame) race.stage(charts, RACE_BASE, { params: ctx.params(), t, y: S.sample.y, xMax: S.xMax });
  panel.update();
  Object.values(charts).forEach((c) => c.draw());
}

function drawEpochs() {
  NAMES.forEach((name, i) => {
    const R = S.runs[name];
    charts.output.set(i, { x: R.a.x, y: R.a.y });
    charts.cost.set(i, { x: R.cost.x, y: R.cost.y });
  });
  const last = Math.max(...NAMES.map((n) => S.runs[n].a.x.at(-1) ?? 0), ...race.runs.map((R) => R.a.x.at(-1) ?? 0));
  // a race zooms in on its first epochs (most finish well before the notes' 300)
  const xMax = Math.max(race.frame ? 50 : NOTES_EPOCHS, Math.ceil(last / 50) * 50);
  charts.output.set(3, { x: [0, xMax], y: [S.sample.y, S.sample.y] });
  if (xMax !== S.xMax) {
    S.xMax = xMax;
    // Room for the rings at the last epoch; the horizon's label goes right of its line once
    // there is room there (the curves are low by then), so it never sits on a curve.
    const range = { "xaxis.range": [0, xMax * 1.03], "annotations[0].xanchor": xMax > 1.3 * NOTES_EPOCHS ? "left" : "right" };
    charts.output.relayout(range);
    charts.cost.relayout(range);
  }
}

function drawSigmoidCurve() {
  if (!charts.sigmoid) return;
  const n = 241, z = Array.from({ length: n }, (_, i) => -S.zSpan + (2 * S.zSpan * i) / (n - 1));
  charts.sigmoid.set(0, { x: z, y: z.map(sigmoidPrime) });
  charts.sigmoid.set(1, { x: z, y: z.map(sigmoid) });
  const zl = 0.76 * S.zSpan; // label σ below its flat top, σ′ on its right flank: clear of the markers
  charts.sigmoid.set(6, { x: [zl, 2], y: [sigmoid(zl) - 0.05, sigmoidPrime(2) + 0.02] });
  charts.sigmoid.relayout({ "xaxis.range": [-S.zSpan, S.zSpan] });
}

function drawSigmoid(f) {
  const zs = [...NAMES.map((n) => f.runs[n]?.z).filter((z) => z != null), ...race.zs()];
  const need = Math.max(6, Math.ceil(Math.max(0, ...zs.map(Math.abs)) + 1));
  if (need > S.zSpan) {
    S.zSpan = need;
    drawSigmoidCurve();
  }
  NAMES.forEach((name, i) => {
    const run = f.runs[name];
    charts.sigmoid.set(3 + i, run?.z == null ? { x: [], y: [] } : { x: [run.z], y: [run.a] });
  });
  // The tangent belongs to the quadratic run: its slope is the factor that run's gradient carries.
  const run = f.runs.quadratic ?? f.runs.cross_entropy;
  if (run?.z == null) { // a race: each racer's point, no tangent
    charts.sigmoid.set(2, { x: [], y: [] });
    charts.sigmoid.set(5, { x: [], y: [], text: [] });
    return;
  }
  const d = 0.22 * S.zSpan, s = run.sigma_prime;
  charts.sigmoid.set(2, { x: [run.z - d, run.z + d], y: [run.a - s * d, run.a + s * d] });
  // The slope as a number, in the top-left corner the curve never reaches.
  const who = t(`run.${f.runs.quadratic ? "quadratic" : "cross_entropy"}`);
  charts.sigmoid.set(5, { x: [-0.96 * S.zSpan], y: [1.05], text: [t("note.slope", { run: who, value: num(s, 4) })] });
}

function drawSurfaces(f) {
  for (const name of NAMES) {
    const chart = charts[name], run = f.runs[name], path = pathShown(S.runs[name].path);
    chart.set(1, { x: path.w, y: path.b });
    chart.set(2, path.w.length ? { x: [path.w[0]], y: [path.b[0]] } : { x: [], y: [] });
    chart.set(3, run ? { x: [run.w], y: [run.b] } : { x: [], y: [] });
    chart.set(4, surfaceLabel(name, !!run || !!f.race?.some((r) => r.cost_name === name)));
  }
}

function surfaceLabel(name, running) {
  const s = S.surfaces[name];
  if (!s) return { x: [], y: [], text: [] };
  if (!running) {
    return { x: [(s.w[0] + s.w.at(-1)) / 2], y: [(s.b[0] + s.b.at(-1)) / 2], text: [t("note.not_running")],
      textposition: ["middle center"] };
  }
  const p = name === "quadratic" ? S.plateau : null;
  if (!p) return { x: [], y: [], text: [] };
  const pos = `${p.top ? "bottom" : "top"} ${p.right ? "left" : "right"}`;
  return { x: [p.w], y: [p.b], text: [t("note.plateau")], textposition: [pos] };
}

function drawGradients(f) {
  $("grads").innerHTML = f.race ? gradientsHtml(race, ctx.params(), t, S.sample)
    : plainGradientsHtml(f, { t, lr: ctx.params().lr, sample: S.sample, looks: RUNS });
  if (!S.watchingMore) watchMore();
}

/** The panel scrolls when its text is longer than its box: then its foot fades, so the
 * learner sees there is more (a race's racers, the takeaway), until it is scrolled there.
 * Checked when the text's or the box's size changes (after layout, not on every frame) and
 * on a scroll. */
function watchMore() {
  S.watchingMore = true;
  const box = $("grads").closest(".grads");
  const check = () => box.classList.toggle("more", box.scrollHeight - box.scrollTop - box.clientHeight > 2);
  box.addEventListener("scroll", check, { passive: true });
  const sizes = new ResizeObserver(check);
  sizes.observe(box);
  sizes.observe($("grads"));
}


function relabel() {
  relabelCharts(charts, t);
  if (S.params) drawTable(charts.output, S.params, t);
  panel.render();
  ctx.markDirty();
}

function paramsChanged(p) {
  S.params = p;
  drawTable(charts.output, p, t);
  panel.sync(p);
}

function raceTraces(on) {
  if (on === !!S.raceTraces) return;
  S.raceTraces = on;
  showRaceTraces(charts, TRACES, RACE_BASE, on, ctx.pins);
}

startLab({
  pins: neuronPins({ charts, race, looks: RUNS, runs: () => S.runs, t: (...a) => t(...a), params: () => ctx.params() }),
  mount(c) {
    ctx = c;
    t = c.i18n.t;
    const logBox = $("log-toggle");
    S.log = new URLSearchParams(location.search).get("logy") !== "0";
    logBox.checked = S.log;
    logBox.addEventListener("change", () => {
      S.log = logBox.checked;
      charts.cost.relayout(Object.fromEntries(Object.entries(costAxis(S.log)).map(([k, v]) => [`yaxis.${k}`, v])));
      c.writeUrl();
    });
    mountCharts(charts, t, { log: S.log, onSigmoid: drawSigmoidCurve });
    panel = racePanel($("race"), { t, send: c.send, params: c.params }, race, () => ctx.markDirty());
  },
  on: { data: onData, surface: onSurface, frame: onFrame },
  ownControls: OWN_PARAMS,
  paramsChanged,
  reset,
  draw,
  relabel,
  urlExtras: () => ({ logy: S.log ? null : 0 }),
});

// The circles curves: loss and accuracy per step (train and test), each layer's gradient
// size on a log axis, and the hidden activation f(z) with f′(z) beside the network.

import { list } from "../../lib/arrays.js";
import { COLORS, Chart, Series, baseLayout } from "../../lib/charts.js";
import { $, S, charts, page, t } from "./state.js";

const LAYER_COLORS = [COLORS.blue, COLORS.orange, COLORS.green, COLORS.vermillion, COLORS.purple,
  COLORS.sky, COLORS.black];
const LEGEND = { orientation: "h", y: 1.0, yanchor: "bottom", x: 0, font: { size: 11 } };
const SMALL = { margin: { l: 46, r: 8, t: 22, b: 36 }, showlegend: true, legend: LEGEND };

function axis(titleKey, extra = {}) {
  return { title: { text: t(titleKey), standoff: 4 }, zeroline: false, gridcolor: "#eceef2", ...extra };
}

export function mountCurves() {
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
}

/** A frame's loss, accuracy and gradient norms onto the curves; returns its accuracy. */
export function recordCurves(f) {
  if (f.loss.train != null) S.loss.train.push(f.step, f.loss.train);
  if (f.loss.test != null) S.loss.test.push(f.step, f.loss.test);
  const acc = f.metrics?.accuracy ?? {};
  if (acc.train != null) S.acc.train.push(f.step, acc.train);
  if (acc.test != null) S.acc.test.push(f.step, acc.test);
  S.accMin = Math.min(S.accMin, acc.train ?? 1, acc.test ?? 1);
  if (f.step > 0 && f.grad_norms) {
    if (S.grads.length !== f.grad_norms.length) resetGrads(f.grad_norms.length);
    f.grad_norms.forEach((g, i) => { if (g != null && g > 0) S.grads[i].push(f.step, g); });
    S.dirty.grads = true;
  }
  return acc;
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

/** A new run: every curve starts empty. */
export function clearCurves() {
  for (const g of [S.loss, S.acc]) { g.train.clear(); g.test.clear(); }
  S.accMin = 1;
  S.grads.forEach((s) => s.clear());
  S.dirty.grads = true;
}

export function drawCurves() {
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

// -- the activation ----------------------------------------------------------------

export function onActivation(msg) {
  S.act = msg;
  S.dirty.act = true;
}

export function drawActivation() {
  if (!S.dirty.act || !S.act) return;
  const z = list(S.act.z);
  charts.act.set(0, { x: z, y: list(S.act.f) });
  charts.act.set(1, { x: z, y: list(S.act.df) });
  charts.act.draw();
  actCaption();
  S.dirty.act = false;
}

export function actCaption() {
  const span = $("chart-act").closest("figure").querySelector("figcaption span");
  const name = S.act?.name ?? page.ctx.params().activation;
  span.textContent = `${t("panel.activation")}: ${t(`param.activation.${name}`)}`;
}

/** The axis titles and legend names in the page's language. */
export function relabelCurves() {
  const titles = { loss: ["axis.steps", "axis.loss"], acc: ["axis.steps", "axis.accuracy"],
    grads: ["axis.steps", "axis.grad"], act: ["axis.z", null] };
  for (const [name, [x, y]] of Object.entries(titles)) {
    charts[name].relayout({ "xaxis.title.text": t(x), ...(y ? { "yaxis.title.text": t(y) } : {}) });
  }
  for (const name of ["loss", "acc"]) Plotly.restyle(charts[name].el, { name: [t("legend.train"), t("legend.test")] }, [0, 1]);
}

// Neuron, the page's Plotly charts and the words on them: output and cost per epoch
// (with the notes' 300-epoch horizon), σ(z) with σ′(z), and each cost's surface over
// (w, b). Each run keeps its look (colour, dash, marker) on every chart.

import { COLORS, Chart, baseLayout } from "../../lib/charts.js";

export const NOTES_EPOCHS = 300; // the notes' horizon (engine NOTES_EPOCHS)
export const RUNS = {
  quadratic: { color: COLORS.vermillion, dash: "dash", symbol: "square" },
  cross_entropy: { color: COLORS.blue, dash: "solid", symbol: "circle" },
};
export const NAMES = Object.keys(RUNS);
// Light, neutral levels so both runs' colours stay readable on the maps; a flat
// region shows as one wide band with no contour lines through it.
const SLATE = [[0, "#ffffff"], [0.3, "#eef1f5"], [0.6, "#d5dbe3"], [0.85, "#b4bdc9"], [1, "#98a2b1"]];
const LEGEND = { orientation: "h", y: 1.0, yanchor: "bottom", x: 0, font: { size: 11 }, bgcolor: "rgba(0,0,0,0)" };
const $ = (id) => document.getElementById(id);

function axis(t, titleKey, extra = {}) {
  return { title: { text: t(titleKey), standoff: 6 }, zeroline: false, gridcolor: "#eceef2", automargin: true, ...extra };
}

function runLine(name, extra = {}) {
  const r = RUNS[name];
  return { x: [], y: [], mode: "lines", line: { color: r.color, dash: r.dash, width: 2.5 }, ...extra };
}

/** The notes' horizon: a dashed line at epoch 300 with its label. */
function horizon(t) {
  return {
    shapes: [{ type: "line", xref: "x", yref: "paper", x0: NOTES_EPOCHS, x1: NOTES_EPOCHS, y0: 0, y1: 1,
      line: { color: COLORS.grey, width: 1, dash: "dot" } }],
    annotations: [{ xref: "x", yref: "paper", x: NOTES_EPOCHS, y: 1, xanchor: "right", yanchor: "top",
      text: t("note.horizon"), showarrow: false, font: { size: 10, color: COLORS.grey } }],
  };
}

/** Decades only on the log axis (0.01, 0.1, 1): the in-between labels crowd a small chart. */
export function costAxis(log) {
  return log ? { type: "log", dtick: 1, tickformat: "~g", autorange: true }
    : { type: "linear", dtick: null, tickformat: "", autorange: true };
}

function mountEpochCharts(charts, t, log) {
  charts.output = new Chart($("chart-output"), [
    runLine("quadratic"),
    runLine("cross_entropy"),
    { x: [], y: [], mode: "markers", customdata: [],
      marker: { symbol: "circle-open", size: 9, color: COLORS.black, line: { width: 1.5 } } },
    { x: [0, NOTES_EPOCHS], y: [0, 0], mode: "lines", hoverinfo: "skip",
      line: { color: COLORS.green, width: 1.5, dash: "dot" } },
  ], baseLayout({ xaxis: axis(t, "axis.epoch", { range: [0, NOTES_EPOCHS * 1.03] }),
    yaxis: axis(t, "axis.output", { range: [-0.02, 1.02] }), showlegend: true, legend: LEGEND,
    margin: { l: 52, r: 12, t: 26, b: 40 }, ...horizon(t) }));
  charts.cost = new Chart($("chart-cost"), [runLine("quadratic"), runLine("cross_entropy")],
    baseLayout({ xaxis: axis(t, "axis.epoch", { range: [0, NOTES_EPOCHS * 1.03] }),
      yaxis: axis(t, "axis.cost_each", costAxis(log)), // two different costs: the axis says so
      showlegend: true, legend: LEGEND, margin: { l: 52, r: 12, t: 26, b: 40 }, ...horizon(t) }));
}

function mountSigmoid(charts, t) {
  const marker = (name) => ({ x: [], y: [], mode: "markers",
    marker: { symbol: RUNS[name].symbol, size: 12, color: RUNS[name].color, line: { color: "#fff", width: 1.5 } } });
  charts.sigmoid = new Chart($("chart-sigmoid"), [
    { x: [], y: [], mode: "lines", fill: "tozeroy", fillcolor: "rgba(138,143,152,0.12)", name: "σ′(z)",
      line: { color: COLORS.grey, width: 1 }, hovertemplate: "z = %{x:.2f}<br>σ′(z) = %{y:.4f}<extra></extra>" },
    { x: [], y: [], mode: "lines", name: "σ(z)", line: { color: COLORS.black, width: 2 },
      hovertemplate: "z = %{x:.2f}<br>σ(z) = %{y:.4f}<extra></extra>" },
    { x: [], y: [], mode: "lines", hoverinfo: "skip",
      line: { color: COLORS.black, width: 1.5, dash: "dash" } },
    marker("quadratic"),
    marker("cross_entropy"),
    { x: [], y: [], mode: "text", text: [], hoverinfo: "skip", textposition: "bottom right",
      textfont: { size: 12, color: "#9a3d00" } },
    { x: [], y: [], mode: "text", text: ["σ(z)", "σ′(z)"], hoverinfo: "skip", textposition: ["bottom right", "top right"],
      textfont: { size: 12, color: [COLORS.black, COLORS.grey] } },
  ], baseLayout({ xaxis: axis(t, "axis.z"), yaxis: axis(t, "axis.sigma", { range: [-0.04, 1.08] }),
    margin: { l: 52, r: 12, t: 8, b: 40 } }));
}

function mountSurfaces(charts, t) {
  for (const name of NAMES) {
    const r = RUNS[name];
    charts[name] = new Chart($(`chart-surface-${name}`), [
      { type: "contour", x: [], y: [], z: [], colorscale: SLATE, showscale: false, ncontours: 14,
        contours: { coloring: "fill", showlines: true }, line: { color: "rgba(60,70,90,0.35)", width: 0.7 },
        hovertemplate: "w = %{x:.2f}, b = %{y:.2f}<br>C = %{z:.4f}<extra></extra>" },
      { x: [], y: [], mode: "lines", hoverinfo: "skip", line: { color: r.color, dash: r.dash, width: 2.5 } },
      { x: [], y: [], mode: "markers",
        marker: { symbol: "x-thin", size: 10, color: COLORS.black, line: { color: COLORS.black, width: 2 } } },
      { x: [], y: [], mode: "markers",
        marker: { symbol: r.symbol, size: 11, color: r.color, line: { color: "#fff", width: 1.5 } } },
      { x: [], y: [], mode: "text", text: [], hoverinfo: "skip", textfont: { size: 11, color: "#3c4350" } },
    ], baseLayout({ xaxis: axis(t, "axis.w"), yaxis: axis(t, "axis.b"), margin: { l: 52, r: 12, t: 8, b: 40 } }));
  }
}

/**
 * Make the charts (`charts.output`, `.cost`, `.sigmoid`, and one per cost by its name),
 * the cost axis on a log scale or not. `onSigmoid()` draws σ(z) once its chart is made.
 */
export function mountCharts(charts, t, { log, onSigmoid }) {
  mountEpochCharts(charts, t, log);
  mountSigmoid(charts, t);
  onSigmoid();
  mountSurfaces(charts, t);
  applyLang(charts, t);
}

/** Every trace name and hover text that depends on the language, staged for the next draw. */
function applyLang(charts, t) {
  const runHover = (n) => `${t(`run.${n}`)}<br>${t("axis.epoch")} %{x}: %{y:.4f}<extra></extra>`;
  NAMES.forEach((n, i) => {
    for (const chart of [charts.output, charts.cost]) chart.set(i, { name: t(`run.${n}`), hovertemplate: runHover(n) });
    charts.sigmoid.set(3 + i, { name: t(`run.${n}`),
      hovertemplate: `${t(`run.${n}`)}<br>z = %{x:.3f}<br>a = σ(z) = %{y:.4f}<extra></extra>` });
    charts[n].set(1, { name: t("legend.path") });
    charts[n].set(2, { hovertemplate: `${t("legend.start")}<br>w = %{x:.2f}, b = %{y:.2f}<extra></extra>` });
    charts[n].set(3, { hovertemplate: `${t(`run.${n}`)}: ${t("legend.now")}<br>w = %{x:.4f}, b = %{y:.4f}<extra></extra>` });
  });
  charts.output.set(2, { name: t("legend.table"), hovertemplate: `${t("legend.table")}<br>%{customdata}: a = %{y:.3f}<extra></extra>` });
  charts.output.set(3, { name: t("legend.target") });
  charts.sigmoid.set(2, { name: t("legend.tangent") });
}

/** The axis titles, the horizon's label and the trace names in the language now in force. */
export function relabelCharts(charts, t) {
  const titles = (chart, x, y) => chart.relayout({ "xaxis.title.text": t(x), "yaxis.title.text": t(y),
    ...(chart.el.layout.annotations?.length ? { "annotations[0].text": t("note.horizon") } : {}) });
  titles(charts.output, "axis.epoch", "axis.output");
  titles(charts.cost, "axis.epoch", "axis.cost_each");
  titles(charts.sigmoid, "axis.z", "axis.sigma");
  NAMES.forEach((n) => titles(charts[n], "axis.w", "axis.b"));
  applyLang(charts, t);
}

// Digits, the page's Plotly charts: accuracy and loss curves (train and test), the
// drawn digit's class probabilities and the confusion matrix; their traces, layouts
// and the words on them, which change with the language.

import { COLORS, Chart, baseLayout } from "../../lib/charts.js";

export const DIGITS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const CONFUSION = [[0, "#ffffff"], [0.03, "#e4eef8"], [0.2, "#a6cbe3"], [0.55, "#4a90c4"], [1, "#0b4f8a"]];
const $ = (id) => document.getElementById(id);

function axis(t, titleKey, extra = {}) {
  return { title: { text: t(titleKey), standoff: 4 }, zeroline: false, gridcolor: "#eceef2", ...extra };
}

function curveTraces(t, fmt) {
  const hover = (k) => `${t(k)}<br>${t("stat.step")} %{x}: %{y:${fmt}}<extra></extra>`;
  return [
    { x: [], y: [], mode: "lines", name: t("legend.train"), line: { color: COLORS.blue, width: 2 },
      hovertemplate: hover("legend.train") },
    { x: [], y: [], mode: "lines", name: t("legend.test"), line: { color: COLORS.vermillion, width: 2, dash: "dash" },
      hovertemplate: hover("legend.test") },
  ];
}

function confusionHover(t) {
  return `${t("axis.true")} %{y} → ${t("axis.predicted")} %{x}: %{z}<extra></extra>`;
}

/** Make the four charts, as `charts.acc`, `.loss`, `.probs` and `.confusion`. */
export function mountCharts(charts, t) {
  const legend = { orientation: "h", y: 1.0, yanchor: "bottom", x: 0, font: { size: 11 } };
  const curve = (yKey, extra) => baseLayout({ showlegend: true, legend, margin: { l: 50, r: 10, t: 22, b: 40 },
    xaxis: axis(t, "axis.steps", { rangemode: "tozero" }), yaxis: axis(t, yKey, extra) });
  charts.acc = new Chart($("chart-acc"), curveTraces(t, ".1f"), curve("axis.accuracy", { ticksuffix: "", range: [0, 101] }));
  charts.loss = new Chart($("chart-loss"), curveTraces(t, ".4f"), curve("axis.loss", { rangemode: "tozero" }));
  charts.probs = new Chart($("chart-probs"), [
    { type: "bar", x: DIGITS, y: DIGITS.map(() => 0), marker: { color: COLORS.blue },
      hovertemplate: "%{x}: %{y:.1f} %<extra></extra>" },
  ], baseLayout({ margin: { l: 44, r: 6, t: 6, b: 36 }, bargap: 0.18,
    xaxis: axis(t, "axis.digit", { tickmode: "linear", dtick: 1, fixedrange: true }),
    yaxis: axis(t, "axis.prob", { range: [0, 100], fixedrange: true }) }));
  charts.confusion = new Chart($("chart-confusion"), [
    { type: "heatmap", x: DIGITS, y: DIGITS, z: [], text: [], texttemplate: "%{text}", textfont: { size: 10 },
      colorscale: CONFUSION, zmin: 0, showscale: false, xgap: 1, ygap: 1, hovertemplate: confusionHover(t) },
  ], baseLayout({ margin: { l: 44, r: 6, t: 6, b: 38 }, plot_bgcolor: "#eceef2",
    xaxis: axis(t, "axis.predicted", { tickmode: "linear", dtick: 1, showgrid: false, range: [-0.5, 9.5],
      constrain: "domain", fixedrange: true }),
    yaxis: axis(t, "axis.true", { tickmode: "linear", dtick: 1, showgrid: false, range: [9.5, -0.5],
      scaleanchor: "x", constrain: "domain", fixedrange: true }) }));
}

/** The charts' axis titles, trace names and hover texts in the language now in force. */
export function relabelCharts(charts, t) {
  const titles = (chart, x, y) => chart.relayout({ "xaxis.title.text": t(x), "yaxis.title.text": t(y) });
  titles(charts.acc, "axis.steps", "axis.accuracy");
  titles(charts.loss, "axis.steps", "axis.loss");
  titles(charts.probs, "axis.digit", "axis.prob");
  titles(charts.confusion, "axis.predicted", "axis.true");
  for (const [chart, fmt] of [[charts.acc, ".1f"], [charts.loss, ".4f"]]) {
    const tr = curveTraces(t, fmt);
    Plotly.restyle(chart.el, { name: tr.map((x) => x.name), hovertemplate: tr.map((x) => x.hovertemplate) }, [0, 1]);
  }
  Plotly.restyle(charts.confusion.el, { hovertemplate: [confusionHover(t)] }, [0]);
}

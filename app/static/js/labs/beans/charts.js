// Beans, the page's Plotly charts: the beans and the line through them, the cost
// surface as a contour map and in 3-D, the slice through it along w, and the cost curve;
// their traces, layouts and the words on them, which change with the language.

import { COLORS, Chart, baseLayout } from "../../lib/charts.js";

const BOWL = [[0, "#fbfbf4"], [0.2, "#e4eef8"], [0.45, "#a6cbe3"], [0.75, "#4a90c4"], [1, "#0b4f8a"]];
const $ = (id) => document.getElementById(id);

function axis(t, titleKey, extra = {}) {
  return { title: { text: t(titleKey), standoff: 6 }, zeroline: false, gridcolor: "#eceef2", ...extra };
}

/** Make the five charts, as `charts.beans`, `.contour`, `.surface`, `.slice` and `.loss`. */
export function mountCharts(charts, t) {
  charts.beans = new Chart($("chart-beans"), [
    { x: [], y: [], mode: "markers", name: t("legend.beans"), marker: { color: COLORS.blue, size: 6, opacity: 0.75 },
      hovertemplate: "x=%{x:.3f}<br>y=%{y:.3f}<extra></extra>" },
    { x: [], y: [], mode: "markers", name: t("legend.batch"), hoverinfo: "skip",
      marker: { color: COLORS.orange, size: 12, line: { color: COLORS.black, width: 1.5 } } },
    { x: [0, 1], y: [0, 0], mode: "lines", name: t("legend.line"), hoverinfo: "skip",
      line: { color: COLORS.vermillion, width: 3 } },
  ], baseLayout({ xaxis: axis(t, "axis.size"), yaxis: axis(t, "axis.toxicity"), showlegend: true,
    legend: { orientation: "h", y: 1.02, yanchor: "bottom", x: 0, font: { size: 11 } },
    margin: { l: 52, r: 10, t: 26, b: 42 } }));

  charts.contour = new Chart($("chart-contour"), [
    { type: "contour", x: [], y: [], z: [], colorscale: BOWL, showscale: false, ncontours: 18,
      contours: { coloring: "fill", showlines: true }, line: { color: "rgba(40,60,90,0.35)", width: 0.6 },
      hovertemplate: "w=%{x:.2f}, b=%{y:.2f}<br>C=%{customdata:.4f}<extra></extra>" },
    { x: [], y: [], mode: "lines", name: t("legend.path"), hoverinfo: "skip",
      line: { color: COLORS.vermillion, width: 2 } },
    { x: [], y: [], mode: "lines+markers", name: t("legend.gradient"), hoverinfo: "skip",
      line: { color: COLORS.black, width: 2 }, marker: { size: [0, 11], symbol: "arrow", angleref: "previous", color: COLORS.black } },
    { x: [], y: [], mode: "markers", name: t("legend.optimum"), hovertemplate: "optimum<br>w=%{x:.4f}, b=%{y:.4f}<extra></extra>",
      marker: { symbol: "star", size: 15, color: COLORS.green, line: { color: "#fff", width: 1 } } },
    { x: [], y: [], mode: "markers", name: t("legend.now"), hovertemplate: "w=%{x:.4f}, b=%{y:.4f}<extra></extra>",
      marker: { size: 11, color: COLORS.vermillion, line: { color: "#fff", width: 2 } } },
  ], baseLayout({ xaxis: axis(t, "axis.w"), yaxis: axis(t, "axis.b") }));

  charts.surface = new Chart($("chart-surface"), [
    { type: "surface", x: [], y: [], z: [], colorscale: BOWL, showscale: false, opacity: 0.92,
      contours: { z: { show: true, usecolormap: true, width: 1, project: { z: false } } },
      hovertemplate: "w=%{x:.2f}, b=%{y:.2f}<br>C=%{z:.4f}<extra></extra>" },
    { type: "scatter3d", x: [], y: [], z: [], mode: "lines", hoverinfo: "skip",
      line: { color: COLORS.vermillion, width: 5 } },
    { type: "scatter3d", x: [], y: [], z: [], mode: "markers", hoverinfo: "skip",
      marker: { size: 4, color: COLORS.green, symbol: "diamond" } },
    { type: "scatter3d", x: [], y: [], z: [], mode: "markers", hoverinfo: "skip",
      marker: { size: 5, color: COLORS.vermillion, line: { color: "#fff", width: 1 } } },
  ], baseLayout({ margin: { l: 0, r: 0, t: 0, b: 0 }, scene: {
    // few ticks in a small font: the three axes' labels must not run into each other
    xaxis: { title: { text: "w" }, nticks: 5, tickfont: { size: 10 } },
    yaxis: { title: { text: "b" }, nticks: 5, tickfont: { size: 10 } },
    zaxis: { title: { text: "C" }, nticks: 4, tickfont: { size: 10 } },
    camera: { eye: { x: 1.5, y: -1.5, z: 0.9 } }, aspectmode: "manual", aspectratio: { x: 1, y: 1, z: 0.7 } } }));

  charts.slice = new Chart($("chart-slice"), [
    { x: [], y: [], mode: "lines", line: { color: COLORS.blue, width: 2.5 }, hovertemplate: "w=%{x:.3f}<br>C=%{y:.4f}<extra></extra>" },
    { x: [], y: [], mode: "lines", name: t("legend.tangent"), hoverinfo: "skip", line: { color: COLORS.black, width: 1.5, dash: "dash" } },
    { x: [], y: [], mode: "markers", hoverinfo: "skip", marker: { size: 11, color: COLORS.vermillion, line: { color: "#fff", width: 2 } } },
  ], baseLayout({ xaxis: axis(t, "axis.w"), yaxis: axis(t, "axis.cost", { rangemode: "tozero" }) }));

  charts.loss = new Chart($("chart-loss"), [
    { x: [], y: [], mode: "lines", line: { color: COLORS.blue, width: 2 }, hovertemplate: "step %{x}<br>%{y:.5f}<extra></extra>" },
  ], baseLayout({ xaxis: axis(t, "axis.steps", { rangemode: "tozero" }), yaxis: axis(t, "axis.cost") }));
}

/** The charts' axis titles and legend names in the language now in force; `log`: the
 * cost chart shows the excess cost on a log scale. */
export function relabelCharts(charts, t, log) {
  const set = (chart, x, y) => chart.relayout({ "xaxis.title.text": t(x), "yaxis.title.text": t(y) });
  set(charts.beans, "axis.size", "axis.toxicity");
  set(charts.contour, "axis.w", "axis.b");
  set(charts.slice, "axis.w", "axis.cost");
  set(charts.loss, "axis.steps", log ? "axis.excess" : "axis.cost");
  ["legend.beans", "legend.batch", "legend.line"].forEach((k, i) => Plotly.restyle(charts.beans.el, { name: t(k) }, [i]));
}

// How a pinned run looks on a chart: the live trace's colour, muted, in the pin's own
// dash, with a few open markers of the pin's own shape and its letter at the end of the
// curve, so pins tell apart without colour (and from the live run, drawn solid over them).
// A chart's pin traces come after its own, so the lab's trace indices never move.

import { COLORS } from "./charts.js";

export const PIN_STYLES = {
  A: { dash: "dash", symbol: "square-open", symbol3d: "square-open", svgDash: "6 3" },
  B: { dash: "dot", symbol: "triangle-up-open", symbol3d: "cross", svgDash: "2 3" },
  C: { dash: "dashdot", symbol: "diamond-open", symbol3d: "diamond-open", svgDash: "7 3 2 3" },
};
const SVG_SYMBOL = {
  A: '<rect x="11" y="1" width="8" height="8" fill="#fff" stroke="currentColor" stroke-width="1.6"/>',
  B: '<path d="M15 1 L20 9 L10 9 Z" fill="#fff" stroke="currentColor" stroke-width="1.6"/>',
  C: '<path d="M15 0.5 L19.5 5 L15 9.5 L10.5 5 Z" fill="#fff" stroke="currentColor" stroke-width="1.6"/>',
};
const OPACITY = 0.6;

/** A legend sample for the pins panel: the pin's dash and marker, as an inline SVG. */
export function swatch(letter) {
  const span = document.createElement("span");
  span.className = "pin-swatch";
  span.setAttribute("aria-hidden", "true");
  span.innerHTML = `<svg width="30" height="10" viewBox="0 0 30 10"><line x1="0" y1="5" x2="30" y2="5" stroke="currentColor" stroke-width="2" stroke-dasharray="${PIN_STYLES[letter].svgDash}"/>${SVG_SYMBOL[letter]}</svg>`;
  return span;
}

/** Replace the pin traces of `chart` (after its own traces) with `traces`. */
export function setPinTraces(chart, traces) {
  const gd = chart.el;
  const old = gd.data.map((d, i) => (String(d.uid ?? "").startsWith("pin-") ? i : -1)).filter((i) => i >= 0);
  if (old.length) Plotly.deleteTraces(gd, old);
  if (traces.length) Plotly.addTraces(gd, traces.map((t, i) => ({ uid: `pin-${i}`, ...t })));
}

/**
 * A pinned curve and its letter at its last point. `legend`: this trace stands for the pin
 * in the chart's legend (one entry per pin, whatever the number of its curves).
 */
export function pinCurve(pin, x, y, { color = COLORS.grey, legend = true, hover = "" } = {}) {
  const st = PIN_STYLES[pin.letter];
  if (!x?.length) return [];
  const group = `pin-${pin.letter}`;
  return [
    { x, y, mode: "lines+markers", name: pin.label ?? pin.letter, legendgroup: group, showlegend: legend,
      opacity: OPACITY, zorder: -1, line: { color, width: 2, dash: st.dash },
      marker: { symbol: st.symbol, size: 8, color, maxdisplayed: 10, line: { width: 1.6, color } },
      hovertemplate: `${pin.letter}${hover ? ` · ${hover}` : ""}<br>%{x}: %{y:.4g}<extra></extra>` },
    letterAt(pin, x.at(-1), y.at(-1), color),
  ];
}

/** The pin's letter beside a point (the end of its curve or path). */
export function letterAt(pin, x, y, color = COLORS.black, position = "middle right") {
  return { x: [x], y: [y], mode: "text", text: [`<b>${pin.letter}</b>`], textposition: position,
    textfont: { color, size: 13 }, cliponaxis: false, showlegend: false, hoverinfo: "skip",
    legendgroup: `pin-${pin.letter}`, zorder: -1 };
}

/** A pinned path on a map (w–b plane): the pin's dash, its marker where it ended, its letter. */
export function pinPath(pin, x, y, color) {
  const st = PIN_STYLES[pin.letter];
  if (!x?.length) return [];
  return [
    { x, y, mode: "lines", name: pin.label ?? pin.letter, legendgroup: `pin-${pin.letter}`, showlegend: false,
      hoverinfo: "skip", opacity: 0.85, line: { color, width: 2, dash: st.dash } },
    { x: [x.at(-1)], y: [y.at(-1)], mode: "markers+text", text: [`<b>${pin.letter}</b>`], textposition: "top right",
      textfont: { color: COLORS.black, size: 13 }, showlegend: false, legendgroup: `pin-${pin.letter}`,
      marker: { symbol: st.symbol, size: 11, color: COLORS.black, line: { width: 2, color: COLORS.black } },
      hovertemplate: `${pin.letter}: %{x:.4f}, %{y:.4f}<extra></extra>` },
  ];
}

/**
 * Room for the pins in a chart's legend. A chart with no legend of its own shows one while
 * pins are drawn (its trace 0 named `liveName`); a legend above the plot gets a row more
 * for every two pins, so it does not run into the curves.
 */
export function pinLegend(chart, pins, liveName) {
  const gd = chart.el;
  chart.pinBase ??= { legend: !!gd.layout.showlegend, top: gd.layout.margin?.t ?? 0 };
  const base = chart.pinBase;
  if (!base.legend) {
    if (liveName) Plotly.restyle(gd, { name: liveName }, [0]);
    Plotly.relayout(gd, { showlegend: pins.length > 0, legend: { orientation: "h", x: 1, xanchor: "right", y: 1,
      yanchor: "top", font: { size: 11 }, bgcolor: "rgba(255,255,255,0.8)" } });
  } else if (gd.layout.legend?.yanchor === "bottom") {
    Plotly.relayout(gd, { "margin.t": base.top + 18 * Math.ceil(pins.length / 2) });
  }
}

/** Copies of a Series' points (a pin must not change when the live series does). */
export function copySeries(s) {
  return { x: s.x.slice(), y: s.y.slice() };
}

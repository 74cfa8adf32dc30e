// The circles plane: the boundary's heatmap under the train, test and added points.
// The server sends the boundary only when it has moved visibly; this module keeps the
// newest, asks for it when paused on an older one, and turns a click into a point.

import { rows } from "../../lib/arrays.js";
import { COLORS, Chart, baseLayout } from "../../lib/charts.js";
import { CLASS_COLOR, MAX_CLASSES, SYMBOL, classScale, classValues } from "../../lib/classes.js";
import { $, S, charts, page } from "./state.js";

// Blue (class 0) ↔ white ↔ orange (class 1), lightened so the points stay visible on it.
export const PLANE = [[0, "#6aaad6"], [0.5, "#f8f8f8"], [1, "#f0c060"]];
const HOVER = "x₁=%{x:.2f}, x₂=%{y:.2f}<br>P(1)=%{z:.2f}<extra></extra>";
const TEST = 1 + MAX_CLASSES, ADDED = 1 + 2 * MAX_CLASSES; // plane traces: the train points first

function points(symbol, color, open = false) {
  return { x: [], y: [], mode: "markers", hoverinfo: "skip",
    marker: { symbol: open ? `${symbol}-open` : symbol, color, size: open ? 8 : 7,
      line: { color: open ? color : "#ffffff", width: open ? 1.8 : 0.8 } } };
}

export function mountPlane() {
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
}

function addPoint(e) {
  const area = $("chart-boundary").querySelector(".nsewdrag")?.getBoundingClientRect();
  if (!e || !area || S.brush) return; // with the brush, a click is a stroke of one point
  const fx = (e.clientX - area.left) / area.width, fy = (e.clientY - area.top) / area.height;
  if (fx < 0 || fx > 1 || fy < 0 || fy > 1) return;
  const round = (v) => Math.round(Math.max(-6, Math.min(6, v)) * 100) / 100;
  page.ctx.send("add_point", { x1: round(-6 + 12 * fx), x2: round(6 - 12 * fy), label: S.cls });
}

export function drawPlane() {
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

// The server sends the boundary only when it has moved visibly (and on every frame with
// weights); a frame without one leaves the last on the plane. Its `step` tells how old it is.
export function onBoundary(b) {
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
export function boundaryIfStale() {
  const ctx = page.ctx;
  if (ctx.state.running || !S.frame || !S.boundary || S.boundary.step === S.frame.step) return;
  if (S.askedAt === S.frame.step) return; // asked already: the reply is on its way
  S.askedAt = S.frame.step;
  ctx.send("boundary");
}

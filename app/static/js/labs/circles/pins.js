// The circles lab's pins (lib/pins.js): runs kept from this page, drawn under the live
// one: their loss and accuracy curves, and each pinned boundary as a dashed line on the plane.

import { rows } from "../../lib/arrays.js";
import { COLORS } from "../../lib/charts.js";
import { PIN_STYLES, copySeries, letterAt, pinCurve, pinLegend, setPinTraces } from "../../lib/pin_traces.js";
import { S, charts, t } from "./state.js";

export function pinSnapshot() {
  if (!S.loss.train.x.length) return null;
  const b = S.boundary;
  return { loss: { train: copySeries(S.loss.train), test: copySeries(S.loss.test) },
    acc: { train: copySeries(S.acc.train), test: copySeries(S.acc.test) },
    boundary: b ? { extent: [...b.extent], z: rows(b.z, 255) } : null };
}

export function pinLayers(pins) {
  for (const name of ["loss", "acc"]) {
    setPinTraces(charts[name], pins.flatMap((p) => [
      ...pinCurve(p, p.data[name].train.x, p.data[name].train.y, { color: COLORS.blue, hover: t("legend.train") }),
      ...pinCurve(p, p.data[name].test.x, p.data[name].test.y,
        { color: COLORS.vermillion, legend: false, hover: t("legend.test") }),
    ]));
    pinLegend(charts[name], pins);
  }
  setPinTraces(charts.plane, pins.flatMap(pinBoundary));
}

/** A pinned boundary: the line P(1) = ½ of its network, over the live run's colours. */
function pinBoundary(p) {
  const b = p.data.boundary;
  if (!b) return [];
  const [xmin, xmax, ymin, ymax] = b.extent, res = b.z.length;
  const at = (lo, hi, i) => lo + ((hi - lo) * (i + 0.5)) / res;
  const x = b.z[0].map((_, j) => at(xmin, xmax, j)), y = b.z.map((_, i) => at(ymin, ymax, i));
  const line = { type: "contour", x, y, z: b.z, autocontour: false, showscale: false, hoverinfo: "skip",
    contours: { start: 0.5, end: 0.5, size: 1, coloring: "none" }, name: p.label, showlegend: false,
    line: { color: COLORS.black, width: 2.5, dash: PIN_STYLES[p.letter].dash, smoothing: 0.8 } };
  // its letter where the line crosses a row: each pin's at its own height, so letters do not collide
  const target = res * (0.8 - 0.22 * "ABC".indexOf(p.letter));
  const rowsOrder = y.map((_, i) => i).sort((i, k) => Math.abs(i - target) - Math.abs(k - target));
  for (const i of rowsOrder) {
    const j = b.z[i].findIndex((v, k) => k > 0 && (v >= 0.5) !== (b.z[i][k - 1] >= 0.5));
    if (j > 0) return [line, { ...letterAt(p, x[j], y[i], COLORS.black), textfont: { size: 14, color: COLORS.black },
      zorder: 1 }]; // over the colours, like its line
  }
  return [line];
}

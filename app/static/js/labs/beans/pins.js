// Beans, the pins (lib/pins.js): runs kept from this page, drawn under the live one: their
// cost curves, their last lines through the beans, and their paths on the contour map and
// on the 3-D surface.

import { COLORS } from "../../lib/charts.js";
import { PIN_STYLES, copySeries, pinCurve, pinLegend, pinPath, setPinTraces } from "../../lib/pin_traces.js";

/**
 * The hooks lib/pins.js asks for. `view` = {charts, S: the page's state (the live run's
 * loss and excess Series, its path, its last frame, the log toggle), t(key, vars)}.
 */
export function beansPins({ charts, S, t }) {
  function snapshot() {
    if (!S.loss.x.length) return null;
    const { w = null, b = null } = S.frame?.params ?? {};
    return { loss: copySeries(S.loss), excess: copySeries(S.excess), line: { w, b },
      path: { w: S.path.w.slice(), b: S.path.b.slice(), cost: S.path.cost.slice() } };
  }

  function layers(pins) {
    const curve = (p) => (S.log ? p.data.excess : p.data.loss);
    setPinTraces(charts.loss, pins.flatMap((p) => pinCurve(p, curve(p).x, curve(p).y, { color: COLORS.blue })));
    pinLegend(charts.loss, pins, t("pins.live"));
    setPinTraces(charts.beans, pins.flatMap((p) => {
      const { w, b } = p.data.line;
      return w == null || b == null ? [] : pinCurve(p, [0, 1], [b, w + b], { color: COLORS.vermillion });
    }));
    pinLegend(charts.beans, pins);
    setPinTraces(charts.contour, pins.flatMap((p) => pinPath(p, p.data.path.w, p.data.path.b, COLORS.vermillion)));
    setPinTraces(charts.surface, pins.flatMap((p) => {
      const { w, b, cost } = p.data.path;
      if (!w.length) return [];
      const z = cost.map((c) => c * 1.01 + 1e-3);
      return [{ type: "scatter3d", x: w, y: b, z, mode: "lines", hoverinfo: "skip", name: p.label, showlegend: false,
        line: { color: COLORS.vermillion, width: 4, dash: PIN_STYLES[p.letter].dash }, opacity: 0.7 },
      { type: "scatter3d", x: [w.at(-1)], y: [b.at(-1)], z: [z.at(-1)], mode: "markers+text", text: [p.letter],
        textposition: "top center", textfont: { size: 13, color: COLORS.black }, hoverinfo: "skip", showlegend: false,
        marker: { size: 4, color: COLORS.black, symbol: PIN_STYLES[p.letter].symbol3d } }];
    }));
  }

  return { snapshot, layers };
}

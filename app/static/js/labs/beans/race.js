// The beans race (issue 15): 2–5 optimizers, or one at several rates, from the same start
// in lockstep. Each racer keeps one look on every chart (colour, dash and marker, so it
// reads without colour too); the panel edits the racers and shows the standings, the
// finish line and the winner. Only drawing and editing happen here; the server races.

import { COLORS, Series, appendPath, num } from "../../lib/charts.js";
import { ARROWS, MAX_RACERS, RacePanel as Panel, Racers, STYLES, swatch } from "../../lib/race_panel.js";

export { ARROWS, MAX_RACERS, STYLES, swatch };
export const OWN_PARAMS = ["race", "race_lr", "race_eps"];
const MAX_PATH = 4000;

const DEFAULT_DRAFT = [{ optimizer: "gd", lr: null }, { optimizer: "momentum", lr: null }, { optimizer: "adam", lr: null }];

const range = (n) => Array.from({ length: n }, (_, i) => i);

// -- traces ---------------------------------------------------------------------------

export function contourTraces() {
  const paths = STYLES.map((s) => ({ x: [], y: [], mode: "lines+markers", hoverinfo: "skip",
    line: { color: s.color, width: 2.2, dash: s.dash },
    marker: { symbol: s.symbol, size: 6, color: s.color, maxdisplayed: 12 } }));
  const points = STYLES.map((s) => ({ x: [], y: [], mode: "markers", hovertemplate: "%{text}<br>w=%{x:.4f}, b=%{y:.4f}<extra></extra>",
    text: [], marker: { symbol: s.symbol, size: 12, color: s.color, line: { color: "#fff", width: 1.5 } } }));
  const arrows = ARROWS.map((a) => ({ x: [], y: [], mode: "lines+markers", hoverinfo: "skip", connectgaps: false,
    line: { color: "rgba(27,27,31,0.85)", width: 1.6, dash: a.dash },
    marker: { size: [], symbol: "arrow", angleref: "previous", color: [] } }));
  const finish = { x: [], y: [], mode: "lines", hoverinfo: "skip", line: { color: COLORS.green, width: 1.5, dash: "dot" } };
  return [...paths, ...points, ...arrows, finish];
}

export const surfaceTraces = () => [
  ...STYLES.map((s) => ({ type: "scatter3d", x: [], y: [], z: [], mode: "lines", hoverinfo: "skip",
    line: { color: s.color, width: 5, dash: s.dash } })),
  ...STYLES.map((s) => ({ type: "scatter3d", x: [], y: [], z: [], mode: "markers", hoverinfo: "skip",
    marker: { size: 5, color: s.color, symbol: s.symbol, line: { color: "#fff", width: 1 } } })),
];

export const lossTraces = () => STYLES.map((s) => ({ x: [], y: [], mode: "lines+markers",
  line: { color: s.color, width: 2, dash: s.dash }, marker: { symbol: s.symbol, size: 6, color: s.color, maxdisplayed: 10 },
  hovertemplate: "%{fullData.name}<br>step %{x}<br>%{y:.5f}<extra></extra>" }));

export const lineTraces = () => STYLES.map((s) => ({ x: [], y: [], mode: "lines", hoverinfo: "skip",
  showlegend: false, line: { color: s.color, width: 2.5, dash: s.dash } }));

// -- the race's state -----------------------------------------------------------------

/** A racer's name: its optimizer and its rate (its own, or the lab's live lr). */
export function racerName(r, params, t) {
  return `${t(`param.optimizer.${r.optimizer}`)} · α = ${r.lr ?? params.lr}`;
}

/** The beans' racers: each one's path over the bowl and its cost curves. */
export class Race extends Racers {
  clear() {
    this.paths = range(MAX_RACERS).map(() => ({ w: [], b: [], cost: [] }));
    this.loss = range(MAX_RACERS).map(() => new Series());
    this.excess = range(MAX_RACERS).map(() => new Series());
  }

  record(r, i, f, optCost) {
    appendPath(this.paths[i], r.path, ["w", "b", "cost"], MAX_PATH);
    if (r.loss != null) {
      this.loss[i].push(f.step, r.loss);
      this.excess[i].push(f.step, Math.max(r.loss - (optCost ?? 0), 1e-12));
    }
  }

  /**
   * The contour map's view of the race: the racers' paths and the optimum with a margin,
   * grown (never shrunk) as paths leave it, so a race fills the map instead of a corner.
   * Returns the new [wLo, wHi, bLo, bHi], or null when `shown` still holds everything.
   */
  view(optimum, shown) {
    if (!this.frame || !optimum) return null;
    const ws = [optimum.w], bs = [optimum.b];
    this.frame.forEach((r, i) => {
      if (r.diverged) return; // a blown-up racer would zoom the race away
      ws.push(...this.paths[i].w);
      bs.push(...this.paths[i].b);
    });
    const lo = (a) => Math.min(...a), hi = (a) => Math.max(...a);
    const box = [lo(ws), hi(ws), lo(bs), hi(bs)];
    if (shown && box[0] >= shown[0] && box[1] <= shown[1] && box[2] >= shown[2] && box[3] <= shown[3]) return null;
    const pw = Math.max(0.25 * (box[1] - box[0]), 0.1), pb = Math.max(0.25 * (box[3] - box[2]), 0.1);
    return [box[0] - pw, box[1] + pw, box[2] - pb, box[3] + pb];
  }

  /** Stage every race trace; `base` = each chart's first race trace index. */
  stage(charts, base, { span, optimum, params, t, log }) {
    const racers = this.frame ?? [];
    const n = racers.length;
    const c = charts.contour, s = charts.surface;
    for (const i of range(MAX_RACERS)) {
      const r = racers[i], p = this.paths[i], on = i < n;
      const name = on ? racerName(r, params, t) : "";
      c.set(base.contour + i, { x: on ? p.w : [], y: on ? p.b : [], name });
      const here = on && r.params.w != null && r.params.b != null;
      c.set(base.contour + MAX_RACERS + i, here ? { x: [r.params.w], y: [r.params.b], text: [name] } : { x: [], y: [], text: [] });
      s.set(base.surface + i, on ? { x: p.w, y: p.b, z: p.cost.map((v) => v * 1.01 + 1e-3) } : { x: [], y: [], z: [] });
      s.set(base.surface + MAX_RACERS + i, here ? { x: [r.params.w], y: [r.params.b], z: [r.loss] } : { x: [], y: [], z: [] });
      const series = (log ? this.excess : this.loss)[i];
      charts.loss.set(base.loss + i, on ? { x: series.x, y: series.y, name } : { x: [], y: [], name: "" });
      charts.beans.set(base.beans + i, here ? { x: [0, 1], y: [r.params.b, r.params.w + r.params.b] } : { x: [], y: [] });
    }
    ARROWS.forEach((a, k) => c.set(base.contour + 2 * MAX_RACERS + k, arrowTrace(racers, a.key, span)));
    c.set(base.contour + 2 * MAX_RACERS + ARROWS.length, n && optimum ? circle(optimum, this.finish.eps) : { x: [], y: [] });
  }
}

/** One arrow per racer from its point: −gradient, −velocity or its last step. Lengths are
 * scaled together within a kind (the longest 15 % of the view), so racers compare. */
function arrowTrace(racers, key, span) {
  const sign = key === "step" ? 1 : -1;
  const vecs = racers.map((r) => (r.diverged || r.params.w == null ? null : r[key]));
  const size = (v) => (v ? Math.hypot(v.w, v.b) : 0);
  const longest = Math.max(0, ...vecs.map(size));
  const x = [], y = [], sizes = [], colors = [];
  vecs.forEach((v, i) => {
    if (!v || !(size(v) > 0) || !(longest > 0)) return;
    const len = span * (0.04 + 0.11 * size(v) / longest), k = (sign * len) / size(v);
    const { w, b } = racers[i].params;
    x.push(w, w + k * v.w, null);
    y.push(b, b + k * v.b, null);
    sizes.push(0, 10, 0);
    colors.push(STYLES[i].color, STYLES[i].color, STYLES[i].color);
  });
  return { x, y, "marker.size": [sizes], "marker.color": [colors] };
}

function circle(o, eps) {
  const ts = range(49).map((i) => (2 * Math.PI * i) / 48);
  return { x: ts.map((a) => o.w + eps * Math.cos(a)), y: ts.map((a) => o.b + eps * Math.sin(a)) };
}

// -- the panel: lib/race_panel.js, with the beans' racers ----------------------------------

// What the panel shows of a beans racer: its distance to the optimum, the arrows' key.
const BEANS_KIND = {
  costs: null, // one cost: the mean squared error
  defaults: DEFAULT_DRAFT,
  eps: 0.01,
  epsMax: 1,
  arrows: true,
  name: racerName,
  loss: (r) => r.loss,
  status: (r, t) => `${t("race.distance")} ${num(r.distance, 4)}`,
};

/** The race panel of the beans page: see lib/race_panel.js. */
export class RacePanel extends Panel {
  constructor(root, ctx, race, onSelect) {
    super(root, ctx, race, onSelect, BEANS_KIND);
  }
}

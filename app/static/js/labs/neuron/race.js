// The neuron race (issue 15): 2–5 racers, each a cost and an optimizer (and a rate), from
// the same start, usually the saturated one. Each racer keeps the beans race's look on
// every chart (colour, dash and marker: it reads without colour too): its output a and
// its cost against the epoch, its point on σ(z), its path on its own cost's surface. The
// finish line is on the output: |a − y| ≤ ε. Only drawing happens here; the server races.

import { COLORS, Series, appendPath, num, pathShown } from "../../lib/charts.js";
import { copySeries } from "../../lib/pin_traces.js";
import { MAX_RACERS, RacePanel, Racers, STYLES, swatch } from "../../lib/race_panel.js";

export const OWN_PARAMS = ["race", "race_cost", "race_lr", "race_eps"];
const COSTS = ["quadratic", "cross_entropy"];
const MAX_PATH = 6000;
const range = (n) => Array.from({ length: n }, (_, i) => i);

/** A racer's name: its cost, its optimizer and its rate (its own, or the lab's live lr). */
export function racerName(r, params, t) {
  return `${t(`race.short.${r.cost_name}`)} · ${t(`race.short.${r.optimizer}`)} · η = ${r.lr ?? params.lr}`;
}

// -- traces, added to each chart after its own while a race runs ------------------------

const line = (s, extra = {}) => ({ x: [], y: [], mode: "lines+markers", showlegend: false,
  line: { color: s.color, width: 2.2, dash: s.dash }, marker: { symbol: s.symbol, size: 7, color: s.color, maxdisplayed: 10 },
  hovertemplate: "%{fullData.name}<br>%{x}: %{y:.4f}<extra></extra>", ...extra });
const point = (s, size = 12) => ({ x: [], y: [], mode: "markers", showlegend: false, text: [],
  hovertemplate: "%{text}<extra></extra>",
  marker: { symbol: s.symbol, size, color: s.color, line: { color: "#fff", width: 1.5 } } });

export const TRACES = {
  // a per racer, then the finish line (y ± ε) and the winners' stars on it
  output: () => [...STYLES.map((s) => line(s)),
    { x: [], y: [], mode: "lines", hoverinfo: "skip", showlegend: false, line: { color: COLORS.green, width: 1.5, dash: "dash" } },
    { x: [], y: [], mode: "markers+text", showlegend: false, text: [], textposition: "top center", hoverinfo: "skip",
      textfont: { size: 12, color: COLORS.green }, marker: { symbol: "star", size: 15, color: [], line: { color: COLORS.black, width: 1 } } }],
  cost: () => STYLES.map((s) => line(s)),
  sigmoid: () => STYLES.map((s) => point(s)),
  quadratic: () => [...STYLES.map((s) => line(s, { hoverinfo: "skip", marker: { symbol: s.symbol, size: 6, color: s.color, maxdisplayed: 12 } })), ...STYLES.map((s) => point(s))],
  cross_entropy: () => [...STYLES.map((s) => line(s, { hoverinfo: "skip", marker: { symbol: s.symbol, size: 6, color: s.color, maxdisplayed: 12 } })), ...STYLES.map((s) => point(s))],
};

// -- the race's state -------------------------------------------------------------------

/** The neuron's racers: each one's output and cost curves and its path over its cost. */
export class NeuronRace extends Racers {
  clear() {
    this.runs = range(MAX_RACERS).map(() => ({ a: new Series(), cost: new Series(), path: { w: [], b: [] } }));
  }

  record(r, i, f) {
    const R = this.runs[i];
    if (r.a != null && !r.diverged) R.a.push(f.epoch, r.a);
    if (r.cost != null && !r.diverged) R.cost.push(f.epoch, Math.max(r.cost, 1e-12));
    appendPath(R.path, r.path, ["w", "b"], MAX_PATH, f.step);
  }

  /** The z of every racer, for the σ chart's span. */
  zs() {
    return (this.frame ?? []).map((r) => r.z).filter((z) => z != null && Number.isFinite(z));
  }

  /** Stage every race trace; `base` = each chart's first race trace index. */
  stage(charts, base, { params, t, y, xMax }) {
    const racers = this.frame ?? [];
    for (const i of range(MAX_RACERS)) {
      const r = racers[i], R = this.runs[i], on = !!r;
      const name = on ? racerName(r, params, t) : "";
      charts.output.set(base.output + i, on ? { x: R.a.x, y: R.a.y, name } : { x: [], y: [], name: "" });
      charts.cost.set(base.cost + i, on ? { x: R.cost.x, y: R.cost.y, name } : { x: [], y: [], name: "" });
      const here = on && r.z != null && !r.diverged;
      const tip = here ? `${name}<br>z = ${num(r.z)}, a = ${num(r.a, 4)}` : "";
      charts.sigmoid.set(base.sigmoid + i, here ? { x: [r.z], y: [r.a], text: [tip] } : { x: [], y: [], text: [] });
      for (const cost of COSTS) {
        const mine = on && r.cost_name === cost, path = mine ? pathShown(R.path) : null;
        charts[cost].set(base[cost] + i, mine ? { x: path.w, y: path.b } : { x: [], y: [] });
        charts[cost].set(base[cost] + MAX_RACERS + i, mine && here
          ? { x: [r.w], y: [r.b], text: [`${name}<br>w = ${num(r.w, 4)}, b = ${num(r.b, 4)}`] } : { x: [], y: [], text: [] });
      }
    }
    const eps = this.finish?.eps ?? 0;
    const ys = [y + eps, y - eps].filter((v) => v >= 0 && v <= 1);
    charts.output.set(base.output + MAX_RACERS, { x: ys.flatMap((v) => [0, xMax, null]), y: ys.flatMap((v) => [v, v, null]) });
    const won = this.finish?.winners ?? [];
    const k = this.finish?.step, at = y + eps <= 1 ? y + eps : y - eps;
    charts.output.set(base.output + MAX_RACERS + 1, won.length
      ? { x: won.map(() => k), y: won.map(() => at), text: won.map((_, j) => (j ? "" : `★ ${k}`)),
        "marker.color": [won.map((i) => STYLES[i].color)] }
      : { x: [], y: [], text: [] });
  }
}

/** A pin of the race (lib/pins.js): each racer's curves and path, and its name then. */
export function raceSnapshot(race, params, t) {
  return race.frame.map((r, i) => {
    const R = race.runs[i];
    return { i, cost_name: r.cost_name, name: racerName(r, params, t), a: copySeries(R.a), cost: copySeries(R.cost),
      path: { w: R.path.w.slice(), b: R.path.b.slice() } };
  });
}

// -- the gradients panel in a race: each racer's numbers and its last step ---------------

export function gradientsHtml(race, params, t, sample) {
  const rows = (race.frame ?? []).map((r, i) => {
    const picked = i === race.selected ? " picked" : "";
    const head = `<h3>${swatch(i)}<span>${racerName(r, params, t)}</span></h3>`;
    if (r.diverged) return `<div class="run racer${picked}">${head}<p class="off">${t("race.diverged")}</p></div>`;
    const state = `<div class="state">z = ${num(r.z)} · a = ${num(r.a, 4)} · |a − y| = ${num(r.gap, 4)} · C = ${num(r.cost, 4)}</div>`;
    const g = `<div class="eq">∂C/∂w = <b>${num(r.grad.w, 4)}</b>, ∂C/∂b = <b>${num(r.grad.b, 4)}</b></div>`;
    const v = r.velocity ? `<div class="eq">v = (${num(r.velocity.w, 4)}, ${num(r.velocity.b, 4)})</div>` : "";
    const step = r.step ? `<div class="eq">Δ(w, b) = (${num(r.step.w, 4)}, ${num(r.step.b, 4)})</div>` : "";
    return `<div class="run racer${picked}">${head}${state}${g}${v}${step}</div>`;
  });
  return `${rows.join("")}<p class="takeaway">${t("race.takeaway", { x: num(sample.x, 2), y: num(sample.y, 2) })}</p>`;
}

// -- the panel: the beans race's, with a cost per racer -----------------------------------

const DEFAULTS = [{ optimizer: "gd", cost: "quadratic", lr: null }, { optimizer: "gd", cost: "cross_entropy", lr: null },
  { optimizer: "adam", cost: "quadratic", lr: null }];

export function racePanel(root, ctx, race, onSelect) {
  return new RacePanel(root, ctx, race, onSelect, {
    costs: COSTS, defaults: DEFAULTS, eps: 0.05, epsMax: 0.5, arrows: false, rate: "η", name: racerName,
    optimizerLabel: (o, t) => t(`race.short.${o}`),
    loss: (r) => r.cost, status: (r, t) => `|a − y| = ${num(r.gap, 4)}`,
  });
}

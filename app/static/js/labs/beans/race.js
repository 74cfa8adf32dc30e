// The beans race (issue 15): 2–5 optimizers, or one at several rates, from the same start
// in lockstep. Each racer keeps one look on every chart (colour, dash and marker, so it
// reads without colour too); the panel edits the racers and shows the standings, the
// finish line and the winner. Only drawing and editing happen here; the server races.

import { COLORS, Series, appendPath, num } from "../../lib/charts.js";

export const MAX_RACERS = 5;
export const OWN_PARAMS = ["race", "race_lr", "race_eps"];
const OPTIMIZERS = ["gd", "momentum", "nesterov", "rmsprop", "adam"];
const MAX_PATH = 4000;

// symbols and dashes that both 2-D and 3-D Plotly traces know
export const STYLES = [
  { color: COLORS.vermillion, dash: "solid", symbol: "circle", svgDash: "" },
  { color: COLORS.black, dash: "dash", symbol: "square", svgDash: "6 3" },
  { color: COLORS.orange, dash: "dot", symbol: "diamond", svgDash: "2 3" },
  { color: COLORS.purple, dash: "dashdot", symbol: "cross", svgDash: "7 3 2 3" },
  { color: COLORS.green, dash: "longdash", symbol: "x", svgDash: "11 4" },
];
// the arrows drawn at each racer's point, told apart by their line
export const ARROWS = [
  { key: "grad", dash: "solid", svgDash: "" },
  { key: "velocity", dash: "dash", svgDash: "5 3" },
  { key: "step", dash: "dot", svgDash: "2 2" },
];
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

/** A swatch of racer i's look (or an arrow's line): the legend that works without colour. */
export function swatch(i, arrow = null) {
  if (arrow) {
    return `<svg class="swatch" width="34" height="12" aria-hidden="true"><line x1="1" y1="6" x2="27" y2="6" stroke="#1b1b1f" stroke-width="1.8" stroke-dasharray="${arrow.svgDash}"/><path d="M26 2 L33 6 L26 10 Z" fill="#1b1b1f"/></svg>`;
  }
  const s = STYLES[i], c = s.color;
  const marks = {
    circle: `<circle cx="17" cy="6" r="4" fill="${c}" stroke="#fff"/>`,
    square: `<rect x="13" y="2" width="8" height="8" fill="${c}" stroke="#fff"/>`,
    diamond: `<path d="M17 1 L22 6 L17 11 L12 6 Z" fill="${c}" stroke="#fff"/>`,
    cross: `<path d="M17 1 V11 M12 6 H22" stroke="${c}" stroke-width="3"/>`,
    x: `<path d="M13 2 L21 10 M21 2 L13 10" stroke="${c}" stroke-width="2.6"/>`,
  };
  return `<svg class="swatch" width="34" height="12" aria-hidden="true"><line x1="1" y1="6" x2="33" y2="6" stroke="${c}" stroke-width="2.4" stroke-dasharray="${s.svgDash}"/>${marks[s.symbol]}</svg>`;
}

export class Race {
  constructor() {
    this.frame = null; // the last frame's race entries, or null outside a race
    this.finish = null;
    this.selected = 0; // whose update the rule panel shows
    this.clear();
  }

  clear() {
    this.paths = range(MAX_RACERS).map(() => ({ w: [], b: [], cost: [] }));
    this.loss = range(MAX_RACERS).map(() => new Series());
    this.excess = range(MAX_RACERS).map(() => new Series());
  }

  onFrame(f, optCost) {
    this.finish = f.finish;
    if (!f.race) {
      if (this.frame) this.clear();
      this.frame = null;
      return;
    }
    this.frame = f.race;
    if (this.selected >= f.race.length) this.selected = 0;
    f.race.forEach((r, i) => {
      appendPath(this.paths[i], r.path, ["w", "b", "cost"], MAX_PATH);
      if (r.loss != null) {
        this.loss[i].push(f.step, r.loss);
        this.excess[i].push(f.step, Math.max(r.loss - (optCost ?? 0), 1e-12));
      }
    });
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

// -- the panel ------------------------------------------------------------------------

/**
 * The race panel in `root`: the racers' editor (optimizer, own rate, ε) with Start and End,
 * the standings and the winner. `ctx` = {t, send, params}; `onSelect(i)` picks whose
 * update the rule panel shows.
 */
export class RacePanel {
  constructor(root, ctx, race, onSelect) {
    Object.assign(this, { root, ctx, race, onSelect });
    this.draft = DEFAULT_DRAFT.map((r) => ({ ...r }));
    this.eps = 0.01;
    root.addEventListener("click", (ev) => this.click(ev));
    root.addEventListener("change", (ev) => this.edit(ev));
    this.render();
  }

  /** The params in force changed: a running race is what the editor shows. */
  sync(params) {
    if (params.race?.length) {
      this.draft = params.race.map((o, i) => ({ optimizer: o, lr: params.race_lr?.[i] ?? null }));
    }
    this.eps = params.race_eps ?? this.eps;
    this.render();
  }

  click(ev) {
    const b = ev.target.closest("button");
    if (!b || b.disabled) return;
    const { act, i } = b.dataset;
    if (act === "add" && this.draft.length < MAX_RACERS) this.draft.push({ optimizer: "nesterov", lr: null });
    else if (act === "remove") this.draft.splice(Number(i), 1);
    else if (act === "start") this.start();
    else if (act === "stop") this.ctx.send("configure", { params: { race: [], race_lr: [] } });
    else if (act === "pick") {
      this.race.selected = Number(i);
      this.onSelect();
      return this.update();
    }
    this.render();
  }

  edit(ev) {
    const el = ev.target, i = Number(el.dataset.i);
    if (el.dataset.field === "optimizer") this.draft[i].optimizer = el.value;
    if (el.dataset.field === "lr") this.draft[i].lr = el.value === "" ? null : Number(el.value);
    if (el.dataset.field === "eps" && Number(el.value) > 0) this.eps = Number(el.value);
  }

  start() {
    const lr = this.ctx.params().lr;
    const own = this.draft.some((r) => r.lr != null);
    this.ctx.send("configure", { params: { race: this.draft.map((r) => r.optimizer),
      race_lr: own ? this.draft.map((r) => r.lr ?? lr) : [], race_eps: this.eps } });
  }

  /** The editor: rebuilt when the racers or the language change, not on every frame. */
  render() {
    const { t } = this.ctx;
    const racing = !!this.race.frame;
    this.racing = racing;
    if (!this.root.querySelector(".race-status")) {
      this.root.innerHTML = `<div class="race-status" aria-live="polite"></div><div class="race-editor"></div><div class="race-key"></div>`;
    }
    this.shown = null;
    const options = (v) => OPTIMIZERS.map((o) => `<option value="${o}"${o === v ? " selected" : ""}>${t(`param.optimizer.${o}`)}</option>`).join("");
    const rows = this.draft.map((r, i) => `<div class="race-row">${swatch(i)}
      <select data-field="optimizer" data-i="${i}" aria-label="${t("race.optimizer", { i: i + 1 })}" title="${t("race.optimizer.tip")}">${options(r.optimizer)}</select>
      <input type="number" class="ctl-num" data-field="lr" data-i="${i}" min="0.0001" max="10" step="any" value="${r.lr ?? ""}"
        placeholder="α = ${this.ctx.params().lr}" aria-label="${t("race.lr", { i: i + 1 })}" title="${t("race.lr.tip")}">
      <button type="button" class="mini" data-act="remove" data-i="${i}" title="${t("race.remove")}" aria-label="${t("race.remove")}"${this.draft.length <= 2 ? " disabled" : ""}>×</button></div>`);
    this.root.querySelector(".race-editor").innerHTML = `${rows.join("")}
      <div class="race-actions">
        <button type="button" class="mini" data-act="add" title="${t("race.add")}"${this.draft.length >= MAX_RACERS ? " disabled" : ""}>+ ${t("race.add_short")}</button>
        <label class="race-eps" title="${t("race.eps.tip")}">ε <input type="number" class="ctl-num" data-field="eps" min="0.0001" max="1" step="any" value="${this.eps}" aria-label="${t("race.eps")}"></label>
        <button type="button" class="race-go" data-act="start" title="${t("race.start.tip")}">${t(racing ? "race.restart" : "race.start")}</button>
        ${racing ? `<button type="button" data-act="stop" title="${t("race.stop.tip")}">${t("race.stop")}</button>` : ""}
      </div>`;
    this.root.querySelector(".race-key").innerHTML = racing
      ? ARROWS.map((a) => `<span>${swatch(0, a)} ${t(`race.arrow.${a.key}`)}</span>`).join("") : "";
    this.update();
  }

  /** The standings and the winner: every drawn frame. */
  update() {
    if (!!this.race.frame !== this.racing) return this.render();
    const html = this.result() + (this.racing ? this.standings() : "");
    if (html !== this.shown) this.root.querySelector(".race-status").innerHTML = html;
    this.shown = html;
  }

  result() {
    const { t } = this.ctx, f = this.race.finish, racers = this.race.frame;
    if (!racers) return `<p class="muted">${t("race.idle")}</p>`;
    if (!f?.winners?.length) return `<p>${t("race.none_yet", { eps: f?.eps ?? this.eps })}</p>`;
    const names = f.winners.map((i) => racerName(racers[i], this.ctx.params(), t)).join(", ");
    return `<p class="race-winner">★ ${t(f.winners.length > 1 ? "race.tie" : "race.winner", { name: names, k: f.step, eps: f.eps })}</p>`;
  }

  standings() {
    const { t } = this.ctx, racers = this.race.frame, params = this.ctx.params();
    const rows = racers.map((r, i) => {
      const status = r.diverged ? t("race.diverged")
        : r.finish != null ? t("race.finished", { k: r.finish }) : `${t("race.distance")} ${num(r.distance, 4)}`;
      const won = this.race.finish?.winners?.includes(i);
      return `<tr class="${won ? "won" : ""}${i === this.race.selected ? " picked" : ""}"><td>${swatch(i)}</td>
        <td><button type="button" class="linkish" data-act="pick" data-i="${i}" title="${t("race.pick")}" aria-pressed="${i === this.race.selected}">${racerName(r, params, t)}</button></td>
        <td class="num">${r.loss == null ? "—" : num(r.loss, 5)}</td><td>${won ? "★ " : ""}${status}</td></tr>`;
    });
    return `<table class="race-table"><thead><tr><th></th><th>${t("race.col.racer")}</th><th>C</th><th>${t("race.col.status")}</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
  }
}

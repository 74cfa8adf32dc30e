// The race panel (issue 15), shared by the labs that race: the racers' editor, the
// standings and the winner; and each racer's look on every chart (colour, dash and
// marker, so it reads without colour too). A lab's own module draws its racers.

import { COLORS, num } from "./charts.js";
import { setPinTraces } from "./pin_traces.js";

export const MAX_RACERS = 5;
const OPTIMIZERS = ["gd", "momentum", "nesterov", "rmsprop", "adam"];

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

/**
 * The racers of the last frame (`frame`: its `race` entries, null outside a race), its
 * finish line, and whatever a lab keeps of each racer: a subclass's `clear()` and
 * `record(entry, i, frame, ...extra)`, called for every racer of every frame.
 */
export class Racers {
  constructor() {
    this.frame = null;
    this.finish = null;
    this.selected = 0; // the racer picked in the standings
    this.clear();
  }

  clear() {}

  onFrame(f, ...extra) {
    this.finish = f.finish;
    if (!f.race) {
      if (this.frame) this.clear();
      this.frame = null;
      return;
    }
    this.frame = f.race;
    if (this.selected >= f.race.length) this.selected = 0;
    f.race.forEach((r, i) => this.record(r, i, f, ...extra));
  }
}

/**
 * Put the racers' traces on each chart after its own (`makers[name]()` from index
 * `bases[name]`), or take them off: they exist only during a race, so a plain run's charts
 * repaint as fast as before (two dozen empty traces made each frame about 15 % slower to
 * paint). Pinned runs' traces follow a chart's own: taken off first, redrawn by `pins`.
 */
export function showRaceTraces(charts, makers, bases, on, pins) {
  for (const [name, make] of Object.entries(makers)) {
    const chart = charts[name], base = bases[name];
    for (const i of [...chart.pending.keys()]) if (i >= base) chart.pending.delete(i);
    setPinTraces(chart, []);
    const count = chart.el.data.length - base;
    if (on) Plotly.addTraces(chart.el, make());
    else if (count > 0) Plotly.deleteTraces(chart.el, Array.from({ length: count }, (_, i) => base + i));
  }
  pins?.redraw();
}

/**
 * The race panel in `root`: the racers' editor (optimizer, own rate, ε; a cost too if the
 * lab has several) with Start and End, the standings and the winner. `ctx` = {t, send,
 * params}; `race` = {frame, finish, selected}: the lab's racers; `onSelect(i)` picks a
 * racer; `kind` says what the lab's racers are:
 *   costs     null, or the cost names a racer picks from (param race_cost)
 *   defaults  the first draft's racers, [{optimizer, lr, cost}]
 *   eps, epsMax  the finish line's default and largest ε
 *   arrows    whether the arrows' key shows under the editor
 *   rate      the learning rate's letter (α unless given)
 *   optimizerLabel(o, t)  an optimizer's name in the editor (its param's, unless given)
 *   name(r, params, t), loss(r), status(r, t)  a racer's name, cost and distance to go
 */
export class RacePanel {
  constructor(root, ctx, race, onSelect, kind) {
    Object.assign(this, { root, ctx, race, onSelect, kind });
    this.draft = this.kind.defaults.map((r) => ({ ...r }));
    this.eps = this.kind.eps;
    root.addEventListener("click", (ev) => this.click(ev));
    root.addEventListener("change", (ev) => this.edit(ev));
    this.render();
  }

  /** The params in force changed: a running race is what the editor shows. */
  sync(params) {
    if (params.race?.length) {
      this.draft = params.race.map((o, i) => ({ optimizer: o, lr: params.race_lr?.[i] ?? null,
        cost: params.race_cost?.[i] ?? this.kind.costs?.[0] }));
    }
    this.eps = params.race_eps ?? this.eps;
    this.render();
  }

  click(ev) {
    const b = ev.target.closest("button");
    if (!b || b.disabled) return;
    const { act, i } = b.dataset;
    if (act === "add" && this.draft.length < MAX_RACERS) this.draft.push({ optimizer: "nesterov", lr: null, cost: this.kind.costs?.[0] });
    else if (act === "remove") this.draft.splice(Number(i), 1);
    else if (act === "start") this.start();
    else if (act === "stop") this.ctx.send("configure", { params: { race: [], race_lr: [], ...(this.kind.costs ? { race_cost: [] } : {}) } });
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
    if (el.dataset.field === "cost") this.draft[i].cost = el.value;
    if (el.dataset.field === "lr") this.draft[i].lr = el.value === "" ? null : Number(el.value);
    if (el.dataset.field === "eps" && Number(el.value) > 0) this.eps = Number(el.value);
  }

  start() {
    const lr = this.ctx.params().lr;
    const own = this.draft.some((r) => r.lr != null);
    this.ctx.send("configure", { params: { race: this.draft.map((r) => r.optimizer),
      race_lr: own ? this.draft.map((r) => r.lr ?? lr) : [], race_eps: this.eps,
      ...(this.kind.costs ? { race_cost: this.draft.map((r) => r.cost) } : {}) } });
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
    const options = (v) => OPTIMIZERS.map((o) => `<option value="${o}"${o === v ? " selected" : ""}>${(this.kind.optimizerLabel ?? ((k) => t(`param.optimizer.${k}`)))(o, t)}</option>`).join("");
    const costs = (v, i) => !this.kind.costs ? "" : `<select data-field="cost" data-i="${i}" aria-label="${t("race.cost", { i: i + 1 })}" title="${t("race.cost.tip")}">${
      this.kind.costs.map((c) => `<option value="${c}"${c === v ? " selected" : ""}>${t(`race.short.${c}`)}</option>`).join("")}</select>`;
    const rows = this.draft.map((r, i) => `<div class="race-row">${swatch(i)}${costs(r.cost, i)}
      <select data-field="optimizer" data-i="${i}" aria-label="${t("race.optimizer", { i: i + 1 })}" title="${t("race.optimizer.tip")}">${options(r.optimizer)}</select>
      <input type="number" class="ctl-num" data-field="lr" data-i="${i}" min="0.0001" max="10" step="any" value="${r.lr ?? ""}"
        placeholder="${this.kind.rate ?? "α"} = ${this.ctx.params().lr}" aria-label="${t("race.lr", { i: i + 1 })}" title="${t("race.lr.tip")}">
      <button type="button" class="mini" data-act="remove" data-i="${i}" title="${t("race.remove")}" aria-label="${t("race.remove")}"${this.draft.length <= 2 ? " disabled" : ""}>×</button></div>`);
    this.root.querySelector(".race-editor").innerHTML = `${rows.join("")}
      <div class="race-actions">
        <button type="button" class="mini" data-act="add" title="${t("race.add")}"${this.draft.length >= MAX_RACERS ? " disabled" : ""}>+ ${t("race.add_short")}</button>
        <label class="race-eps" title="${t("race.eps.tip")}">ε <input type="number" class="ctl-num" data-field="eps" min="0.0001" max="${this.kind.epsMax}" step="any" value="${this.eps}" aria-label="${t("race.eps")}"></label>
        <button type="button" class="btn primary race-go" data-act="start" title="${t("race.start.tip")}">${t(racing ? "race.restart" : "race.start")}</button>
        ${racing ? `<button type="button" class="btn" data-act="stop" title="${t("race.stop.tip")}">${t("race.stop")}</button>` : ""}
      </div>`;
    this.root.querySelector(".race-key").innerHTML = racing && this.kind.arrows
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
    const names = f.winners.map((i) => this.kind.name(racers[i], this.ctx.params(), t)).join(", ");
    return `<p class="race-winner">★ ${t(f.winners.length > 1 ? "race.tie" : "race.winner", { name: names, k: f.step, eps: f.eps })}</p>`;
  }

  standings() {
    const { t } = this.ctx, racers = this.race.frame, params = this.ctx.params();
    const rows = racers.map((r, i) => {
      const status = r.diverged ? t("race.diverged")
        : r.finish != null ? t("race.finished", { k: r.finish }) : this.kind.status(r, t);
      const won = this.race.finish?.winners?.includes(i);
      return `<tr class="${won ? "won" : ""}${i === this.race.selected ? " picked" : ""}"><td>${swatch(i)}</td>
        <td><button type="button" class="linkish" data-act="pick" data-i="${i}" title="${t("race.pick")}" aria-pressed="${i === this.race.selected}">${this.kind.name(r, params, t)}</button></td>
        <td class="num">${this.kind.loss(r) == null ? "—" : num(this.kind.loss(r), 5)}</td><td>${won ? "★ " : ""}${status}</td></tr>`;
    });
    return `<table class="race-table"><thead><tr><th></th><th>${t("race.col.racer")}</th><th>C</th><th>${t("race.col.status")}</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
  }
}

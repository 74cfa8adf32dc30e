// Plotly helpers that take plain arrays. One look for every chart, colours
// from the Okabe–Ito palette (safe for the common colour-vision deficiencies),
// and a batched `draw` so each chart repaints at most once per animation frame.

export { Series, appendPath, cutAfter, num, paren, pathShown, showUpTo } from "./series.js";
export { allDrawn, drawTick } from "./budget.js";
import { BUDGET_MS, SLOW_GAP, budget } from "./budget.js";

export const COLORS = {
  blue: "#0072B2",
  orange: "#E69F00",
  vermillion: "#D55E00",
  green: "#009E73",
  sky: "#56B4E9",
  yellow: "#F0E442",
  purple: "#CC79A7",
  black: "#1b1b1f",
  grey: "#8a8f98",
};

const CONFIG = { displaylogo: false, responsive: true, displayModeBar: "hover" };
const TEXT = { png: "Download as PNG", camera: "Reset the view" };
const IS_3D = new Set(["surface", "scatter3d", "mesh3d"]);
const DEFAULT_CAMERA = { eye: { x: 1.25, y: 1.25, z: 1.25 }, center: { x: 0, y: 0, z: 0 }, up: { x: 0, y: 0, z: 1 } };

/**
 * Resolves once the deferred Plotly script (#plotly-js) has run, so a page can open its
 * socket while Plotly downloads and parses; rejects when it cannot load.
 */
export function plotlyReady() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  const script = document.getElementById("plotly-js");
  return new Promise((resolve, reject) => {
    if (!script) reject(new Error("no Plotly script on the page"));
    script?.addEventListener("load", () => resolve(window.Plotly));
    script?.addEventListener("error", () => reject(new Error(`cannot load ${script.src}`)));
  });
}

/** Plotly's own words (zoom hints, snapshot notes) in the page's language: "zh-CN" or "en". */
export function plotLocale() {
  return document.documentElement.lang === "zh-CN" ? "zh-CN" : "en";
}

/** UI text of the charts' own buttons ({png, camera}); relabels the charts already drawn. */
export function setChartText(text) {
  Object.assign(TEXT, text);
  // charts drawn before a language switch: their next hint speaks the new language
  document.querySelectorAll(".js-plotly-plot").forEach((gd) => {
    if (gd._context) gd._context.locale = plotLocale();
  });
  for (const [attr, title] of Object.entries(TEXT)) {
    document.querySelectorAll(`.js-plotly-plot .modebar-btn[data-attr='${attr}']`).forEach((b) => {
      b.setAttribute("data-title", title);
      b.setAttribute("aria-label", title);
    });
  }
}

/**
 * Plotly's modebar, shown on hover, with one button: a PNG of the chart as drawn (twice
 * the pixels), saved as <lab>-<chart>.png. A 3-D chart also gets "reset the view", since a
 * double click (which resets a 2-D chart) does not turn the camera back.
 */
function modeBar(el, traces, layout) {
  const lab = document.body.dataset.lab ?? "descent";
  const png = {
    name: "png", attr: "png", icon: Plotly.Icons.camera, title: () => TEXT.png,
    click: (gd) => Plotly.downloadImage(gd, { format: "png", scale: 2,
      filename: `${lab}-${el.id.replace(/^chart-/, "")}` }),
  };
  if (!traces.some((t) => IS_3D.has(t.type))) return { modeBarButtons: [[png]] };
  const camera = structuredClone(layout.scene?.camera ?? DEFAULT_CAMERA);
  const reset = {
    name: "camera", attr: "camera", icon: Plotly.Icons.home, title: () => TEXT.camera,
    click: (gd) => Plotly.relayout(gd, { "scene.camera": structuredClone(camera) }),
  };
  return { modeBarButtons: [[png, reset]] };
}

const AXIS = { zeroline: false, gridcolor: "#eceef2", automargin: true };

/** The shared look; `extra` overrides it, and its axes add to the default axis style. */
export function baseLayout(extra = {}) {
  return {
    margin: { l: 52, r: 14, t: 8, b: 42 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "#ffffff",
    font: { family: "Inter, 'Noto Sans SC', 'Noto Sans CJK SC', system-ui, sans-serif", size: 12, color: "#2b2d33" },
    showlegend: false,
    hovermode: "closest",
    modebar: { bgcolor: "rgba(255,255,255,0.85)", color: "#8a8f98", activecolor: COLORS.blue },
    uirevision: "keep", // keep the learner's zoom and rotation across updates
    ...extra,
    xaxis: { ...AXIS, ...extra.xaxis },
    yaxis: { ...AXIS, ...extra.yaxis },
  };
}

/**
 * Charts follow their boxes. The CSS sizes a chart's box for the screen (shorter on a
 * phone, site.css), and the box also changes when a phone turns or a panel above it
 * grows; Plotly's own `responsive` only listens to the window. Redraw at most once a frame.
 */
const fitting = new Set();
const sizes = new WeakMap();
const boxes = typeof ResizeObserver === "undefined" ? null : new ResizeObserver((entries) => {
  for (const { target, contentRect: r } of entries) {
    const size = `${Math.round(r.width)}x${Math.round(r.height)}`;
    const before = sizes.get(target);
    sizes.set(target, size);
    if (before === undefined || before === size) continue; // first sight: drawn at this size
    if (target._fullLayout && r.width > 0 && r.height > 0) fitting.add(target);
  }
  if (fitting.size) requestAnimationFrame(() => {
    for (const gd of fitting) fit(gd, 2);
    fitting.clear();
  });
});

/** Redraw `gd` at its box's size, and check: Plotly's autosize sometimes keeps the old size
 * (seen on circles' square plane after a phone turned and back), and no new box change would
 * say so; then the box's size is given explicitly. */
function fit(gd, tries) {
  if (!gd.isConnected || !gd._fullLayout) return;
  Plotly.Plots.resize(gd).then(() => {
    const svg = gd.querySelector(".main-svg");
    const box = gd.getBoundingClientRect();
    const off = svg && box.height > 0 && Math.abs(svg.getBoundingClientRect().height - box.height) > 1;
    if (!off) return;
    if (tries > 1) setTimeout(() => fit(gd, tries - 1), 100);
    else Plotly.relayout(gd, { width: Math.round(box.width), height: Math.round(box.height) });
  }, () => {}); // a hidden chart: it is fitted when it shows (its box changes then)
}

/**
 * A Plotly chart whose trace updates are collected and applied in one
 * restyle per draw: `set(i, props)` stages, `draw()` paints.
 *
 * Charts are created one at a time: a page's first chart at once, each other one in a task
 * of its own after a paint (those in view first), so the first chart shows without waiting
 * for every chart of the lab (each costs 30–400 ms of main thread). Until it is plotted, a
 * chart keeps what it is given: staged values and relayouts go into its first plot, and
 * calls on its element (Plotly.restyle(chart.el, …), chart.el.on(…)) run right after it.
 */
export class Chart {
  constructor(el, traces, layout, config = {}) {
    this.el = el;
    this.pending = new Map();
    this.traces = traces;
    this.layout = layout;
    this.config = { ...CONFIG, locale: plotLocale(), ...modeBar(el, traces, layout), ...config };
    this.plotted = false;
    this.drawnAt = -Infinity; // when its last redraw ended, and what it took (ms)
    this.cost = 0;
    this.tick = -1; // the animation frame of its last redraw
    this.later = []; // calls on the element before the plot, run after it
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
    // a chart with a trace of the add-on's (3-D, bars) waits for it: loaded after the first charts
    this.addon = traces.some((t) => addon.traces().has(t.type)) && addon.url() && !addon.loaded;
    if (!queue.started && !this.addon) {
      queue.started = true;
      this.plot();
      // a page of one chart (the lab's others are made in the same task as this one)
      queueMicrotask(() => waiting.size || (document.body.dataset.charts = "all"));
      return;
    }
    // what Plotly puts there, readable before the plot (e.g. el.layout.annotations)
    Object.assign(el, { data: traces, layout, on: (...args) => this.later.push(() => el.on(...args)) });
    waiting.set(el, this);
    delete document.body.dataset.charts;
    queue.next();
  }

  /** Plot now (if not yet), with the values staged meanwhile; then the calls made meanwhile. */
  plot() {
    if (this.plotted) return this.ready;
    this.plotted = true;
    waiting.delete(this.el);
    for (const [i, props] of this.pending) {
      for (const [k, v] of Object.entries(props)) if (this.traces[i]) setPath(this.traces[i], k, v);
    }
    this.pending.clear();
    this.resolveReady(Plotly.newPlot(this.el, this.traces, this.layout, this.config));
    this.ready.then(() => boxes?.observe(this.el)); // redrawn when its box changes size
    for (const call of this.later.splice(0)) call();
    return this.ready;
  }

  /** Stage new values for trace `index`: raw values, e.g. {x: [..], "marker.color": c}. */
  set(index, props) {
    this.pending.set(index, { ...(this.pending.get(index) ?? {}), ...props });
  }

  draw() {
    if (!this.pending.size || !this.plotted) {
      if (!this.pending.size) budget.deferred.delete(this); // nothing left (a react took it)
      return;
    }
    const start = performance.now();
    // this frame's drawing is spent, or this chart is a slow one drawn a moment ago (the 3-D
    // bowl: about 60 ms a redraw without a GPU): a later frame, first in line
    const slow = this.cost > BUDGET_MS && start - this.drawnAt < SLOW_GAP * this.cost;
    if (budget.spent >= BUDGET_MS || slow || this.tick === budget.tick) {
      budget.deferred.add(this);
      return;
    }
    budget.deferred.delete(this);
    const indices = [...this.pending.keys()];
    const keys = new Set(indices.flatMap((i) => Object.keys(this.pending.get(i))));
    const update = {};
    const current = (i, k) => k.split(".").reduce((o, part) => o?.[part], this.el.data[i]);
    for (const k of keys) {
      update[k] = indices.map((i) => (k in this.pending.get(i) ? this.pending.get(i)[k] : current(i, k)));
    }
    this.pending.clear();
    Plotly.restyle(this.el, update, indices);
    this.drawnAt = performance.now();
    this.tick = budget.tick; // once an animation frame
    this.cost = this.drawnAt - start;
    budget.spent += this.cost;
  }

  relayout(props) {
    if (!this.plotted) {
      for (const [k, v] of Object.entries(props)) setPath(this.layout, k, v);
      return;
    }
    Plotly.relayout(this.el, props);
  }

  /** Replace every trace (e.g. a new surface). */
  react(traces, layout) {
    this.pending.clear();
    if (!this.plotted) {
      this.traces = traces;
      this.layout = layout ?? this.layout;
      Object.assign(this.el, { data: this.traces, layout: this.layout });
      return;
    }
    Plotly.react(this.el, traces, layout ?? this.el.layout);
  }
}

/** Set `obj`'s "a.b[0].c" to `value` (null deletes it, as in Plotly.relayout), making the way. */
function setPath(obj, path, value) {
  const keys = path.replace(/\[(\d+)\]/g, ".$1").split(".");
  const last = keys.pop();
  for (const [i, k] of keys.entries()) {
    obj[k] ??= /^\d+$/.test(keys[i + 1] ?? last) ? [] : {};
    obj = obj[k];
  }
  if (value === null) delete obj[last];
  else obj[last] = value;
}

const waiting = new Map(); // element → its Chart, not plotted yet
/** The charts still to plot: one per task, after a paint, the ones in view first. */
const queue = {
  started: false,
  busy: false,
  next() {
    if (this.busy || !waiting.size) return;
    this.busy = true;
    wrapPlotly();
    afterPaint().then(() => {
      this.busy = false;
      const charts = [...waiting.values()];
      if (!addon.loading && charts.some((c) => c.addon)) addon.load().then(() => this.next());
      const ready = charts.filter((c) => !c.addon || addon.loaded);
      const chart = ready.find((c) => inView(c.el)) ?? ready[0];
      chart?.plot();
      if (!waiting.size) document.body.dataset.charts = "all"; // every chart plotted (for tests)
      if (chart) this.next(); // else the add-on's arrival goes on
    });
  },
};

/** The lab's add-on to the page's Plotly (#plotly-js's data-addon), if any, and the trace
 * types only it draws (data-addon-traces). */
const addon = {
  loaded: false,
  url: () => document.getElementById("plotly-js")?.dataset.addon,
  traces: () => new Set((document.getElementById("plotly-js")?.dataset.addonTraces ?? "").split(" ")),
  load() {
    this.loading ??= import(this.url()).then(() => {
      this.loaded = true;
    }, (error) => {
      // its charts stay blank: say why, once
      document.dispatchEvent(new CustomEvent("chart-error", { detail: `cannot load ${this.url()}` }));
      console.error(error);
      return new Promise(() => {});
    });
    return this.loading;
  },
};

/**
 * Resolves just after the next paint: rAF runs just before it, a task queued from there
 * just after. A hidden tab paints nothing, so a timer resolves it anyway.
 */
export function afterPaint() {
  return new Promise((resolve) => {
    requestAnimationFrame(() => setTimeout(resolve, 0));
    setTimeout(resolve, 250);
  });
}

function inView(el) {
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.bottom > 0 && r.top < innerHeight;
}

/** A lab's own Plotly calls on a chart not plotted yet run right after its plot. */
function wrapPlotly() {
  if (Plotly.restyle.deferring) return;
  for (const name of ["restyle", "relayout", "update", "react", "extendTraces", "addTraces", "deleteTraces", "moveTraces"]) {
    const call = Plotly[name];
    Plotly[name] = Object.assign((gd, ...args) => {
      const chart = waiting.get(gd);
      if (!chart) return call(gd, ...args);
      chart.later.push(() => call(gd, ...args));
      return chart.ready;
    }, { deferring: true });
  }
}

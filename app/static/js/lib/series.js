// The data the charts draw, as the page keeps it: series against steps and paths, thinned
// on long runs, and the timeline's view of them (shown up to a rewound step, cut where the
// run branched); and the numbers of the live formulas. Split from charts.js, which draws.

// Rewind (lib/timeline.js): while the page shows an earlier step, every series and path
// shows the run up to it; a run that goes on from there (a branch) loses what came after.
// Cuts are applied lazily, when a series or path is next used, so none needs registering.
const REWIND = { at: null, cuts: [] };

/** Show every series and path up to `step` (null: all of it, the newest step). */
export function showUpTo(step) {
  REWIND.at = step;
}

/** The run branched at `step`: what came after it goes from every series and path. */
export function cutAfter(step) {
  REWIND.cuts.push(step);
  REWIND.at = null;
}

/** The lowest cut made since `seen` (an index into the cuts), or null. */
function cutSince(seen) {
  return seen < REWIND.cuts.length ? Math.min(...REWIND.cuts.slice(seen)) : null;
}

/** How many of the ascending `steps` are at most `step`. */
function countUpTo(steps, step) {
  let lo = 0, hi = steps.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (steps[mid] <= step) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A growing series against steps, thinned so the chart stays fast on long runs. */
export class Series {
  constructor(max = 4000) {
    this.max = max;
    this.clear();
  }
  /** The steps shown: up to the rewound step, if the page shows one. */
  get x() {
    return this.shown().x;
  }
  get y() {
    return this.shown().y;
  }
  shown() {
    this.sync();
    if (REWIND.at == null) return { x: this.xs, y: this.ys };
    const n = countUpTo(this.xs, REWIND.at);
    return { x: this.xs.slice(0, n), y: this.ys.slice(0, n) };
  }
  sync() {
    const cut = cutSince(this.seen);
    this.seen = REWIND.cuts.length;
    if (cut == null) return;
    const n = countUpTo(this.xs, cut);
    this.xs.length = n;
    this.ys.length = n;
  }
  push(x, y) {
    this.sync();
    if (this.xs.length && x <= this.xs.at(-1)) return; // a repeated frame adds nothing
    this.xs.push(x);
    this.ys.push(y);
    if (this.xs.length > this.max) {
      // keep every other older point, so the curve's shape survives
      this.xs = this.xs.filter((_, i) => i % 2 === 0 || i === this.xs.length - 1);
      this.ys = this.ys.filter((_, i) => i % 2 === 0 || i === this.ys.length - 1);
    }
  }
  clear() {
    this.xs = [];
    this.ys = [];
    this.seen = REWIND.cuts.length;
  }
}

/**
 * Append a frame's descent path to `path` ({key: []}). Each frame's path repeats the
 * previous frame's last point; points with a missing value (a diverged run) are skipped.
 * Long paths lose every other old point, never the newest. With the frame's `step`, the
 * path can be shown up to an earlier step and cut there (see pathShown).
 */
export function appendPath(path, p, keys = ["w", "b"], max = 6000, step = null) {
  if (!p) return;
  cutPath(path, keys);
  path.steps ??= [];
  const start = path[keys[0]].length ? 1 : 0;
  for (let i = start; i < p[keys[0]].length; i++) {
    if (keys.some((k) => p[k][i] == null)) continue;
    for (const k of keys) path[k].push(p[k][i]);
    path.steps.push(step ?? Infinity);
  }
  if (path[keys[0]].length > max) {
    for (const k of [...keys, "steps"]) path[k] = path[k].filter((_, i, a) => i % 2 === 0 || i === a.length - 1);
  }
}

function cutPath(path, keys) {
  const cut = cutSince(path.seen ?? REWIND.cuts.length);
  path.seen = REWIND.cuts.length;
  if (cut == null || !path.steps) return;
  const n = countUpTo(path.steps, cut);
  for (const k of [...keys, "steps"]) path[k].length = n;
}

/** `path` as the page shows it: up to the rewound step, if there is one. */
export function pathShown(path, keys = ["w", "b"]) {
  cutPath(path, keys);
  if (REWIND.at == null || !path.steps) return path;
  const n = countUpTo(path.steps, REWIND.at);
  return Object.fromEntries([...keys, "steps"].map((k) => [k, path[k].slice(0, n)]));
}

const SUPER = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

/** A number for the live formulas: fixed for ordinary sizes, else 8.33×10⁻⁴; a true minus. */
export function num(v, digits = 3) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  const a = Math.abs(v);
  const text = a !== 0 && (a < 1e-3 || a >= 1e5)
    ? v.toExponential(2).replace(/e\+?(-?\d+)/, (_, e) => `×10${[...e].map((c) => SUPER[c]).join("")}`)
    : v.toFixed(digits);
  return text.replace(/^-/, "−");
}

/** num() in parentheses when negative, for a term in a product: 0.3 × (−0.05). */
export function paren(v, digits = 3) {
  return v < 0 ? `(${num(v, digits)})` : num(v, digits);
}

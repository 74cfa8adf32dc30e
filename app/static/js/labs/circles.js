// Two circles: the decision boundary forms over the plane while the curves,
// the network's weights and each layer's gradient size move with it.
// Only drawing happens here; the server does the math. This module wires the page:
// the plane is circles/plane.js, the curves circles/curves.js, the network diagram and
// its inspector circles/network.js, the pins circles/pins.js (shared state: circles/state.js).

import { startLab } from "../lib/page.js";
import { list, rows } from "../lib/arrays.js";
import { CLASS_COLOR, SYMBOL, classButtons, classNames, drawLegend } from "../lib/classes.js";
import { mountBrush } from "../lib/brush.js";
import { mountUpload } from "../lib/upload.js";
import { $, S, page, t } from "./circles/state.js";
import { boundaryIfStale, drawPlane, mountPlane, onBoundary } from "./circles/plane.js";
import { actCaption, clearCurves, drawActivation, drawCurves, mountCurves, onActivation, recordCurves,
  relabelCurves } from "./circles/curves.js";
import { buildNetwork, drawEdges, drawInspect, mountInspect, onInspect, onWeights,
  paramsChanged } from "./circles/network.js";
import { pinLayers, pinSnapshot } from "./circles/pins.js";

function mountCharts() {
  mountPlane();
  mountCurves();
  mountInspect();
}

// -- data and classes ----------------------------------------------------------------

function onData(msg) {
  // decode each array once; the last `added` training points came from clicks
  const k2 = msg.classes?.length ?? 2;
  const byClass = (xy, y) => Array.from({ length: k2 }, (_, c) => {
    const keep = xy.filter((_, i) => y[i] === c);
    return { x: keep.map((p) => p[0]), y: keep.map((p) => p[1]) };
  });
  const trainX = rows(msg.train.x), trainY = list(msg.train.y), k = msg.added ?? 0, n = trainY.length;
  S.data = { train: byClass(trainX.slice(0, n - k), trainY.slice(0, n - k)),
    test: byClass(rows(msg.test.x), list(msg.test.y)) };
  const xy = trainX.slice(n - k), y = trainY.slice(n - k);
  S.data.added = { x: xy.map((p) => p[0]), y: xy.map((p) => p[1]),
    symbol: y.map((c) => SYMBOL[c]), color: y.map((c) => CLASS_COLOR[c]) };
  $("added").textContent = k;
  $("btn-clear").disabled = k === 0;
  S.dirty.data = true;
  S.upload?.onData(msg);
  const names = msg.upload ? msg.classes : null;
  if (k2 !== S.k || String(names) !== String(S.names)) onClasses(k2, names);
}

// the datasets whose number of classes the `classes` param sets; the others have two
const MANY_CLASSES = ["arms", "blobs"];

/** The classes control is greyed and inert where it means nothing: two circles, XOR or a
 * spiral have two classes (and a change would still make new data, dropping added points). */
function classesApply(p) {
  const row = document.querySelector(".ctl-classes");
  if (!row) return;
  row.inert = !MANY_CLASSES.includes(p.dataset);
  row.classList.toggle("inapplicable", row.inert);
}

/** Another number of classes, or other names: the picker, the legend and the output layer. */
function onClasses(k, names) {
  S.k = k;
  S.names = names;
  if (S.cls >= k) S.cls = 0;
  S.perClass = null;
  relabelClasses();
  S.sizes = []; // the output layer has k units (one with two classes)
  paramsChanged(page.ctx.params());
  S.dirty.plane = true;
}

function relabelClasses() {
  const words = S.k === 2 && !S.names; // two generated classes: the page's own "class 0", "class 1"
  const names = classNames(t, S.names, S.k);
  classButtons($("btn-clear").parentElement, names.map((n) => (words ? null : n)), t, S.cls);
  drawLegend($("class-legend"), names, S.perClass, !words);
}

// -- frames ----------------------------------------------------------------------

function onFrame(f) {
  const ctx = page.ctx;
  S.frame = f;
  if (f.boundary) onBoundary(f.boundary);
  boundaryIfStale();
  const acc = recordCurves(f);
  const pct = (v) => (v == null ? "—" : `${(100 * v).toFixed(1)} %`);
  $("acc-test").textContent = pct(acc.test);
  $("acc-train").textContent = pct(acc.train);
  const perClass = f.metrics?.class_accuracy?.test ?? null;
  if (String(perClass) !== String(S.perClass)) {
    S.perClass = perClass;
    drawLegend($("class-legend"), classNames(t, S.names, S.k), perClass, S.k > 2 || !!S.names);
  }
  if (f.weights) onWeights(f.weights);
  else if (!ctx.state.running) ctx.send("weights"); // a step while paused: keep the diagram exact
}

function reset() {
  S.askedAt = null;
  if (S.boundary) S.boundary = { ...S.boundary, step: -1 }; // drawn until the new run's arrives
  clearCurves();
}

// Plotly redraws dominate the page's CPU on a laptop without a GPU: the plane at
// ~15 per second still animates smoothly, the curves at ~4 per second are plenty.
// A skipped redraw is made up a little later, so the last frame always shows.
const THROTTLE = { plane: 66, curves: 250 };
const lastAt = {}, timers = {};

function throttled(name, fn) {
  const wait = (lastAt[name] ?? -1e9) + THROTTLE[name] - performance.now();
  if (wait <= 0) {
    lastAt[name] = performance.now();
    fn();
  } else if (!timers[name]) {
    timers[name] = setTimeout(() => { timers[name] = null; page.ctx.markDirty(); }, wait);
  }
}

// -- labels, toggles -------------------------------------------------------------

function relabel() {
  relabelCurves();
  buildNetwork();
  actCaption();
  relabelClasses();
  S.dirty.inspect = true;
}

function mountToggles() {
  const ctx = page.ctx;
  const q = new URLSearchParams(location.search);
  const bind = (id, key, prop, onChange) => {
    const box = $(id);
    S[prop] = q.get(key) === "1";
    box.checked = S[prop];
    box.addEventListener("change", () => {
      S[prop] = box.checked;
      onChange();
      ctx.writeUrl();
      ctx.markDirty();
    });
  };
  bind("show-test", "test", "showTest", () => { S.dirty.data = true; });
  bind("discretize", "disc", "discretize", () => { S.dirty.plane = true; });
  // one listener for the picker: its buttons come and go with the number of classes
  $("btn-clear").parentElement.addEventListener("click", (ev) => {
    const b = ev.target.closest(".cls[data-class]");
    if (!b) return;
    S.cls = Number(b.dataset.class);
    document.querySelectorAll(".tools .cls[data-class]").forEach((o) => {
      o.classList.toggle("on", o === b);
      o.setAttribute("aria-pressed", String(o === b));
    });
  });
  $("btn-clear").addEventListener("click", () => ctx.send("clear_points"));
  mountBrush($("chart-boundary"), $("brush"), () => S.cls, (points) => ctx.send("add_points", { points }),
    (on) => { S.brush = on; });
}

startLab({
  pins: { snapshot: pinSnapshot, layers: pinLayers },
  mount(c) {
    page.ctx = c;
    page.t = c.i18n.t;
    mountToggles();
    mountCharts();
    S.upload = mountUpload(c, "circles");
    // a rebuilt diagram starts grey: draw its weights again even while paused
    new ResizeObserver(() => { buildNetwork(); page.ctx.markDirty(); }).observe($("network"));
    // pausing may leave a boundary a frame or two old on the plane: the button's state says when
    new MutationObserver(boundaryIfStale).observe($("btn-play"),
      { attributes: true, attributeFilter: ["aria-pressed"] });
  },
  on: { data: onData, frame: onFrame, weights: onWeights, inspect: onInspect, activation: onActivation,
    boundary: onBoundary, points: () => {}, upload: (m) => S.upload.on.upload(m) },
  onError: (msg) => S.upload?.onError(msg),
  paramsChanged(p) {
    classesApply(p);
    paramsChanged(p);
  },
  reset,
  // a lesson is its own experiment: points a learner added to another do not carry over
  // (new data drops added points too)
  beforeLesson: (send) => {
    if (!S.upload?.beforeLesson(send) && S.data?.added?.x.length) send("clear_points");
  },
  draw() {
    throttled("plane", drawPlane);
    throttled("curves", drawCurves);
    drawEdges();
    drawActivation();
    drawInspect();
  },
  relabel,
  urlExtras: () => ({ test: S.showTest ? 1 : null, disc: S.discretize ? 1 : null }),
});

// Digits, the drawing pad: the learner's strokes (or a test digit picked from the
// gallery) become 64 grey levels, sent for the current model to classify, at most
// every PREDICT_MS while drawing; the answer fills the probabilities chart and the
// verdict. Only drawing happens here; the server runs the model.

import { COLORS } from "../../lib/charts.js";
import { DIGITS } from "./charts.js";
import { SIDE, canvas8, inkLevels, paintGrey, pen, trace } from "./ink.js";

const PREDICT_MS = 90; // at most ~11 predict ops a second while drawing
const REPREDICT_MS = 300; // while training, the drawn digit is re-classified this often
const $ = (id) => document.getElementById(id);

/**
 * Mount the pad on #draw and its Clear button. `view` = {S: the lab's state (strokes, drawing,
 * fixed, pixels, prediction, lastPredict, predictTimer, maps, dirty, test), charts, ctx, t}.
 */
export function digitPad({ S, charts, ctx, t }) {
  /** Put test digit `i` on the pad: the model classifies exactly the data's pixels. */
  function pick(cell, i) {
    document.querySelectorAll("#gallery .picked").forEach((c) => c.classList.remove("picked"));
    cell.classList.add("picked");
    S.strokes = [];
    S.drawing = null;
    S.fixed = Array.from(S.test.x.subarray(i * SIDE * SIDE, (i + 1) * SIDE * SIDE));
    paintPad();
    predictNow();
  }

  function unpick() {
    S.fixed = null;
    document.querySelectorAll("#gallery .picked").forEach((c) => c.classList.remove("picked"));
  }

  function mount() {
    const pad = $("draw");
    const at = (ev) => {
      const r = pad.getBoundingClientRect();
      return [((ev.clientX - r.left) * pad.width) / r.width, ((ev.clientY - r.top) * pad.height) / r.height];
    };
    pad.addEventListener("pointerdown", (ev) => {
      ev.preventDefault();
      if (S.fixed) unpick();
      try {
        pad.setPointerCapture(ev.pointerId);
      } catch {
        // a synthetic pointer cannot be captured; drawing still works
      }
      S.drawing = [at(ev)];
      S.strokes.push(S.drawing);
      paintPad();
      predictSoon();
    });
    pad.addEventListener("pointermove", (ev) => {
      if (!S.drawing) return;
      S.drawing.push(at(ev));
      paintPad();
      predictSoon();
    });
    const end = () => {
      if (!S.drawing) return;
      S.drawing = null;
      predictNow();
    };
    pad.addEventListener("pointerup", end);
    pad.addEventListener("pointercancel", end);
    $("btn-clear").addEventListener("click", clearPad);
  }

  function paintPad() {
    const pad = $("draw");
    const g = pad.getContext("2d");
    g.clearRect(0, 0, pad.width, pad.height);
    if (S.fixed) {
      const img = canvas8();
      paintGrey(img, S.fixed);
      const m = pad.width / 10; // the data's margin: a digit fills its box
      g.imageSmoothingEnabled = false;
      g.drawImage(img, m, m, pad.width - 2 * m, pad.height - 2 * m);
      return;
    }
    pen(g, pad.width / 14);
    for (const s of S.strokes) trace(g, s, (p) => p);
  }

  /** The 64 grey levels the model is to see: a picked test digit's, or the strokes'. */
  function sample() {
    return S.fixed ?? inkLevels(S.strokes);
  }

  function predictSoon() {
    const wait = PREDICT_MS - (performance.now() - S.lastPredict);
    clearTimeout(S.predictTimer);
    if (wait <= 0) predictNow();
    else S.predictTimer = setTimeout(predictNow, wait);
  }

  function predictNow() {
    clearTimeout(S.predictTimer);
    S.lastPredict = performance.now();
    S.pixels = sample();
    paintGrey($("seen"), S.pixels ?? new Array(SIDE * SIDE).fill(0));
    if (S.pixels) ctx.send("predict", { pixels: S.pixels });
  }

  /** After a frame: the model changed, so classify the digit on the pad again (not mid-stroke). */
  function repredict() {
    if (S.pixels && !S.drawing && performance.now() - S.lastPredict > REPREDICT_MS) predictNow();
  }

  function onPrediction(msg) {
    if (!S.pixels) return; // an answer that arrived after Clear
    S.prediction = msg;
    S.maps = msg.maps ?? null;
    S.dirty.maps = true;
    const probs = msg.probs.map((p) => (p == null ? 0 : 100 * p));
    charts.probs.set(0, { y: probs, "marker.color": DIGITS.map((d) => (d === msg.label ? COLORS.vermillion : COLORS.blue)) });
    drawVerdict();
    ctx.markDirty();
  }

  function drawVerdict() {
    const p = S.prediction;
    const el = $("verdict");
    if (!p) el.textContent = t("draw.hint");
    else el.innerHTML = t("draw.verdict", { label: p.label, p: (100 * (p.probs[p.label] ?? 0)).toFixed(0) });
  }

  function clearPad() {
    clearTimeout(S.predictTimer);
    unpick();
    S.strokes = [];
    S.drawing = null;
    S.pixels = null;
    S.prediction = null;
    S.maps = null;
    S.dirty.maps = true;
    paintPad();
    paintGrey($("seen"), new Array(SIDE * SIDE).fill(0));
    charts.probs.set(0, { y: DIGITS.map(() => 0), "marker.color": COLORS.blue });
    drawVerdict();
    ctx.markDirty();
  }

  mount();
  return { pick, repredict, onPrediction, drawVerdict };
}

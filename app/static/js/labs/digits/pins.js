// Digits, the pins (lib/pins.js): runs kept from this page, drawn under the live one on
// the accuracy and loss charts. The confusion matrix shows the live one, or (a button per
// pin) how it differs from a pin.

import { COLORS } from "../../lib/charts.js";
import { copySeries, pinCurve, pinLegend, setPinTraces } from "../../lib/pin_traces.js";
import { DIGITS } from "./charts.js";

const BETTER = [[0, "#D55E00"], [0.5, "#ffffff"], [1, "#0072B2"]]; // orange: worse now, blue: better
const $ = (id) => document.getElementById(id);

/**
 * The hooks lib/pins.js asks for. `view` = {charts, curves: the live run's four Series
 * (accTrain, accTest, lossTrain, lossTest), t(key, vars)}.
 */
export function digitsPins({ charts, curves, t }) {
  const PINNED = { pins: [], shown: null, listening: false };

  function snapshot() {
    if (!curves.lossTrain.x.length) return null;
    const c = curves, z = charts.confusion.el.data[0].z;
    return { accTrain: copySeries(c.accTrain), accTest: copySeries(c.accTest), lossTrain: copySeries(c.lossTrain),
      lossTest: copySeries(c.lossTest), confusion: z?.length ? z.map((r) => [...r]) : null };
  }

  function layers(pins) {
    for (const [chart, train, test] of [[charts.acc, "accTrain", "accTest"], [charts.loss, "lossTrain", "lossTest"]]) {
      setPinTraces(chart, pins.flatMap((p) => [
        ...pinCurve(p, p.data[train].x, p.data[train].y, { color: COLORS.blue, hover: t("legend.train") }),
        ...pinCurve(p, p.data[test].x, p.data[test].y, { color: COLORS.vermillion, legend: false, hover: t("legend.test") }),
      ]));
      pinLegend(chart, pins);
    }
    PINNED.pins = pins.filter((p) => p.data.confusion);
    if (!PINNED.pins.some((p) => p.letter === PINNED.shown)) PINNED.shown = null;
    if (!PINNED.listening) { // the live matrix changed: so did its difference
      PINNED.listening = true;
      charts.confusion.el.on("plotly_restyle", (ev) => { if (PINNED.shown && ev?.[1]?.includes(0)) pinConfusion(); });
    }
    confusionButtons();
    setPinTraces(charts.confusion, []);
    pinConfusion();
  }

  function confusionButtons() {
    const cap = $("chart-confusion").closest("figure").querySelector("figcaption");
    cap.querySelector(".pin-modes")?.remove();
    if (!PINNED.pins.length) return;
    const box = document.createElement("span");
    box.className = "pin-modes";
    box.title = t("pins.confusion_tip");
    for (const letter of [null, ...PINNED.pins.map((p) => p.letter)]) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "mini-btn";
      b.textContent = letter ? t("pins.confusion_diff", { letter }) : t("pins.confusion_now");
      b.setAttribute("aria-pressed", String(PINNED.shown === letter));
      b.addEventListener("click", () => { PINNED.shown = letter; confusionButtons(); pinConfusion(); });
      box.append(b);
    }
    cap.append(box);
  }

  /** Over the live matrix, the change since the shown pin: signed counts, coloured better or worse. */
  function pinConfusion() {
    const pin = PINNED.pins.find((p) => p.letter === PINNED.shown), now = charts.confusion.el.data[0].z;
    const gd = charts.confusion.el;
    // the difference takes the live matrix's place (its text would show through)
    const hidden = gd.data[0].visible === false;
    if (hidden !== !!pin) Plotly.restyle(gd, { visible: !pin }, [0]);
    if (!pin || !now?.length) {
      if (gd.data.length > 1) setPinTraces(charts.confusion, []);
      return;
    }
    const was = pin.data.confusion, sign = (v) => (v > 0 ? `+${v}` : v < 0 ? `−${-v}` : "");
    const diff = now.map((r, i) => r.map((v, j) => Math.round(v - was[i][j])));
    const better = diff.map((r, i) => r.map((d, j) => (i === j ? d : -d)));
    const m = Math.max(1, ...better.flat().map(Math.abs));
    const hover = t("pins.confusion_hover", { x: "%{x}", y: "%{y}", now: "%{customdata[0]}", letter: pin.letter,
      was: "%{customdata[1]}" });
    const props = { z: better, text: diff.map((r) => r.map(sign)), zmin: -m, zmax: m,
      customdata: now.map((r, i) => r.map((v, j) => [Math.round(v), Math.round(was[i][j])])) };
    if (gd.data.length > 1) {
      Plotly.restyle(gd, Object.fromEntries(Object.entries(props).map(([k, v]) => [k, [v]])), [1]);
    } else {
      setPinTraces(charts.confusion, [{ type: "heatmap", x: DIGITS, y: DIGITS, ...props, texttemplate: "%{text}",
        textfont: { size: 10 }, colorscale: BETTER, showscale: false, xgap: 1, ygap: 1, hovertemplate: `${hover}<extra></extra>` }]);
    }
  }

  return { snapshot, layers };
}

// Up to six classes on the circles plane: a colour-blind-safe palette (Okabe–Ito) with a
// marker shape per class, the plane coloured by the predicted class with the network's
// confidence as lightness, a legend with each class's accuracy, and a picker per class.

import { COLORS } from "./charts.js";

export const MAX_CLASSES = 6;
export const CLASS_COLOR = [COLORS.blue, COLORS.orange, COLORS.green, COLORS.vermillion, COLORS.purple,
  COLORS.sky];
export const SYMBOL = ["circle", "diamond", "square", "triangle-up", "x", "star"];
const GLYPH = ["●", "◆", "■", "▲", "✕", "★"];
const LEVELS = 6; // lightness steps of confidence: few enough to read, enough to see it grow

function mix(hex, a) {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const m = c.map((v) => Math.round(255 + (v - 255) * a));
  return `rgb(${m.join(",")})`;
}

/** A stepped colour scale: class c at confidence level l is the value c·LEVELS + l. */
export function classScale(k) {
  const n = k * LEVELS, scale = [];
  for (let c = 0; c < k; c++) {
    for (let l = 0; l < LEVELS; l++) {
      const color = mix(CLASS_COLOR[c], 0.1 + (0.55 * l) / (LEVELS - 1)); // unsure: nearly white
      const j = c * LEVELS + l;
      scale.push([j / n, color], [(j + 1) / n, color]);
    }
  }
  return { colorscale: scale, zmin: 0, zmax: n };
}

/** The boundary's `top` and `z` (confidence) rows as values of `classScale`. */
export function classValues(top, conf) {
  return top.map((row, i) => row.map((c, j) =>
    c * LEVELS + Math.min(LEVELS - 1, Math.floor((conf[i][j] * LEVELS) / 256)) + 0.5));
}

/** The class names to show: uploaded labels as they are, generated ones as "class k". */
export function classNames(t, names, k) {
  return Array.from({ length: k }, (_, c) => names?.[c] ?? t("classes.n", { k: c }));
}

/**
 * Make the picker buttons (`.cls[data-class]`, before `#btn-clear`) one per class, named;
 * two generated classes keep the page's own buttons and words.
 */
export function classButtons(group, names, t, current) {
  const clear = group.querySelector("#btn-clear");
  group.querySelectorAll(".cls[data-class]").forEach((b) => { if (+b.dataset.class >= 2) b.remove(); });
  names.forEach((name, c) => {
    let b = group.querySelector(`.cls[data-class="${c}"]`);
    if (!b) {
      b = document.createElement("button");
      b.type = "button";
      b.className = "cls";
      b.dataset.class = String(c);
      b.append(Object.assign(document.createElement("span"), { className: `sym sym-${c}`, textContent: GLYPH[c] }),
        document.createElement("span"));
      b.firstChild.style.color = CLASS_COLOR[c];
      group.insertBefore(b, clear);
    }
    const label = b.lastChild;
    if (c < 2 && name === null) { // the page's words, translated with it
      label.dataset.i18n = `class.${c}`;
      label.textContent = t(`class.${c}`);
    } else {
      delete label.dataset.i18n;
      label.textContent = name ?? t("classes.n", { k: c });
    }
    b.classList.toggle("on", c === current);
    b.setAttribute("aria-pressed", String(c === current));
  });
}

/** The legend under the plane: each class's marker, name and test accuracy. */
export function drawLegend(el, names, perClass, show) {
  el.hidden = !show;
  el.replaceChildren(...names.map((name, c) => {
    const item = document.createElement("span");
    item.className = "class-item";
    const glyph = Object.assign(document.createElement("span"), { className: "sym", textContent: GLYPH[c] });
    glyph.style.color = CLASS_COLOR[c];
    const acc = perClass?.[c];
    const pct = acc == null ? "" : ` ${(100 * acc).toFixed(0)} %`;
    item.append(glyph, ` ${name}`, Object.assign(document.createElement("b"), { textContent: pct }));
    return item;
  }));
}

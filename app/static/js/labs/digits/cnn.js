// Digits, the convolutional model's views: its learned 3×3 filters, the feature
// maps of the digit being drawn (they arrive with each prediction, so they change
// as the learner draws), and its parameter counts beside the MLP's. The panels
// show only while the model is the CNN.

import { shapeOf, unpack } from "../../lib/arrays.js";
import { diverging } from "./ink.js";

const INK = [0x0b, 0x2f, 0x5a]; // feature maps: white (0) to dark blue (the layer's largest)
const GAP = [0x9a, 0xa0, 0xaa]; // grey lines between the 3×3 tiles of a mosaic
const $ = (id) => document.getElementById(id);

function sequential(u) {
  const a = Math.min(1, Math.max(0, u));
  return INK.map((ch) => Math.round(255 + (ch - 255) * a));
}

function canvas(w, h, cls) {
  const c = document.createElement("canvas");
  c.width = w;
  c.height = h;
  if (cls) c.className = cls;
  return c;
}

function paint(c, rgbOf) {
  const g = c.getContext("2d");
  const img = g.createImageData(c.width, c.height);
  for (let y = 0; y < c.height; y++) {
    for (let x = 0; x < c.width; x++) img.data.set([...rgbOf(x, y), 255], 4 * (y * c.width + x));
  }
  g.putImageData(img, 0, 0);
}

function largest(flat) {
  let m = 0;
  for (const v of flat) m = Math.max(m, Math.abs(v));
  return m > 0 && Number.isFinite(m) ? m : 0;
}

function block(captionText, ...children) {
  const fig = document.createElement("figure");
  const cap = document.createElement("figcaption");
  cap.textContent = captionText;
  fig.append(...children, cap);
  return fig;
}

/** Show the CNN's panels (and hide the weight images) exactly when the model is the CNN. */
export function showCnn(on) {
  for (const el of document.querySelectorAll(".cnn-only")) el.hidden = !on;
  for (const el of document.querySelectorAll(".not-cnn")) el.hidden = on;
}

// -- filters ------------------------------------------------------------------

/**
 * `filters`: one packed float32 (k, c, 9) per conv layer. Layer 1 (c = 1): one
 * 3×3 image per filter. Layer 2: one mosaic, a row per filter and a column per
 * input map, 3×3 tiles 1 pixel apart. One colour scale for all: the largest |w|.
 */
export function drawFilters(filters, t) {
  const layers = filters.map((f) => ({ flat: unpack(f), shape: shapeOf(f) }));
  const m = Math.max(...layers.map((l) => largest(l.flat)));
  const scale = m > 0 ? 1 / m : 0;
  const root = $("filters");
  root.replaceChildren();
  const [first, second] = layers;
  const row = document.createElement("div");
  row.className = "filter-row";
  for (let f = 0; f < first.shape[0]; f++) {
    const c = canvas(3, 3);
    paint(c, (x, y) => diverging(first.flat[f * 9 + y * 3 + x] * scale));
    row.append(block(`#${f}`, c));
  }
  root.append(labelled(t("filters.layer1"), row));
  if (second) {
    const [k, cin] = second.shape;
    const c = canvas(4 * cin - 1, 4 * k - 1, "mosaic");
    paint(c, (x, y) => {
      if (x % 4 === 3 || y % 4 === 3) return GAP;
      const f = Math.floor(y / 4), ch = Math.floor(x / 4);
      return diverging(second.flat[(f * cin + ch) * 9 + (y % 4) * 3 + (x % 4)] * scale);
    });
    c.style.setProperty("--tiles", String(cin));
    root.append(labelled(t("filters.layer2"), c));
  }
  const label = m > 0 ? m.toPrecision(2) : "0";
  $("f-min").textContent = `−${label}`;
  $("f-max").textContent = `+${label}`;
}

function labelled(text, content) {
  const wrap = document.createElement("div");
  wrap.className = "cnn-layer";
  const p = document.createElement("p");
  p.className = "note";
  p.textContent = text;
  wrap.append(p, content);
  return wrap;
}

// -- feature maps ----------------------------------------------------------------

/**
 * `maps`: one packed float32 (k, h, w) per conv layer, after ReLU; `pixels` the
 * 64 grey levels the model saw. Each layer on its own scale (0 to its largest).
 * Null maps: the hint instead.
 */
export function drawMaps(maps, pixels, t) {
  const root = $("maps");
  if (!maps || !pixels) {
    const hint = document.createElement("p");
    hint.className = "note";
    hint.id = "maps-hint";
    hint.textContent = t("maps.hint");
    root.replaceChildren(hint);
    return;
  }
  const input = canvas(8, 8);
  paint(input, (x, y) => sequential(pixels[y * 8 + x] / 16));
  const first = document.createElement("div");
  first.className = "input-row";
  first.append(block("", input));
  const parts = [labelled(t("maps.input"), first)];
  maps.forEach((packed, n) => {
    const [k, h, w] = shapeOf(packed);
    const flat = unpack(packed);
    const m = largest(flat);
    const row = document.createElement("div");
    row.className = "map-row";
    for (let f = 0; f < k; f++) {
      const c = canvas(w, h);
      paint(c, (x, y) => sequential(m > 0 ? flat[(f * h + y) * w + x] / m : 0));
      row.append(block(`#${f}`, c));
    }
    parts.push(labelled(t("maps.layer", { n: n + 1, k, s: h }), row));
  });
  root.replaceChildren(...parts);
}

// -- parameter counts ---------------------------------------------------------------

const fmt = (n) => Number(n).toLocaleString("en-US");

/** Two bars (CNN and MLP totals), then the CNN layer by layer beside a dense layer's count. */
export function drawCounts(counts, t) {
  const root = $("counts");
  const { cnn, mlp } = counts;
  const top = Math.max(cnn.total, mlp.total, 1);
  const bar = (cls, label, total) => {
    const row = document.createElement("div");
    row.className = `count-bar ${cls}`;
    row.innerHTML = `<span class="name"></span><span class="track"><span class="fill"></span></span><b></b>`;
    row.querySelector(".name").textContent = label;
    row.querySelector(".fill").style.width = `${(100 * total) / top}%`;
    row.querySelector("b").textContent = fmt(total);
    return row;
  };
  const filters = cnn.layers.filter((l) => l.layer !== "dense").map((l) => l.shape[2]).join(", ");
  const table = document.createElement("table");
  table.className = "count-table";
  const head = [t("counts.layer"), t("counts.params"), t("counts.dense"), ""];
  table.innerHTML = `<thead><tr>${head.map(() => "<th></th>").join("")}</tr></thead><tbody></tbody>`;
  table.querySelectorAll("th").forEach((th, i) => (th.textContent = head[i]));
  for (const [i, l] of cnn.layers.entries()) {
    const conv = l.layer !== "dense";
    const name = conv ? t("counts.conv", { n: i + 1, s: l.shape[0], k: l.shape[2] }) : t("counts.out");
    const ratio = conv ? t("counts.fewer", { r: fmt(Math.round(l.dense / l.params)) }) : "";
    const tr = document.createElement("tr");
    for (const text of [name, fmt(l.params), conv ? fmt(l.dense) : "—", ratio]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    table.tBodies[0].append(tr);
  }
  // the MLP layer by layer: every weight its own, 64 → h1 → … → 10
  const sizes = [64, ...mlp.hidden, 10];
  const perLayer = document.createElement("p");
  perLayer.className = "note count-mlp";
  perLayer.textContent = mlp.layers.map((n, i) => `${sizes[i]} → ${sizes[i + 1]}: ${fmt(n)}`).join(" · ");
  root.replaceChildren(
    bar("cnn", t("counts.cnn", { f: filters }), cnn.total),
    bar("mlp", t("counts.mlp", { h: mlp.hidden.join(", ") }), mlp.total),
    perLayer,
    table,
  );
}

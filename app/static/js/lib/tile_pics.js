// The small pictures on the class view's tiles, drawn on canvases (60 tiles, twice a
// second: no Plotly here). Each lab's picture comes from the student's own session:
// beans the line on the data, circles the boundary, neuron its two runs' costs,
// digits the confusion matrix. Colours are the site's colour-blind-safe ones.

import { COLORS } from "./charts.js";
import { unpack } from "./arrays.js";

const PLANE = [[0x6a, 0xaa, 0xd6], [0xf8, 0xf8, 0xf8], [0xf0, 0xc0, 0x60]]; // P = 0, ½, 1

/** A canvas sized for crisp lines at this screen's pixel ratio; its 2-D context. */
function context(canvas) {
  const r = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.width, h = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(w * r) || canvas.height !== Math.round(h * r)) {
    canvas.width = Math.round(w * r);
    canvas.height = Math.round(h * r);
  }
  const g = canvas.getContext("2d");
  g.setTransform(r, 0, 0, r, 0, 0);
  g.clearRect(0, 0, w, h);
  return { g, w, h };
}

function span(values) {
  const finite = values.filter(Number.isFinite);
  if (!finite.length) return null;
  let lo = Math.min(...finite), hi = Math.max(...finite);
  if (hi - lo < 1e-12) { lo -= 0.5; hi += 0.5; }
  return [lo, hi];
}

/** Lines through [[step, value], …] for each named series, scaled together. */
export function drawCurves(canvas, named, colors = [COLORS.blue, COLORS.vermillion]) {
  const { g, w, h } = context(canvas);
  const all = named.flatMap((pts) => pts ?? []);
  const xs = span(all.map((p) => p[0])), ys = span(all.map((p) => p[1]));
  if (!xs || !ys) return;
  named.forEach((pts, k) => {
    if (!pts?.length) return;
    g.strokeStyle = colors[k % colors.length];
    g.lineWidth = 1.6;
    g.setLineDash(k ? [4, 2] : []);
    g.beginPath();
    pts.forEach(([x, y], i) => {
      const px = 2 + ((x - xs[0]) / (xs[1] - xs[0])) * (w - 4);
      const py = h - 2 - ((y - ys[0]) / (ys[1] - ys[0])) * (h - 4);
      if (i) g.lineTo(px, py); else g.moveTo(px, py);
    });
    g.stroke();
  });
  g.setLineDash([]);
}

function planeColor(p) {
  const [a, b, t] = p < 0.5 ? [PLANE[0], PLANE[1], p * 2] : [PLANE[1], PLANE[2], p * 2 - 1];
  return a.map((v, i) => Math.round(v + (b[i] - v) * t));
}

const cell = document.createElement("canvas"); // the coarse grid, one pixel a cell

/** The boundary's coarse grid, scaled up smoothly (as the lab's own plane is drawn). */
function drawBoundary(canvas, pic) {
  const { g, w, h } = context(canvas);
  const z = unpack(pic.z), [n, m] = pic.z.shape ?? [12, 12];
  cell.width = m;
  cell.height = n;
  const c = cell.getContext("2d"), image = c.createImageData(m, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const k = ((n - 1 - i) * m + j) * 4; // row 0 is the bottom of the plane
      image.data.set([...planeColor(z[i * m + j] / 255), 255], k);
    }
  }
  c.putImageData(image, 0, 0);
  g.imageSmoothingEnabled = true;
  g.imageSmoothingQuality = "high";
  g.drawImage(cell, 0, 0, w, h);
}

function drawBeans(canvas, pic) {
  const { g, w, h } = context(canvas);
  const pts = pic.points ?? [];
  const xs = span(pts.map((p) => p[0])) ?? [0, 1], ys = span(pts.map((p) => p[1])) ?? [0, 1];
  const X = (x) => 4 + ((x - xs[0]) / (xs[1] - xs[0])) * (w - 8);
  const Y = (y) => h - 4 - ((y - ys[0]) / (ys[1] - ys[0])) * (h - 8);
  g.fillStyle = COLORS.blue;
  for (const [x, y] of pts) g.fillRect(X(x) - 1.5, Y(y) - 1.5, 3, 3);
  if (pic.w == null || pic.b == null) return;
  g.save();
  g.beginPath();
  g.rect(0, 0, w, h);
  g.clip();
  g.strokeStyle = COLORS.vermillion;
  g.lineWidth = 2;
  g.beginPath();
  g.moveTo(X(xs[0]), Y(pic.w * xs[0] + pic.b));
  g.lineTo(X(xs[1]), Y(pic.w * xs[1] + pic.b));
  g.stroke();
  g.restore();
}

function drawConfusion(canvas, pic) {
  const { g, w, h } = context(canvas);
  const m = pic.confusion ?? [];
  const k = m.length;
  m.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((v, j) => {
      const t = v / total; // the share of class i predicted as j: a good run is a bright diagonal
      const c = [255 - t * 255, 255 - t * 141, 255 - t * 77].map(Math.round); // white → blue
      g.fillStyle = `rgb(${c.join(",")})`;
      g.fillRect((j * w) / k, (i * h) / k, w / k + 0.5, h / k + 0.5);
    });
  });
}

/** The tile's model picture for `lab`, from its newest `pic` and curves. */
export function drawPicture(canvas, lab, tile) {
  if (lab === "neuron") {
    const names = Object.keys(tile.series ?? {}).filter((n) => n !== "loss").sort().reverse();
    drawCurves(canvas, names.map((n) => tile.series[n]));
  } else if (!tile.pic) {
    context(canvas);
  } else if (lab === "circles" && tile.pic.z) drawBoundary(canvas, tile.pic);
  else if (lab === "beans") drawBeans(canvas, tile.pic);
  else if (lab === "digits" && tile.pic.confusion) drawConfusion(canvas, tile.pic);
}

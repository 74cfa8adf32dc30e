// Digits, the page's 8×8 images and the pen: painting grey levels and weights on
// canvases, and turning the learner's strokes into the 64 grey levels the data has.

import { COLORS } from "../../lib/charts.js";

// The UCI digits were drawn on 32×32 bitmaps, fitted to the box, and counted in
// 4×4 blocks: grey levels 0..16 on 8×8. The pad does the same to the strokes.
const GRID = 32;
const BLOCK = 4;
export const SIDE = 8;
const LEVELS = 16;
const PEN = 6; // stroke width on the 32×32 grid: about as thick as the data's strokes
const BLUE = [0x00, 0x72, 0xb2];
const ORANGE = [0xd5, 0x5e, 0x00];

export function paint(canvas, rgbOf) {
  const g = canvas.getContext("2d");
  const img = g.createImageData(SIDE, SIDE);
  for (let i = 0; i < SIDE * SIDE; i++) img.data.set([...rgbOf(i), 255], 4 * i);
  g.putImageData(img, 0, 0);
}

/** Grey levels 0..16 as ink on paper (16 = black), like the pen that drew them. */
export function paintGrey(canvas, levels, offset = 0) {
  paint(canvas, (i) => {
    const v = 255 - Math.round((levels[offset + i] * 255) / LEVELS);
    return [v, v, v];
  });
}

/** w/m in [−1, 1] on a blue–white–orange scale (Okabe–Ito ends). */
export function diverging(u) {
  const c = u < 0 ? BLUE : ORANGE;
  const a = Math.min(1, Math.abs(u));
  return c.map((ch) => Math.round(255 + (ch - 255) * a));
}

export function canvas8() {
  const c = document.createElement("canvas");
  c.width = c.height = SIDE;
  return c;
}

export function trace(g, stroke, map) {
  g.beginPath();
  const [x0, y0] = map(stroke[0]);
  g.moveTo(x0, y0);
  if (stroke.length === 1) g.lineTo(x0 + 0.01, y0); // a dot: round caps draw it
  for (const p of stroke.slice(1)) g.lineTo(...map(p));
  g.stroke();
}

export function pen(g, width) {
  g.lineWidth = width;
  g.lineCap = "round";
  g.lineJoin = "round";
  g.strokeStyle = COLORS.black;
}

/**
 * The strokes as the data would have them: fitted (aspect kept) into the
 * 32×32 box, drawn with a pen of PEN pixels, then the ink in each 4×4 block
 * counted: 64 grey levels 0..16, row-major. Null when the pad is empty.
 */
export function inkLevels(strokes) {
  const pts = strokes.flat();
  if (!pts.length) return null;
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const s = (GRID - PEN) / Math.max(x1 - x0, y1 - y0, 1);
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  inkLevels.canvas ??= Object.assign(document.createElement("canvas"), { width: GRID, height: GRID });
  const g = inkLevels.canvas.getContext("2d", { willReadFrequently: true });
  g.clearRect(0, 0, GRID, GRID);
  pen(g, PEN);
  for (const st of strokes) trace(g, st, ([x, y]) => [GRID / 2 + s * (x - cx), GRID / 2 + s * (y - cy)]);
  const alpha = g.getImageData(0, 0, GRID, GRID).data;
  const ink = new Array(SIDE * SIDE).fill(0);
  for (let y = 0; y < GRID; y++) {
    for (let x = 0; x < GRID; x++) ink[Math.floor(y / BLOCK) * SIDE + Math.floor(x / BLOCK)] += alpha[4 * (y * GRID + x) + 3] / 255;
  }
  return ink.map((v) => Math.min(LEVELS, Math.round(v)));
}


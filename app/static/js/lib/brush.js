// "Draw a dataset" on the circles plane: with the brush on, a drag paints points of the
// chosen class along the stroke, one every STEP units, sent as one `add_points` per 50.

const STEP = 0.35; // plane units between painted points: a dense stroke, not a blob
const PER_OP = 50; // the server's most points per add_points
const EXTENT = 6;

/** Paint on `chart` while `toggle` is checked; `send(points)` gets [x1, x2, label] rows. */
export function mountBrush(chart, toggle, label, send, onToggle) {
  let stroke = null;
  const at = (ev) => {
    const area = chart.querySelector(".nsewdrag")?.getBoundingClientRect();
    if (!area) return null;
    const fx = (ev.clientX - area.left) / area.width, fy = (ev.clientY - area.top) / area.height;
    if (fx < 0 || fx > 1 || fy < 0 || fy > 1) return null;
    const round = (v) => Math.round(Math.max(-EXTENT, Math.min(EXTENT, v)) * 100) / 100;
    return [round(-EXTENT + 2 * EXTENT * fx), round(EXTENT - 2 * EXTENT * fy)];
  };
  const paint = (ev) => {
    const p = at(ev);
    if (!p || !stroke) return;
    const last = stroke.at(-1);
    if (!last || Math.hypot(p[0] - last[0], p[1] - last[1]) >= STEP) stroke.push([p[0], p[1], label()]);
  };
  const end = () => {
    if (!stroke) return;
    for (let i = 0; i < stroke.length; i += PER_OP) send(stroke.slice(i, i + PER_OP));
    stroke = null;
  };
  toggle.addEventListener("change", () => {
    onToggle(toggle.checked);
    chart.classList.toggle("brushing", toggle.checked);
  });
  // capture: Plotly's own drag layer must not see a stroke as a click or a pan
  chart.addEventListener("pointerdown", (ev) => {
    if (!toggle.checked || !at(ev)) return;
    ev.preventDefault();
    ev.stopPropagation();
    stroke = [];
    paint(ev);
  }, true);
  chart.addEventListener("pointermove", (ev) => { if (stroke) paint(ev); }, true);
  for (const name of ["pointerup", "pointerleave", "pointercancel"]) chart.addEventListener(name, end, true);
}

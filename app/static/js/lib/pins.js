// Pin and compare. "Pin this run" keeps a copy of what the page has drawn of the live run
// (its curves, its path, its boundary, …) as run A, B or C; the lab draws each pin muted,
// dashed and marked, under the live run, on the charts where a comparison means something,
// and a small table lists the params that differ. It all happens in the page: the server
// does no extra work, and a pin survives a reset, a param change and a reconnect.
//
// A pin is a history (thousands of curve points, a path, a boundary image): three of them
// do not fit in a link, which chat apps and servers cut at a few KB, and the page rewrites
// its link on every param change. So pins travel in the JSON export (a `pins` key the page
// adds to the file it saves), and "Open" reads such a file back: a teacher shares a
// comparison as a file.
//
// A lab opts in with `view.pins = { snapshot, layers }`:
//   snapshot()    a JSON-able copy of what it draws of the live run; null when nothing yet
//   layers(pins)  draws the pins on its charts (pin_traces.js); called when they change

import { el } from "./controls.js";
import { PIN_STYLES, swatch } from "./pin_traces.js";

export const MAX_PINS = 3;
const LETTERS = Object.keys(PIN_STYLES);
const SKIP = new Set(["speed"]); // how fast it plays is not part of the experiment
const FORMAT = 1; // the `pins.format` of an export: its shape, for a later reader
const $ = (id) => document.getElementById(id);

/** A param's value as the table shows it: lists joined, enums in words, numbers short. */
function shown(i18n, name, v) {
  if (v === undefined) return "—";
  if (Array.isArray(v)) return v.join(", ");
  if (typeof v === "number") return String(Number(v.toPrecision(4)));
  if (typeof v === "boolean") return i18n.t(v ? "pins.yes" : "pins.no");
  const key = `param.${name}.${v}`;
  return i18n.has(key) ? i18n.t(key) : String(v);
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** The params, in schema order, whose values are not the same in every run. */
export function differing(schema, runs) {
  const names = Object.keys(schema.properties).filter((k) => !SKIP.has(k));
  return names.filter((k) => runs.some((r) => !same(r.params?.[k], runs[0].params?.[k])));
}

const plain = (v) => Number.isFinite(v) || typeof v === "boolean" || (typeof v === "string" && v.length <= 40);

/** A pin read from a file: the fields a pin needs, of the right types, or null; params of this lab only. */
function validPin(p, schema) {
  const ok = p && typeof p === "object" && p.params && typeof p.params === "object" &&
    p.data && typeof p.data === "object" && Number.isFinite(p.step);
  if (!ok) return null;
  const params = Object.fromEntries(Object.entries(p.params).filter(([k, v]) => k in schema.properties &&
    (plain(v) || (Array.isArray(v) && v.length <= 20 && v.every(plain)))));
  return { step: p.step, params, data: p.data };
}

function download(filename, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const a = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function setupPins({ i18n, toast, state, handlers, lab, schema, view }) {
  const pins = [];
  const hooks = view.pins;
  const box = $("pins");
  if (!hooks || !box) {
    box?.remove();
    return { redraw() {}, list: pins };
  }

  /** "A · lr=0.5": the letter and the first param where the pin differs from the live run. */
  function label(pin) {
    const [k] = differing(schema, [pin, { params: state.params }]);
    if (!k) return pin.letter;
    const v = pin.params[k];
    return `${pin.letter} · ${k}=${Array.isArray(v) ? v.join(",") : typeof v === "number" ? Number(v.toPrecision(3)) : v}`;
  }

  function redraw() {
    for (const p of pins) p.label = label(p);
    renderList();
    renderDiff();
    if (state.mounted) hooks.layers(pins);
  }

  function add(pin) {
    const letter = LETTERS.find((l) => !pins.some((p) => p.letter === l));
    if (!letter) return false;
    pins.push({ ...pin, letter });
    pins.sort((a, b) => a.letter.localeCompare(b.letter));
    return true;
  }

  function pinNow() {
    if (pins.length >= MAX_PINS) return toast(i18n.t("pins.full", { n: MAX_PINS }));
    const data = hooks.snapshot();
    if (!data) return toast(i18n.t("pins.empty"));
    add({ step: state.step, params: structuredClone(state.params), data: structuredClone(data) });
    redraw();
  }

  function remove(letter) {
    pins.splice(pins.findIndex((p) => p.letter === letter), 1);
    redraw();
  }

  function renderList() {
    const list = $("pin-list");
    list.replaceChildren(...pins.map((p) => {
      const x = el("button", { type: "button", className: "pin-x", title: i18n.t("pins.remove_tip", { letter: p.letter }),
        "aria-label": i18n.t("pins.remove_tip", { letter: p.letter }) }, "×");
      x.addEventListener("click", () => remove(p.letter));
      const item = el("li", { className: `pin pin-${p.letter}`, "data-letter": p.letter },
        swatch(p.letter), el("b", {}, p.label), el("span", { className: "pin-step" }, i18n.t("pins.step", { step: p.step })), x);
      return item;
    }));
    $("btn-pin").disabled = pins.length >= MAX_PINS;
    $("btn-pin").title = i18n.t(pins.length >= MAX_PINS ? "pins.full" : "pins.pin_tip", { n: MAX_PINS });
    box.classList.toggle("has-pins", pins.length > 0);
  }

  function renderDiff() {
    const table = $("pin-diff");
    table.hidden = !pins.length;
    if (!pins.length) return;
    const runs = [...pins, { letter: i18n.t("pins.live"), params: state.params }];
    const names = differing(schema, runs);
    const head = el("tr", {}, el("th", { scope: "col" }, i18n.t("pins.param")),
      ...runs.map((r) => el("th", { scope: "col", className: r.step === undefined ? "live" : "" }, r.letter)));
    const body = names.map((k) => el("tr", {}, el("th", { scope: "row", title: i18n.t(`param.${k}.tip`) }, i18n.t(`param.${k}`)),
      ...runs.map((r) => el("td", { className: r.step === undefined ? "live" : "" }, shown(i18n, k, r.params?.[k])))));
    if (!names.length) {
      body.push(el("tr", {}, el("td", { colSpan: runs.length + 1, className: "same" }, i18n.t("pins.same"))));
    }
    table.replaceChildren(el("caption", {}, i18n.t("pins.diff")), el("thead", {}, head), el("tbody", {}, ...body));
  }

  // -- files: the JSON export carries the pins, "Open" reads them back -----------------
  const exported = handlers.export;
  handlers.export = (msg) => exported(msg.format === "json" && pins.length ? withPins(msg) : msg);

  /** The pins and the live run's snapshot (for one who opens the file: a pin more). */
  function record() {
    const live = hooks.snapshot();
    return { format: FORMAT, pinned: pins.map(({ letter, step, params, data }) => ({ letter, step, params, data })),
      live: live && { step: state.step, params: state.params, data: live } };
  }

  function withPins(msg) {
    return { ...msg, content: JSON.stringify({ ...JSON.parse(msg.content), pins: record() }, null, 1) };
  }

  function open(text) {
    let file;
    try {
      file = JSON.parse(text);
    } catch {
      return toast(i18n.t("pins.bad_file"));
    }
    if (file?.lab !== lab) return toast(i18n.t("pins.wrong_lab", { lab: String(file?.lab ?? "?").slice(0, 40) }));
    const pinned = Array.isArray(file.pins?.pinned) ? file.pins.pinned : [];
    const found = [...pinned, file.pins?.live].map((p) => validPin(p, schema)).filter(Boolean);
    if (!found.length) return toast(i18n.t("pins.none_in_file"));
    const taken = found.filter((p) => add(p)).length;
    try {
      redraw();
    } catch { // data this lab cannot draw: the file is refused whole
      pins.splice(0, pins.length, ...pins.filter((p) => !found.some((f) => f.data === p.data)));
      redraw();
      return toast(i18n.t("pins.bad_file"));
    }
    toast(i18n.t(taken < found.length ? "pins.opened_some" : "pins.opened", { n: taken, of: found.length }));
  }

  $("btn-pin").addEventListener("click", pinNow);
  $("btn-pins-open").addEventListener("click", () => $("pins-file").click());
  $("pins-file").addEventListener("change", async (ev) => {
    const file = ev.target.files?.[0];
    ev.target.value = ""; // the same file again is a new choice
    if (file) open(await file.text());
  });
  $("btn-pins-save").addEventListener("click", () => {
    if (!pins.length) return toast(i18n.t("pins.nothing_to_save"));
    const name = `${lab}_pins_step${state.step}.json`;
    download(name, JSON.stringify({ lab, step: state.step, params: state.params, pins: record() }));
    toast(i18n.t("export.saved", { file: name }));
  });
  i18n.onChange(redraw);
  box.hidden = false;
  renderList();
  return { redraw, list: pins, label };
}

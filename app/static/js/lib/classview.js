// The teacher's class view: a tab beside the lab while presenting, with one live tile
// per student who forked (name, step, loss and accuracy with a sparkline, a small
// picture of their model, chips for the params that differ from the teacher's), sorting
// and filters, and the teacher's actions (pause, resume, push, spotlight, anonymise,
// results as CSV). The server sends the tiles that changed about twice a second while
// the tab is open; every name is set as text, never as HTML.

import { drawCurves, drawPicture } from "./tile_pics.js";

const $ = (id) => document.getElementById(id);
const SERIES_POINTS = 64; // as the server keeps them
const STUCK_SHARE = 0.02; // under 2 % better over the last half of the curve: not moving

function thin(points) {
  while (points.length > SERIES_POINTS) {
    const last = points.at(-1);
    for (let i = points.length - 2; i >= 1; i -= 2) points.splice(i, 1);
    if (points.at(-1) !== last) points.push(last);
  }
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A value as a chip shows it: lists comma-joined, whole floats with one decimal (lr 3.0). */
function shownValue(v, prop) {
  if (Array.isArray(v)) return v.length ? v.join(",") : "∅";
  if (typeof v === "number" && prop?.type === "number" && Number.isInteger(v)) return v.toFixed(1);
  if (typeof v === "number") return String(Number(v.toPrecision(4)));
  return String(v);
}

/**
 * ctx: {lab, i18n, send, params: () => teacher's params, schema, toast}.
 * Returns {start(code), stop(), update(msg), relabel()}.
 */
export function setupClassView(ctx) {
  const { i18n, send, schema, toast } = ctx;
  const tiles = new Map(); // id → {data, node}
  const left = new Map(); // students who left: their last state, for the results
  const order = new Map(); // id → join order, for anonymised names
  let code = null, anonymous = false, spotlight = null, open = false;

  // -- tabs -------------------------------------------------------------------------
  function showTab(cls, tell = true) {
    open = cls;
    document.body.classList.toggle("show-class", cls);
    $("classview").hidden = !cls;
    for (const [id, on] of [["tab-lab", !cls], ["tab-class", cls]]) {
      $(id).classList.toggle("on", on);
      $(id).setAttribute("aria-selected", String(on));
    }
    if (tell) send("class", { do: "view", open: cls });
    if (cls) window.dispatchEvent(new Event("resize"));
  }
  $("tab-lab").addEventListener("click", () => open && showTab(false));
  $("tab-class").addEventListener("click", () => !open && showTab(true));

  // -- actions ----------------------------------------------------------------------
  $("cv-pause").addEventListener("click", () => send("class", { do: "pause" }));
  $("cv-play").addEventListener("click", () => send("class", { do: "play" }));
  $("cv-push").addEventListener("click", () => {
    const preset = $("cv-preset").value;
    send("class", preset ? { do: "push", preset } : { do: "push" });
  });
  let anonAsked = null; // the switch as clicked, until the server's messages say so too
  $("cv-anon").addEventListener("change", (ev) => {
    anonAsked = ev.target.checked;
    if (send("class", { do: "anonymise", on: anonAsked }) === null) anonAsked = null;
  });
  $("class-spot-end").addEventListener("click", () => send("class", { do: "spotlight", student: null }));
  $("cv-csv").addEventListener("click", downloadCsv);
  $("cv-sort").addEventListener("change", render);
  $("cv-filter").addEventListener("change", render);

  // -- the class, as the server sends it ------------------------------------------------
  function update(msg) {
    if (msg.full) tiles.forEach((t, id) => { if (!msg.tiles.some((x) => x.id === id)) drop(id); });
    for (const t of msg.tiles) merge(t);
    for (const id of msg.gone) drop(id);
    anonymous = msg.anonymous;
    if (anonAsked === null || anonAsked === anonymous) { // an update sent before the click
      anonAsked = null; // arrives after it: it must not flip the switch back
      $("cv-anon").checked = anonymous;
    }
    spotlight = msg.spotlight;
    render();
  }
  function merge(t) {
    let tile = tiles.get(t.id);
    if (!tile) {
      tile = { data: { series: {} }, node: null };
      tiles.set(t.id, tile);
      if (!order.has(t.id)) order.set(t.id, order.size + 1);
      left.delete(t.id);
    }
    const d = tile.data;
    for (const [k, v] of Object.entries(t)) if (!["add", "series"].includes(k)) d[k] = v;
    if (t.series) d.series = structuredClone(t.series);
    for (const [name, pts] of Object.entries(t.add ?? {})) {
      const into = (d.series[name] ??= []);
      into.push(...pts);
      thin(into);
    }
    tile.dirty = true;
  }
  function drop(id) {
    const tile = tiles.get(id);
    if (!tile) return;
    if (tile.data.state === "forked") left.set(id, { ...tile.data, left: true });
    tile.node?.remove();
    tiles.delete(id);
  }

  // -- what a tile says ----------------------------------------------------------------
  function nameOf(d) {
    if (anonymous) return i18n.t("class.student_n", { n: order.get(d.id) ?? "?" });
    return d.name?.[i18n.lang] || d.name?.en || "?";
  }
  function bestLoss() {
    const losses = [...tiles.values()].map((t) => t.data.loss).filter(Number.isFinite);
    return losses.length ? Math.min(...losses) : null;
  }
  /** Not improving, and no good: flat for the last half of its curve, and worse than the best. */
  function stuck(d, best = bestLoss()) {
    const pts = d.series?.loss ?? [];
    if (d.diverged || pts.length < 8) return false;
    const half = pts[Math.floor(pts.length / 2)][1], now = pts.at(-1)[1];
    const flat = half - now < STUCK_SHARE * Math.abs(half);
    const poor = d.acc != null ? d.acc < 0.9 : best != null && now > 1.5 * best + 1e-9;
    return flat && poor;
  }
  function stateOf(d, best) {
    if (d.left) return "left";
    if (d.diverged) return "diverged";
    if (stuck(d, best)) return "stuck";
    return d.running ? "running" : "paused";
  }
  /** The params that differ from the teacher's, as chips: `lr 3.0`, `ReLU → sigmoid`. */
  function chips(d) {
    const mine = ctx.params(), theirs = d.params ?? {};
    const out = [];
    for (const [name, v] of Object.entries(theirs)) {
      if (!(name in mine) || JSON.stringify(mine[name]) === JSON.stringify(v)) continue;
      const prop = schema.properties[name];
      const label = (x) => (i18n.has(`param.${name}.${x}`) ? i18n.t(`param.${name}.${x}`) : shownValue(x, prop));
      const text = prop?.enum ? `${label(mine[name])} → ${label(v)}` : `${name} ${shownValue(v, prop)}`;
      out.push({ name, text, title: i18n.has(`param.${name}`) ? i18n.t(`param.${name}`) : name });
    }
    return out;
  }
  const pct = (v) => (v == null ? "—" : `${(100 * v).toFixed(1)} %`);
  const lossText = (v) => (v == null ? "—" : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : v.toPrecision(4));

  function build(id) {
    const node = el("article", "tile");
    node.dataset.id = id;
    const head = el("div", "tile-head");
    head.append(el("span", "tile-name"), el("span", "tile-step"), el("span", "tile-state"));
    const body = el("div", "tile-body");
    const pic = el("canvas", "tile-pic");
    const nums = el("div", "tile-nums");
    nums.append(el("span", "tile-loss"), el("span", "tile-acc"), el("canvas", "tile-spark"));
    body.append(pic, nums);
    const spot = el("button", "btn-spot");
    spot.type = "button";
    spot.addEventListener("click", () => send("class", { do: "spotlight", student: spotlight === id ? null : id }));
    node.append(head, body, el("div", "tile-chips"), spot);
    return node;
  }
  function fill(tile, best) {
    const d = tile.data, node = (tile.node ??= build(d.id));
    const q = (sel) => node.querySelector(sel);
    const state = stateOf(d, best);
    q(".tile-name").textContent = nameOf(d);
    q(".tile-name").title = nameOf(d);
    q(".tile-step").textContent = `${i18n.t("stat.step")} ${d.step ?? 0}`;
    q(".tile-state").textContent = i18n.t(`class.state_${state}`);
    q(".tile-state").className = `tile-state ${state}`;
    node.classList.toggle("diverged", state === "diverged");
    node.classList.toggle("spot", spotlight === d.id);
    node.dataset.state = state;
    const lossLine = q(".tile-loss");
    lossLine.replaceChildren(`${i18n.t("stat.loss")} `, el("b", "", lossText(d.loss)));
    q(".tile-acc").replaceChildren(`${i18n.t("class.col_acc")} `, el("b", "", pct(d.acc)));
    q(".tile-acc").hidden = d.acc == null;
    const list = chips(d);
    q(".tile-chips").replaceChildren(...(list.length ? list.map((c) => {
      const chip = el("span", "pchip", c.text);
      chip.title = c.title;
      chip.dataset.param = c.name;
      return chip;
    }) : [el("span", "same", i18n.t("class.same"))]));
    const spot = q(".btn-spot");
    spot.textContent = spotlight === d.id ? i18n.t("class.spot_end") : `☆ ${i18n.t("class.spotlight")}`;
    spot.title = i18n.t("class.spotlight_tip");
    spot.setAttribute("aria-pressed", String(spotlight === d.id));
    q(".tile-pic").title = i18n.t(`class.pic_${ctx.lab}`);
    q(".tile-spark").title = i18n.t("class.spark_tip");
    if (tile.dirty || tile.lang !== i18n.lang) {
      drawPicture(q(".tile-pic"), ctx.lab, d);
      drawCurves(q(".tile-spark"), [d.series?.loss ?? []]);
    }
    tile.dirty = false;
    tile.lang = i18n.lang;
    return node;
  }

  const SORTS = {
    loss: (a, b) => (a.loss ?? Infinity) - (b.loss ?? Infinity),
    acc: (a, b) => (b.acc ?? -1) - (a.acc ?? -1),
    name: (a, b) => nameOf(a).localeCompare(nameOf(b), i18n.lang),
    changed: (a, b) => (b.changed ?? 0) - (a.changed ?? 0),
  };
  function render() {
    const best = bestLoss();
    const forked = [...tiles.values()].filter((t) => t.data.state === "forked");
    const filter = $("cv-filter").value;
    const shown = forked.filter((t) => filter === "all" || stateOf(t.data, best) === filter)
      .sort((a, b) => SORTS[$("cv-sort").value](a.data, b.data) || a.data.id.localeCompare(b.data.id));
    $("cv-tiles").replaceChildren(...shown.map((t) => fill(t, best)));
    $("cv-empty").hidden = forked.length > 0;
    $("class-count").textContent = forked.length;
    $("cv-summary").textContent = i18n.t("class.summary", { forked: forked.length,
      watching: tiles.size - forked.length });
    const spotted = spotlight && tiles.get(spotlight);
    $("class-spot").hidden = !spotted;
    if (spotted) $("class-spot-text").textContent = i18n.t("class.spot_on", { name: nameOf(spotted.data) });
    renderTable(best);
  }

  // -- results ------------------------------------------------------------------------
  function results(best) {
    const rows = [...[...tiles.values()].map((t) => t.data).filter((d) => d.state === "forked"),
      ...left.values()];
    const names = Object.keys(ctx.params());
    return { names, rows: rows.map((d) => ({ d, state: stateOf(d, best),
      changes: chips(d).map((c) => c.text).join("; ") })) };
  }
  function renderTable(best) {
    const { rows } = results(best);
    const head = el("tr");
    for (const key of ["name", "step", "loss", "acc", "state", "changes"]) head.append(el("th", "", i18n.t(`class.col_${key}`)));
    $("cv-table").replaceChildren(head, ...rows.map(({ d, state, changes }) => {
      const tr = el("tr");
      tr.append(el("td", "", nameOf(d)), el("td", "num", String(d.step ?? 0)), el("td", "num", lossText(d.loss)),
        el("td", "num", pct(d.acc)), el("td", "", i18n.t(`class.state_${state}`)), el("td", "", changes || "—"));
      return tr;
    }));
  }
  function csvCell(v) {
    let text = v == null ? "" : Array.isArray(v) ? v.join(" ") : String(v);
    if (/^[=+\-@\t\r]/.test(text) && typeof v === "string") text = `'${text}`; // no formulas
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  }
  function downloadCsv() {
    const { names, rows } = results(bestLoss());
    const header = ["name", "state", "step", "train_loss", "accuracy", "diverged", "changes", ...names];
    const lines = [header, ...rows.map(({ d, state, changes }) => [d.name?.[i18n.lang] ?? d.name?.en ?? "", state, d.step ?? 0,
      d.loss, d.acc, !!d.diverged, changes, ...names.map((n) => d.params?.[n])])];
    const text = lines.map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
    const url = URL.createObjectURL(new Blob(["\ufeff", text], { type: "text/csv" }));
    const a = Object.assign(document.createElement("a"), { href: url, download: `class_${code}_results.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    toast(i18n.t("export.saved", { file: a.download }));
  }

  return {
    start(room) {
      code = room;
      $("class-tabs").hidden = false;
    },
    stop() {
      if (open) showTab(false, false); // the room is gone with the old session: nothing to tell
      code = null;
      $("class-tabs").hidden = true;
      tiles.forEach((t) => t.node?.remove());
      tiles.clear();
      left.clear();
    },
    update,
    relabel: () => tiles.size && render(),
  };
}

// What every lab page shares: language, controls from the schema, the player
// (play/pause/step/reset, keyboard), the session, URL state, errors and the
// divergence state. A lab module only draws: startLab(view) calls
//   view.mount(ctx)          once, with {i18n, send, params, hello}
//   view.on[type](msg)       for each message type it names (data, frame, …)
//   view.reset()             when training restarted (curves start over)
//   view.draw()              at most once per animation frame after a message
//   view.relabel()           after a language switch
//   view.paramsChanged(p)    after the params in force changed
// `?hide=` (params, groups, sections) and `?embed=1` come parsed in the boot
// block; hidden params keep the value the URL gives them.

import { createI18n, translate } from "./i18n.js";
import { buildControls } from "./controls.js";
import { setChartText } from "./charts.js";
import { setupClassroom } from "./classroom.js";
import { applyHide, hiddenParams, setupEmbed, tidyShare } from "./embed.js";
import { LabSession } from "./session.js";
import { queryFor, readQuery, readable, same as sameValue, writeQuery } from "./url_state.js";

const GROUP_ORDER = ["player", "data", "features", "network", "model", "training", "regularization", "start", "view"];
const $ = (id) => document.getElementById(id);

function defaultsOf(schema) {
  return Object.fromEntries(Object.entries(schema.properties).map(([k, p]) => [k, p.default]));
}

function isTyping(ev) {
  if (document.querySelector("dialog[open]")) return true; // keys belong to the dialog
  const t = ev.target;
  return t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName)) &&
    !(t instanceof HTMLInputElement && ["range", "checkbox"].includes(t.type));
}

export function startLab(view) {
  const boot = JSON.parse($("boot").textContent);
  const i18n = createI18n(boot.catalogs, boot.lang);
  const defaults = defaultsOf(boot.schema);
  const state = { params: { ...defaults }, running: false, step: -1, langExplicit: boot.lang_explicit,
    dirty: false, hello: null };
  const query = readQuery();
  const hide = boot.hide ?? [];
  const hidden = hiddenParams(boot.schema, hide);

  // a follower's socket names only its room; everything else comes from the presenter
  // (a class member's socket also names its class: see membership.js)
  const session = new LabSession(boot.lab, () => classroom.socketQuery(state.following
    ? new URLSearchParams({ follow: state.following }) : queryFor(state.params, defaults,
    state.hello ? {} : Object.fromEntries(Object.entries(query).filter(([k]) => k in defaults)))), {
    status: (s) => setConnection(s),
    other: (msg) => {
      view.on?.[msg.type]?.(msg);
      markDirty();
    },
  });
  // while following, the controls are locked: only a fork goes out
  const send = (op, fields) => (state.following && op !== "fork" ? null : session.send(op, fields));
  // what a learner does on a chart must not change a param the teacher hid
  const sendUnlocked = (op, fields) => {
    if (op !== "configure" || !fields?.params || !hidden.size) return send(op, fields);
    const params = Object.fromEntries(Object.entries(fields.params).filter(([k]) => !hidden.has(k)));
    return Object.keys(params).length ? send(op, { ...fields, params }) : null;
  };

  const controls = buildControls($("controls"), boot.schema, i18n, (name, value) => {
    controls.clearErrors();
    send("configure", { params: { [name]: value } });
  });
  orderGroups();
  applyHide($("controls"), controls, hidden);
  $("controls").addEventListener("submit", (ev) => ev.preventDefault()); // Enter in a box
  const handlers = session.handlers;
  handlers.hello = (msg) => {
    state.hello = msg;
    classroom.hello(msg);
    setLocked(!!msg.read_only);
    applyParams(msg.params);
    view.hello?.(msg);
  };
  handlers.config = (msg) => {
    if (msg.forked) {
      classroom.forked();
      setLocked(false);
    }
    applyParams(msg.params);
    if (msg.reset) resetView();
  };
  handlers.frame = (f) => {
    if (f.step < state.step) resetView();
    state.step = f.step;
    document.body.classList.toggle("is-diverged", !!f.diverged);
    $("stat-step").textContent = f.step;
    $("stat-epoch").textContent = f.epoch.toFixed(f.epoch < 10 ? 2 : 1);
    const loss = f.loss?.train;
    $("stat-loss").textContent = loss == null ? "—"
      : Math.abs(loss) < 1e-3 && loss !== 0 ? loss.toExponential(2) : Number(loss).toPrecision(4);
    view.on?.frame?.(f);
    markDirty();
  };
  handlers.state = (msg) => {
    setRunning(msg.running);
    if (msg.reason === "diverged") document.body.classList.add("is-diverged");
  };
  handlers.error = (msg) => {
    if (classroom.roomError(msg)) return;
    let shown = false;
    for (const e of msg.errors ?? []) shown = controls.showError(e.field, e.message) || shown;
    controls.set(state.params); // put the widget back to the value in force
    if (!shown || msg.code !== "invalid_params") toast(`${i18n.t("error.prefix")} ${msg.message}`);
  };

  function applyParams(params) {
    state.params = params;
    controls.set(params);
    view.paramsChanged?.(params);
    writeUrl();
  }
  /** The experiment as a query: params off their defaults, the language, the view toggles. */
  function pageQuery() {
    return queryFor(state.params, defaults, { follow: state.following,
      lang: state.langExplicit ? i18n.lang : null, ...(view.urlExtras?.() ?? {}) });
  }
  function writeUrl() {
    const q = pageQuery();
    writeQuery(q);
    const open = $("embed-open"); // the embedded page's way out to the full page
    if (open) open.href = `${location.pathname}?${readable(q)}`;
    const other = new URLSearchParams(location.search); // for a middle click on the toggle
    other.set("lang", i18n.lang === "zh" ? "en" : "zh");
    $("lang-toggle")?.setAttribute("href", `?${readable(other)}`);
  }
  /** A follower's controls are locked (hide= stays as it is: a disabled box stays disabled). */
  function setLocked(locked) {
    document.body.classList.toggle("is-following", locked);
    const boxes = document.querySelectorAll("#controls fieldset, .player button, #presets button");
    for (const box of boxes) box.disabled = locked;
  }
  function resetView() {
    view.reset?.();
    document.body.classList.remove("is-diverged");
    markDirty();
  }
  function markDirty() {
    state.dirty = true;
  }
  function setRunning(running) {
    state.running = running;
    const play = $("btn-play");
    play.classList.toggle("playing", running);
    play.querySelector("[data-i18n]").dataset.i18n = running ? "player.pause" : "player.play";
    play.querySelector("[data-i18n]").textContent = i18n.t(running ? "player.pause" : "player.play");
    play.setAttribute("aria-pressed", String(running));
  }
  function setConnection(s) {
    const pill = $("conn");
    pill.dataset.state = s;
    pill.dataset.i18n = `conn.${s}`;
    pill.textContent = i18n.t(`conn.${s}`);
    if (s !== "open") setRunning(false);
  }
  function toast(text) {
    const t = $("toast");
    // a modal dialog covers the page: show the toast in it
    const host = document.querySelector("dialog[open]") ?? document.body;
    if (t.parentElement !== host) host.append(t);
    t.textContent = text;
    t.classList.add("show");
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => t.classList.remove("show"), 5000);
  }
  function orderGroups() {
    const root = $("controls");
    for (const g of GROUP_ORDER) {
      const set = root.querySelector(`.group-${g}`);
      if (set) root.append(set);
    }
  }

  const player = {
    toggle: () => send(state.running ? "pause" : "play"),
    step: () => send("step", { steps: 1 }),
    reset: () => send("reset"),
  };
  $("btn-play").addEventListener("click", player.toggle);
  $("btn-step").addEventListener("click", player.step);
  $("btn-reset").addEventListener("click", player.reset);
  $("btn-diverged-reset")?.addEventListener("click", player.reset);
  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || isTyping(ev) || hide.includes("player")) return;
    const act = { " ": player.toggle, s: player.step, ArrowRight: player.step, r: player.reset }[ev.key];
    if (act) {
      ev.preventDefault();
      act();
    }
  });
  // a lesson that would change a hidden param is not offered
  const lessons = hide.includes("presets") ? {} : Object.fromEntries(Object.entries(boot.presets ?? {})
    .filter(([, p]) => !Object.keys(p).some((k) => hidden.has(k))));
  buildPresets(lessons, i18n, (p) => {
    // a lesson button always (re)starts its lesson, even when its params are in force
    const same = Object.entries(p).every(([k, v]) => sameValue(state.params[k], v));
    send(same ? "reset" : "configure", same ? {} : { params: p });
  });
  $("lang-toggle")?.addEventListener("click", (ev) => {
    ev.preventDefault(); // switch in place, no reload
    state.langExplicit = true;
    i18n.set(i18n.lang === "zh" ? "en" : "zh");
    writeUrl();
  });
  const chartText = () => setChartText({ png: i18n.t("chart.png"), camera: i18n.t("chart.camera") });
  const classroom = setupClassroom({ i18n, toast, send, handlers, state, follow: query.follow,
    lab: boot.lab, query, schema: boot.schema, params: () => state.params, resetView });
  i18n.onChange(() => {
    classroom.relabel();
    chartText();
    view.relabel?.();
    markDirty();
  });
  setupEmbed({ i18n, toast, query: pageQuery, hidden, hide,
    hasPresets: Object.keys(boot.presets ?? {}).length > 0 });
  tidyShare();

  chartText();
  view.mount?.({ i18n, send: sendUnlocked, params: () => state.params, state, toast, writeUrl,
    markDirty });
  translate(document, i18n);
  session.connect();
  const loop = () => {
    if (state.dirty) {
      state.dirty = false;
      view.draw?.();
    }
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
  window.descent = { session, state, i18n }; // for tests and the curious
}

function buildPresets(presets, i18n, apply) {
  const root = $("presets");
  if (!root || !presets || !Object.keys(presets).length) return;
  for (const [name, params] of Object.entries(presets)) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "preset";
    b.dataset.preset = name;
    b.dataset.i18n = `preset.${name}`;
    b.dataset.i18nTip = `preset.${name}.tip`;
    b.textContent = i18n.t(`preset.${name}`);
    b.title = i18n.t(`preset.${name}.tip`);
    b.addEventListener("click", () => apply(params));
    root.append(b);
  }
  root.closest(".presets")?.classList.remove("hidden");
}

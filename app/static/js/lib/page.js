// What every lab page shares: language, controls from the schema, the player
// (play/pause/step/reset, keyboard), the session, URL state, errors and the
// divergence state. A lab module only draws: startLab(view) calls
//   view.mount(ctx)          once, with {i18n, send, params, hello}
//   view.on[type](msg)       for each message type it names (data, frame, …)
//   view.onError(msg)        optional: true when the view showed the error itself
//   view.reset()             when training restarted (curves start over)
//   view.draw()              at most once per animation frame after a message
//   view.relabel()           after a language switch
//   view.paramsChanged(p)    after the params in force changed
//   view.ownControls         params the lab edits itself: no generic control for them
// `?hide=` (params, groups, sections) and `?embed=1` come parsed in the boot
// block; hidden params keep the value the URL gives them.

import { createI18n, translate } from "./i18n.js";
import { buildControls } from "./controls.js";
import { afterPaint, allDrawn, drawTick, plotlyReady, setChartText } from "./charts.js";
import { setupClassroom } from "./classroom.js";
import { applyHide, hiddenParams, setupEmbed, tidyShare } from "./embed.js";
import { LabSession } from "./session.js";
import { setupLessons } from "./lessons.js";
import { setupTimeline } from "./timeline.js";
import { setupPins } from "./pins.js";
import { setupHelp } from "./help.js";
import { explainError } from "./errors.js";
import { queryFor, readQuery, readable, writeQuery } from "./url_state.js";

const QUICK = ["lr", "speed"];
const GROUP_ORDER = ["player", "data", "features", "network", "model", "training", "regularization", "start", "view"];
const $ = (id) => document.getElementById(id);

function defaultsOf(schema) {
  return Object.fromEntries(Object.entries(schema.properties).map(([k, p]) => [k, p.default]));
}

/** A loss in at most about six characters: 0.0412, 4.12e-3, 5.63e+20. */
function statNumber(v) {
  if (v == null || !Number.isFinite(v)) return "—";
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.01 || a >= 1e4)) return v.toExponential(2).replace("e+", "e");
  return Number(v.toPrecision(3)).toString();
}

function isTyping(ev) {
  if (document.querySelector("dialog[open]")) return true; // keys belong to the dialog
  const t = ev.target;
  return t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName)) &&
    !(t instanceof HTMLInputElement && ["range", "checkbox"].includes(t.type));
}

export function startLab(view) {
  const boot = JSON.parse($("boot").textContent);
  const i18n = createI18n(boot.catalogs, boot.lang, boot.catalog_files);
  setupHelp(i18n);
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
    // a socket the server closed for good (no such room, refused) is not retried: say so
    status: (s, ev) => setConnection(s === "closed" && [4404, 1008].includes(ev?.code) ? "ended" : s),
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

  const sent = {}; // the value last sent for each param: an error names it
  const controls = buildControls($("controls"), boot.schema, i18n, (name, value) => {
    controls.clearErrors();
    sent[name] = value;
    send("configure", { params: { [name]: value } });
  }, { skip: view.ownControls ?? [] }); // params a lab edits in a panel of its own
  controls.set(state.params); // the defaults until the server's hello: never blank boxes
  orderGroups();
  applyHide($("controls"), controls, hidden);
  // where the eye lands, under the player: the learning rate and the speed
  for (const name of QUICK) {
    const row = controls.controls[name]?.row;
    if (row && !row.classList.contains("hidden")) $("quick").append(row);
  }
  for (const box of $("controls").querySelectorAll("fieldset.group:not(.quick)")) {
    if (!box.querySelector(".ctl")) box.remove(); // emptied by the move: no heading without controls
    else box.classList.toggle("hidden", !box.querySelector(".ctl:not(.hidden)"));
  }
  $("quick").classList.toggle("hidden", !$("quick").querySelector(".ctl:not(.hidden)"));
  $("controls").addEventListener("submit", (ev) => ev.preventDefault()); // Enter in a box
  const timeline = setupTimeline({ i18n, send, state, controls, schema: boot.schema, hidden,
    step: () => player.step() });
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
    if (!timeline.frame(f) && f.step < state.step) resetView(); // a seek's frame is no restart
    state.step = f.step;
    document.body.classList.toggle("is-diverged", !!f.diverged);
    $("stat-step").textContent = f.step;
    $("stat-epoch").textContent = f.epoch.toFixed(f.epoch < 10 ? 2 : 1);
    const loss = f.loss?.train;
    $("stat-loss").textContent = statNumber(loss);
    $("stat-loss").title = loss == null ? "" : String(loss); // every digit, on hover
    view.on?.frame?.(f);
    lessonKit?.frame(f);
    markDirty();
  };
  handlers.state = (msg) => {
    setRunning(msg.running);
    if (msg.reason === "diverged") document.body.classList.add("is-diverged");
  };
  handlers.error = (msg) => {
    timeline.answered(msg.id);
    if (classroom.roomError(msg) || view.onError?.(msg)) return; // a view's own (an upload's)
    let shown = false;
    for (const e of msg.errors ?? []) {
      const why = explainError(i18n, boot.schema, e, sent[e.field], state.params[e.field]);
      shown = controls.showError(e.field, why) || shown;
    }
    controls.set(state.params, { force: true }); // put the widget back to the value in force
    if (!shown || msg.code !== "invalid_params") toast(`${i18n.t("error.prefix")} ${explainError(i18n, boot.schema, msg)}`);
  };

  function applyParams(params) {
    state.params = params;
    controls.set(params);
    view.paramsChanged?.(params);
    pins?.redraw(); // the table of differences, the pins' labels
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
    timeline.reset();
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
  // the way back from a blow-up: a rate ten times smaller, from the start
  const lower = $("btn-diverged-lower");
  if (lower && (!("lr" in defaults) || hidden.has("lr"))) lower.hidden = true;
  lower?.addEventListener("click", () => {
    const lr = boot.schema.properties.lr;
    const floor = lr.exclusiveMinimum ?? lr.minimum ?? 0;
    const next = Math.max(Number((state.params.lr / 10).toPrecision(2)), (lr["x-step"] ?? 1e-4));
    if (next > floor) send("configure", { params: { lr: next } });
    send("reset");
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || isTyping(ev) || hide.includes("player")) return;
    const act = { " ": player.toggle, s: player.step, ArrowRight: timeline.forward, ArrowLeft: timeline.back,
      r: player.reset }[ev.key];
    if (act) {
      ev.preventDefault();
      act();
    }
  });
  // a lesson that would change a hidden param is not offered
  const lessons = hide.includes("presets") ? {} : Object.fromEntries(Object.entries(boot.presets ?? {})
    .filter(([, p]) => !Object.keys(p).some((k) => hidden.has(k))));
  const lessonKit = setupLessons(lessons, { i18n, send, state, view });
  $("lang-toggle")?.addEventListener("click", (ev) => {
    ev.preventDefault(); // switch in place, no reload
    const toggle = ev.currentTarget;
    if (toggle.getAttribute("aria-busy") === "true") return; // the first switch's strings are on their way
    const want = i18n.lang === "zh" ? "en" : "zh";
    toggle.setAttribute("aria-busy", "true");
    i18n.load(want).then(() => {
      i18n.set(want);
      state.langExplicit = true;
      writeUrl();
    }, () => toast(i18n.t("site.lang_failed"))).finally(() => toggle.removeAttribute("aria-busy"));
  });
  const chartText = () => setChartText({ png: i18n.t("chart.png"), camera: i18n.t("chart.camera") });
  const classroom = setupClassroom({ i18n, toast, send, handlers, state, follow: query.follow,
    lab: boot.lab, query, schema: boot.schema, params: () => state.params, resetView });
  i18n.onChange(() => {
    classroom.relabel();
    timeline.relabel();
    chartText();
    if (state.mounted) view.relabel?.();
    markDirty();
  });
  const pins = setupPins({ i18n, toast, state, handlers, lab: boot.lab, schema: boot.schema, view });
  setupEmbed({ i18n, toast, query: pageQuery, hidden, hide,
    hasPresets: Object.keys(boot.presets ?? {}).length > 0 });
  tidyShare();

  chartText();
  translate(document, i18n);
  // the socket opens now, while Plotly downloads and parses; its messages wait for the charts
  session.ready = plotlyReady().then(() => {
    view.mount?.({ i18n, send: sendUnlocked, params: () => state.params, state, toast, writeUrl,
      markDirty, pins });
    state.mounted = true;
    translate(document, i18n); // what the view added
    // the first chart is painted before the messages that came meanwhile are handled
    return afterPaint();
  }, (error) => {
    session.close(); // no charts to train for: say why, once
    document.body.classList.add("no-charts");
    toast(`${i18n.t("error.prefix")} ${error.message}`);
    return new Promise(() => {});
  });
  session.connect();
  document.addEventListener("chart-error", (ev) => toast(`${i18n.t("error.prefix")} ${ev.detail}`));
  const loop = () => {
    requestAnimationFrame(loop); // first: a drawing that throws must not stop the next ones
    drawTick();
    if (state.dirty && state.mounted) {
      state.dirty = false;
      view.draw?.();
    }
  };
  requestAnimationFrame(loop);
  window.descent = { session, state, i18n, lessons: lessonKit, pins, allDrawn }; // for tests and the curious
}

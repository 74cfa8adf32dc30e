// Rewind: the timeline under the player (docs/protocol.md, `seek`). Dragging it back asks
// the server for the run at that step; the frame it answers with is drawn like any other,
// and every curve and path shows the run up to that step (charts.js: showUpTo). Resuming,
// stepping or changing a setting goes on from there: the server drops the later steps and
// so do the charts (cutAfter). After a blow-up, "Go back to before it diverged" asks for
// the last healthy checkpoint and fills the learning-rate box with half the rate.

import { cutAfter, showUpTo } from "./charts.js";

const $ = (id) => document.getElementById(id);
const NONE = { frame: () => false, reset() {}, back() {}, forward() {}, answered() {}, relabel() {} };

/** `ctx` = {i18n, send, state, controls, schema, hidden, step}: `step` trains one update. */
export function setupTimeline(ctx) {
  const root = $("timeline");
  if (!root) return NONE;
  const { i18n, send, state, controls, schema, hidden } = ctx;
  const range = $("tl-range");
  // first/last: the steps a seek can reach; at: the step shown while looking back (else
  // null); pending: the id of the seek under way, target: its step, want: the next one
  const T = { first: 0, last: 0, at: null, info: null, pending: null, target: null, want: null,
    dragging: false, suggest: null, suggestNext: false };
  const lr = schema.properties.lr;
  const canSuggest = !!lr && !hidden.has("lr");

  function render() {
    const locked = document.body.classList.contains("is-following");
    const first = T.first ?? 0, last = Math.max(T.last ?? 0, first), shown = T.at ?? last;
    range.min = String(first);
    range.max = String(last);
    if (!T.dragging) range.value = String(T.target ?? shown);
    $("tl-where").textContent = T.at == null ? i18n.t("timeline.where_live", { last })
      : i18n.t("timeline.where", { step: T.at, last });
    $("tl-where").title = T.info ? memory(T.info) : "";
    $("tl-rewound").hidden = T.at == null || locked;
    document.body.classList.toggle("is-rewound", T.at != null);
    root.setAttribute("aria-busy", String(T.pending != null)); // a far seek replays a while
    range.disabled = locked || last <= first;
    $("tl-back").disabled = locked || shown <= first;
    $("tl-forward").disabled = locked;
    const tip = $("tl-suggest");
    tip.hidden = !T.suggest;
    if (T.suggest) tip.textContent = i18n.t("timeline.suggest", T.suggest);
    controls.controls.lr?.row.classList.toggle("suggested", !!T.suggest);
    const back = $("btn-diverged-back");
    if (back) back.hidden = locked;
  }

  function memory(info) {
    const replay = 2 * info.stride;
    return i18n.t("timeline.memory_tip", { n: info.checkpoints, kb: Math.round(info.bytes / 1024),
      mb: Math.round(info.budget / 2 ** 20), replay });
  }

  /** Ask for `target` (a step, or "healthy"); one seek at a time, the newest wish next. */
  function seek(target) {
    T.want = target;
    if (T.pending == null) next();
  }
  function next() {
    const target = T.want;
    T.want = null;
    if (target == null) return;
    T.target = typeof target === "number" ? target : null;
    T.pending = send("seek", typeof target === "number" ? { step: target } : { to: target });
    if (T.pending == null) T.target = null; // not connected, or following
    render();
  }

  function clearSuggestion() {
    if (!T.suggest) return;
    T.suggest = null;
    controls.set(state.params, { force: true }); // the box back to the rate in force
  }

  /** Half the rate in force, in the box, for the learner to accept or change. */
  function suggestHalf() {
    const now = state.params.lr;
    const floor = lr.exclusiveMinimum ?? lr.minimum ?? 0;
    const half = Number((now / 2).toPrecision(3));
    if (!(half > floor)) return;
    T.suggest = { lr: half, old: now };
    controls.set({ lr: half }, { force: true });
  }

  range.addEventListener("input", () => {
    T.dragging = true;
    seek(Number(range.value));
  });
  range.addEventListener("change", () => {
    T.dragging = false;
    seek(Number(range.value));
  });
  const position = () => T.want ?? T.target ?? T.at ?? T.last;
  const api = {
    /** ← : one step back through the run. */
    back() {
      const from = position();
      if (typeof from === "number" && from > (T.first ?? 0)) seek(from - 1);
    },
    /** → : one step forward through the steps already run, then a new update. */
    forward() {
      const from = position();
      if (T.at != null && typeof from === "number" && from < T.last) seek(from + 1);
      else ctx.step();
    },
    /** A frame: true when it answers a seek (a step back, not a restart). */
    frame(f) {
      if (f.rewind) {
        T.first = f.rewind.first;
        T.last = f.rewind.last;
        T.info = f.rewind;
        T.at = f.step < T.last ? f.step : null;
        showUpTo(T.at);
        if (T.suggestNext && f.id != null && f.id === T.pending) {
          T.suggestNext = false;
          if (canSuggest && !f.diverged) suggestHalf();
        }
        if (f.id != null && f.id === T.pending) api.answered(f.id);
        render();
        return true;
      }
      if (T.at != null && f.step >= T.at) cutAfter(T.at); // the run went on from there
      else if (T.at != null) showUpTo(null); // it restarted
      if (T.at != null) clearSuggestion();
      const restart = f.step < (T.at ?? T.last ?? 0);
      T.at = null;
      if (T.first == null || restart) T.first = f.step;
      T.last = f.step;
      render();
      return false;
    },
    /** Training restarted (a reset, new data): the timeline starts over. */
    reset() {
      T.first = null;
      T.last = null;
      T.at = null;
      T.suggest = null;
      showUpTo(null);
    },
    /** A reply with this id came (a frame, or an error): the next seek may go. */
    answered(id) {
      if (id == null || id !== T.pending) return;
      T.pending = null;
      T.target = null;
      next();
      render();
    },
    relabel: render,
  };
  $("tl-back").addEventListener("click", api.back);
  $("tl-forward").addEventListener("click", api.forward);
  $("tl-newest").addEventListener("click", () => seek(T.last));
  $("tl-resume").addEventListener("click", () => {
    if (T.suggest) send("configure", { params: { lr: T.suggest.lr } });
    T.suggest = null;
    send("play");
  });
  $("btn-diverged-back")?.addEventListener("click", () => {
    T.suggestNext = true;
    seek("healthy");
  });
  const back = $("btn-diverged-back");
  if (back) back.hidden = false;
  render();
  return api;
}

// Lesson buttons and the lesson card. A lesson is an experiment with its own start: its
// button pauses, applies the lesson's params, lets the lab drop what a learner added (the
// view's `beforeLesson`), and always resets, so the step counter and the start point are the
// lesson's own even when its params are already in force (a `configure` that changes nothing
// of the data or the start does not reset by itself). The card then says what to watch, on
// the page rather than in a tooltip that touch screens never show.

import { same } from "./url_state.js";

const $ = (id) => document.getElementById(id);

/**
 * Build the buttons into #presets; `ctx` = {i18n, send, state, view}.
 * Returns {start(name)} for tests and for the keyboard.
 */
export function setupLessons(lessons, ctx) {
  const root = $("presets");
  const names = Object.keys(lessons ?? {});
  if (!root || !names.length) return { start() {}, frame() {} };
  const { i18n, send, state, view } = ctx;
  const card = $("lesson-card");

  function start(name) {
    const params = lessons[name];
    if (state.running) send("pause");
    const changes = Object.fromEntries(Object.entries(params).filter(([k, v]) => !same(state.params[k], v)));
    if (Object.keys(changes).length) send("configure", { params: changes });
    view.beforeLesson?.(send);
    state.lessonReset = send("reset"); // its frame (same id) is the lesson's step 0
    root.querySelectorAll(".preset").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.preset === name)));
    show(name);
  }

  function show(name) {
    if (!card) return;
    $("lesson-name").dataset.i18n = `preset.${name}`;
    $("lesson-text").dataset.i18n = `preset.${name}.tip`;
    $("lesson-name").textContent = i18n.t(`preset.${name}`);
    $("lesson-text").textContent = i18n.t(`preset.${name}.tip`);
    card.dataset.lesson = name;
    card.dataset.state = "starting";
    card.hidden = false;
    // on a phone the lesson buttons sit below the charts: bring the card and the charts up
    const box = card.getBoundingClientRect();
    if (box.top < 0 || box.bottom > innerHeight) card.scrollIntoView({ block: "start" });
  }

  for (const name of names) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "preset";
    b.dataset.preset = name;
    b.dataset.i18n = `preset.${name}`;
    b.dataset.i18nTip = `preset.${name}.tip`;
    b.setAttribute("aria-pressed", "false");
    b.textContent = i18n.t(`preset.${name}`);
    b.title = i18n.t(`preset.${name}.tip`);
    b.addEventListener("click", () => start(name));
    root.append(b);
  }
  root.closest(".presets")?.classList.remove("hidden");
  $("lesson-close")?.addEventListener("click", () => {
    card.hidden = true;
  });
  return {
    start,
    /** A frame arrived: the one answering the lesson's reset means the lesson is at its start. */
    frame(f) {
      if (!card) return;
      if (f.id != null && f.id === state.lessonReset) card.dataset.state = "started";
      // once it has moved on, "started again from step 0, press Play" is no longer news
      else if (card.dataset.state === "started" && f.step > 0) card.dataset.state = "going";
    },
  };
}

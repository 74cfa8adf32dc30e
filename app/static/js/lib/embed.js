// Embedding a lab in another page: `hide=` locks controls away, the Embed
// dialog writes the iframe snippet. openDialog and copyText are generic, for
// any other dialog of the share section.

import { el } from "./controls.js";
import { readable } from "./url_state.js";

/** Sidebar sections that `hide=` knows besides params and their groups. */
export const SECTIONS = ["player", "presets", "share"];
const FRAME_HEIGHT = 640;

/** The params that `hide` names, by name or by their group (x-group). */
export function hiddenParams(schema, hide) {
  return new Set(Object.entries(schema.properties)
    .filter(([name, p]) => hide.includes(name) || hide.includes(p["x-group"] ?? "training"))
    .map(([name]) => name));
}

/** Remove the hidden controls from view; a group or "more" box left empty goes too. */
export function applyHide(root, controls, params) {
  controls.hide([...params]);
  for (const [name, c] of Object.entries(controls.controls)) {
    if (params.has(name)) c.widget.inputs.forEach((i) => (i.disabled = true));
  }
  for (const box of root.querySelectorAll("fieldset.group, details.advanced")) {
    box.classList.toggle("hidden", !box.querySelector(".ctl:not(.hidden)"));
  }
}

/** Show the share section only when it holds a visible button. */
export function tidyShare() {
  const share = document.getElementById("share");
  if (share && !share.querySelector("button:not(.hidden)")) share.classList.add("hidden");
}

/** Open a <dialog> modally; a click on its backdrop closes it, like Escape. */
export function openDialog(dialog) {
  if (!dialog.dataset.wired) {
    dialog.dataset.wired = "1";
    dialog.addEventListener("click", (ev) => {
      if (ev.target === dialog) dialog.close(); // the backdrop, outside .dialog-box
    });
  }
  if (!dialog.open) dialog.showModal();
  return dialog;
}

/** Copy a text box's value; where the clipboard API is missing, select it for Ctrl+C. */
export async function copyText(box, toast, i18n) {
  try {
    await navigator.clipboard.writeText(box.value);
    toast(i18n.t("share.copied"));
  } catch {
    box.focus();
    box.select();
    // execCommand is deprecated, but still the only copy on a plain-http school server
    toast(i18n.t(document.execCommand?.("copy") ? "share.copied" : "share.copy_manual"));
  }
}

const escapeAttr = (s) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

/** The iframe snippet for `url` (absolute). */
export function snippet(url, title) {
  return `<iframe src="${escapeAttr(url)}" width="100%" height="${FRAME_HEIGHT}" ` +
    `title="${escapeAttr(title)}" loading="lazy" style="border:0"></iframe>`;
}

/** One checkbox per control (by group, in the sidebar's order) plus the hideable sections. */
function pickList(root, hidden, i18n, hide, hasPresets) {
  const pick = (name, key, on) => el("label", { className: "pick" },
    el("input", { type: "checkbox", value: name, checked: on }),
    el("span", { "data-i18n": key }, i18n.t(key)));
  const groups = [["hide.sections", [pick("player", "hide.player", hide.includes("player")),
    hasPresets ? pick("presets", "preset.heading", hide.includes("presets")) : null]]];
  for (const set of document.querySelectorAll("#controls fieldset.group")) {
    const group = [...set.classList].find((c) => c.startsWith("group-")).slice(6);
    const names = [...set.querySelectorAll(".ctl")].map((r) => r.dataset.param);
    groups.push([`group.${group}`, names.map((n) => pick(n, `param.${n}`, hidden.has(n)))]);
  }
  root.replaceChildren(...groups.map(([key, picks]) => el("div", { className: "pick-group" },
    el("h3", { "data-i18n": key }, i18n.t(key)), ...picks)));
}

/**
 * The Embed button and its dialog. `query()` gives the page's current query
 * (params, language, view toggles) without embed and hide.
 */
export function setupEmbed({ i18n, toast, query, hidden, hide, hasPresets }) {
  const dialog = document.getElementById("embed-dialog");
  const button = document.getElementById("btn-embed");
  if (!dialog || !button) return;
  const code = document.getElementById("embed-code");
  const picks = document.getElementById("embed-hide");
  const update = () => {
    const q = query();
    q.set("embed", "1");
    const names = [...picks.querySelectorAll("input:checked")].map((b) => b.value);
    if (names.length) q.set("hide", names.join(","));
    // an iframe without Play and Step would never start: say so before it is pasted
    document.getElementById("embed-warn").hidden = !names.includes("player");
    const url = `${location.origin}${location.pathname}?${readable(q)}`;
    code.value = snippet(url, `${i18n.t("lab.title")} · ${i18n.t("site.name")}`);
  };
  button.addEventListener("click", () => {
    if (!picks.children.length) pickList(picks, hidden, i18n, hide, hasPresets);
    update();
    openDialog(dialog);
  });
  picks.addEventListener("change", update);
  code.addEventListener("focus", () => code.select());
  document.getElementById("embed-copy").addEventListener("click", () => copyText(code, toast, i18n));
  i18n.onChange(() => dialog.open && update());
}

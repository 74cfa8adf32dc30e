// "Your own data" for beans and circles: drop or pick a CSV file, or paste rows from a
// spreadsheet. The text goes to the server in parts (the `upload` op, docs/protocol.md 8.5);
// a refused table comes back with a code and a line, said here in the page's language.

const PART_CHARS = 12000; // ≤ 4 bytes a character, JSON escapes included: well under 64 KiB
const KB = 1024;

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k.startsWith("data-") || k.startsWith("aria-") || k === "for" || k === "role") e.setAttribute(k, v);
    else e[k] = v;
  }
  e.append(...children);
  return e;
}

const text = (key, i18n, extra = {}) => el("span", { "data-i18n": key, ...extra }, i18n.t(key));

/**
 * Mount the panel into the "data" group of the controls; returns the handlers the lab
 * wires: `on.upload`, `onError(msg)` (true when the error was an upload's), `onData(msg)`.
 */
export function mountUpload(ctx, kind) {
  const { i18n } = ctx;
  const t = i18n.t;
  const input = el("input", { type: "file", accept: ".csv,.tsv,.txt,text/csv,text/plain", hidden: true,
    id: "upload-file" });
  const pick = el("button", { type: "button", className: "upload-btn upload-pick" }, text("upload.pick", i18n));
  const zone = el("div", { className: "upload-zone", tabIndex: 0, role: "button",
    "data-i18n-tip": "upload.tip", title: t("upload.tip") },
  text("upload.drop", i18n), " ", pick, input);
  const paste = el("textarea", { className: "upload-paste", rows: 3, spellcheck: false,
    placeholder: t(`upload.placeholder.${kind}`), "data-i18n-aria": "upload.paste",
    "aria-label": t("upload.paste") });
  const use = el("button", { type: "button", className: "upload-btn upload-use", disabled: true },
    text("upload.use", i18n));
  const status = el("p", { className: "upload-status", "aria-live": "polite" });
  const error = el("p", { className: "upload-error", role: "alert", hidden: true });
  const clear = el("button", { type: "button", className: "upload-btn upload-clear", hidden: true,
    "data-i18n-tip": "upload.clear.tip", title: t("upload.clear.tip") }, text("upload.clear", i18n));
  const panel = el("div", { className: "upload", id: "upload" },
    el("h3", {}, text("upload.title", i18n)),
    el("p", { className: "upload-hint" }, text(`upload.hint.${kind}`, i18n)),
    zone, el("label", { className: "upload-paste-label" }, text("upload.paste", i18n), paste),
    el("div", { className: "upload-row" }, use, clear), status, error);
  const group = document.querySelector("#controls .group-data") ?? document.querySelector("#controls");
  group.append(panel);

  const U = { id: null, rows: 0, last: null }; // the op id of the upload under way

  function say(node, key, vars) {
    node.dataset.key = key;
    node.dataset.vars = JSON.stringify(vars ?? {});
    node.textContent = key ? t(key, vars) : "";
  }

  function showError(detail) {
    U.last = detail;
    error.hidden = !detail;
    if (!detail) return;
    error.textContent = explain(i18n, detail);
    say(status, "", {});
  }

  function send(textValue) {
    showError(null);
    if (!textValue.trim()) return;
    const parts = Math.max(1, Math.ceil(textValue.length / PART_CHARS));
    let id = null;
    for (let k = 0; k < parts; k++) {
      const part = textValue.slice(k * PART_CHARS, (k + 1) * PART_CHARS);
      const sent = ctx.send("upload", { text: part, part: k, parts });
      if (sent == null) return; // a follower: the teacher's data comes from the teacher
      id ??= sent;
      U.ids = k === 0 ? new Set([sent]) : U.ids.add(sent);
    }
    U.id = id;
    say(status, "upload.sending", {});
  }

  function readFile(file) {
    if (!file) return;
    const max = ctx.state.hello?.limits?.upload?.max_bytes ?? KB * KB;
    if (file.size > max) {
      showError({ code: "too_large", line: null, values: { max_kb: Math.floor(max / KB) } });
      return;
    }
    file.text().then((s) => {
      if (s.includes("\u0000")) showError({ code: "not_text", line: null, values: {} });
      else send(s);
    }, () => showError({ code: "not_text", line: null, values: {} }));
  }

  pick.addEventListener("click", (ev) => { ev.stopPropagation(); input.click(); });
  zone.addEventListener("click", () => input.click());
  zone.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") input.click(); });
  input.addEventListener("change", () => { readFile(input.files?.[0]); input.value = ""; });
  for (const name of ["dragenter", "dragover"]) {
    zone.addEventListener(name, (ev) => { ev.preventDefault(); zone.classList.add("over"); });
  }
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (ev) => {
    ev.preventDefault();
    zone.classList.remove("over");
    readFile(ev.dataTransfer?.files?.[0]);
  });
  paste.addEventListener("input", () => { use.disabled = !paste.value.trim(); });
  use.addEventListener("click", () => send(paste.value));
  clear.addEventListener("click", () => { showError(null); ctx.send("upload_clear"); });
  i18n.onChange(() => {
    paste.placeholder = t(`upload.placeholder.${kind}`);
    if (U.last) error.textContent = explain(i18n, U.last);
    if (status.dataset.key) status.textContent = t(status.dataset.key, JSON.parse(status.dataset.vars));
  });

  return {
    on: {
      upload(msg) {
        if (!msg.done) {
          say(status, "upload.progress", { p: Math.round((100 * (msg.part + 1)) / msg.parts) });
          return;
        }
        U.id = null;
        if (msg.rows === 0) say(status, "", {});
        else if (msg.classes.length) say(status, "upload.done_classes", { rows: msg.rows, k: msg.classes.length });
        else say(status, "upload.done", { rows: msg.rows });
      },
    },
    /** An upload's error, shown in the panel; false for any other error. */
    onError(msg) {
      const ours = msg.code === "bad_upload" || (msg.code === "rate_limited" && U.ids?.has(msg.id)) ||
        (U.ids?.has(msg.id) && msg.code === "invalid_params");
      if (!ours) return false;
      U.id = null;
      const detail = msg.errors?.find((e) => e.code) ??
        { code: msg.code === "bad_upload" ? "order" : msg.code, line: null, values: {} };
      showError(detail);
      return true;
    },
    /** A lesson is its own experiment: it starts from generated data. True if it had to ask. */
    beforeLesson(send) {
      if (!U.rows) return false;
      send("upload_clear");
      return true;
    },
    /** New data: a table of the learner's, or generated (then the panel is back to empty). */
    onData(msg) {
      U.rows = msg.upload?.rows ?? 0;
      clear.hidden = !msg.upload;
      panel.classList.toggle("in-use", !!msg.upload);
      if (!msg.upload && status.dataset.key?.startsWith("upload.done")) say(status, "", {});
    },
  };
}

/** A refused table's reason in i18n.lang: "Line 3: “oops” in column x2 is not a number." */
export function explain(i18n, { code, line, values }) {
  const key = `upload.error.${code}`;
  const why = i18n.has(key) ? i18n.t(key, values ?? {}) : i18n.t("upload.error.other", { code });
  const where = line != null ? i18n.t("upload.error.line", { line }) : "";
  const said = where ? `${where}${why}` : why.charAt(0).toUpperCase() + why.slice(1);
  return `${said}${i18n.lang === "zh" ? "" : " "}${i18n.t("upload.error.unchanged")}`;
}

/** Where beans' x axis and fitted line go: [0, 1] for generated beans, else the data's span. */
export function dataSpan(x, uploaded) {
  if (!uploaded || !x.length) return { range: [-0.03, 1.03], ends: [0, 1] };
  const lo = Math.min(...x), hi = Math.max(...x), pad = 0.03 * (hi - lo || 1);
  return { range: [lo - pad, hi + pad], ends: [lo, hi] };
}

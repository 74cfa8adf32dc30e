// Controls built from the lab's params schema: one definition of each param
// (bounds, default, group, step, log scale) drives validation on the server
// and the widgets here. Labels and tooltips come from the i18n catalogs:
// param.<name>, param.<name>.tip, param.<name>.<value>, group.<group>.

const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("data-")) e.setAttribute(k, v);
    else if (k in e) e[k] = v;
    else e.setAttribute(k, v);
  }
  e.append(...kids.filter((k) => k != null));
  return e;
};
export { el };

function labelFor(name, i18n) {
  const span = el("span", { className: "ctl-label", "data-i18n": `param.${name}` });
  span.textContent = i18n.t(`param.${name}`);
  return span;
}

function throttle(fn, ms) {
  let last = 0, timer = null, pending = null;
  return (v) => {
    pending = v;
    const now = performance.now();
    clearTimeout(timer);
    if (now - last >= ms) {
      last = now;
      fn(pending);
    } else {
      timer = setTimeout(() => { last = performance.now(); fn(pending); }, ms - (now - last));
    }
  };
}

function fmt(v, prop) {
  if (prop.type === "integer") return String(Math.round(v));
  const step = prop["x-step"] ?? 0.01;
  const digits = Math.max(0, Math.min(6, Math.ceil(-Math.log10(step))));
  return Number(v).toFixed(prop["x-log"] ? Math.max(digits, 3) : digits).replace(/\.?0+$/, (m) => (m.includes(".") ? "" : m)) || "0";
}

/** A slider plus a number box; log sliders move over log10 of the value. */
function numberControl(name, prop, send) {
  const lo = prop.minimum ?? prop.exclusiveMinimum ?? 0;
  const hi = prop.maximum ?? 100;
  const log = !!prop["x-log"];
  // A log slider whose minimum is 0 gets an "off" notch at its left end.
  const zeroOk = log && lo <= 0;
  const logLo = log ? Math.log10(Math.max(lo, prop["x-step"] ?? 1e-4)) : lo;
  const sliderLo = zeroOk ? logLo - 0.3 : logLo;
  const sliderHi = log ? Math.log10(hi) : hi;
  const toSlider = (v) => (log ? (zeroOk && v <= 0 ? sliderLo : Math.log10(Math.max(v, 1e-12))) : v);
  const fromSlider = (s) => {
    if (zeroOk && s < logLo - 0.15) return 0;
    const v = log ? 10 ** s : s;
    return prop.type === "integer" ? Math.round(v) : Number(fmt(v, prop));
  };
  const range = el("input", { type: "range", min: sliderLo, max: sliderHi,
    step: log ? (sliderHi - sliderLo) / 200 : prop["x-step"] ?? (prop.type === "integer" ? 1 : 0.01),
    "aria-label": name });
  const box = el("input", { type: "number", className: "ctl-num", step: prop["x-step"] ?? "any",
    min: lo, max: hi, "aria-label": name });
  const sendThrottled = throttle(send, 60);
  range.addEventListener("input", () => {
    const v = fromSlider(Number(range.value));
    box.value = fmt(v, prop);
    sendThrottled(v);
  });
  box.addEventListener("change", () => {
    const v = Number(box.value);
    if (box.value !== "" && Number.isFinite(v)) send(prop.type === "integer" ? Math.round(v) : v);
  });
  return {
    nodes: [range, box],
    set(v, force = false) {
      range.value = toSlider(v);
      // a box being typed in keeps its text, unless the value was refused
      if (force || document.activeElement !== box) box.value = fmt(v, prop);
    },
    inputs: [range, box],
  };
}

function selectControl(name, prop, send, i18n) {
  const select = el("select", { "aria-label": name });
  const values = prop.enum ?? [prop.const];
  const relabel = () => {
    select.replaceChildren(...values.map((v) => {
      const key = `param.${name}.${v}`;
      return el("option", { value: v }, i18n.has(key) ? i18n.t(key) : String(v));
    }));
  };
  relabel();
  select.addEventListener("change", () => send(select.value));
  return { nodes: [select], set(v) { select.value = v; }, inputs: [select],
    relabel() { const v = select.value; relabel(); select.value = v; } };
}

function boolControl(name, prop, send) {
  const box = el("input", { type: "checkbox", className: "ctl-check", "aria-label": name });
  box.addEventListener("change", () => send(box.checked));
  return { nodes: [box], set(v) { box.checked = !!v; }, inputs: [box] };
}

/** Multi-select of names (e.g. input features) as toggle chips. */
function chipsControl(name, prop, send, i18n) {
  const values = prop.items?.enum ?? [];
  let current = [];
  const chips = values.map((v) => {
    const key = `param.${name}.${v}`;
    const b = el("button", { type: "button", className: "chip", "data-value": v });
    b.textContent = i18n.has(key) ? i18n.t(key) : v;
    b.addEventListener("click", () => {
      const next = current.includes(v) ? current.filter((x) => x !== v) : [...current, v];
      send(values.filter((x) => next.includes(x)));
    });
    return b;
  });
  const wrap = el("div", { className: "chips" }, ...chips);
  return { nodes: [wrap], inputs: chips,
    set(v) { current = v; chips.forEach((c) => c.classList.toggle("on", v.includes(c.dataset.value))); } };
}

/** A list of integers (e.g. hidden layer widths) with add and remove. */
function listControl(name, prop, send, i18n) {
  const item = prop.items ?? {};
  const maxItems = prop.maxItems ?? 8;
  const minItems = prop.minItems ?? 0;
  const wrap = el("div", { className: "layers" });
  let current = [];
  const render = () => {
    const boxes = current.map((w, i) => {
      const box = el("input", { type: "number", className: "ctl-num layer", value: w,
        min: item.minimum ?? 1, max: item.maximum ?? 64, step: 1, "aria-label": `${i18n.t(`param.${name}`)} ${i + 1}` });
      box.addEventListener("change", () => {
        const next = [...current];
        next[i] = Math.round(Number(box.value));
        send(next);
      });
      return box;
    });
    const add = el("button", { type: "button", className: "mini", title: "+", disabled: current.length >= maxItems }, "+");
    const del = el("button", { type: "button", className: "mini", title: "−", disabled: current.length <= minItems }, "−");
    add.addEventListener("click", () => send([...current, current.at(-1) ?? 8]));
    del.addEventListener("click", () => send(current.slice(0, -1)));
    wrap.replaceChildren(...boxes, del, add);
  };
  return { nodes: [wrap], get inputs() { return [...wrap.querySelectorAll("input,button")]; },
    set(v) { current = [...v]; render(); } };
}

function widgetFor(name, prop, send, i18n) {
  if (prop.type === "boolean") return boolControl(name, prop, send);
  if (prop.enum || "const" in prop) return selectControl(name, prop, send, i18n);
  if (prop.type === "array" && prop.items?.enum) return chipsControl(name, prop, send, i18n);
  if (prop.type === "array") return listControl(name, prop, send, i18n);
  return numberControl(name, prop, send);
}

/**
 * Build every control into `root`, grouped by x-group; `onChange(name, value)`
 * fires on a user edit. Returns {set(params), setDisabled(bool), showError(field, msg),
 * clearErrors(), hide(names)}.
 */
export function buildControls(root, schema, i18n, onChange, { skip = [] } = {}) {
  const controls = {};
  const groups = {};
  for (const [name, prop] of Object.entries(schema.properties)) {
    if (skip.includes(name) || "const" in prop) continue;
    const group = prop["x-group"] ?? "training";
    if (!groups[group]) {
      const legend = el("legend", { "data-i18n": `group.${group}` }, i18n.t(`group.${group}`));
      const body = el("div", { className: "group-body" });
      const adv = el("details", { className: "advanced" },
        el("summary", { "data-i18n": "group.more" }, i18n.t("group.more")));
      groups[group] = { set: el("fieldset", { className: `group group-${group}` }, legend, body), body, adv };
      root.append(groups[group].set);
    }
    const widget = widgetFor(name, prop, (v) => onChange(name, v), i18n);
    for (const input of widget.inputs) { // a screen reader reads the label, not the param's name
      if (input.getAttribute("aria-label") !== name) continue;
      input.dataset.i18nAria = `param.${name}`;
      input.setAttribute("aria-label", i18n.t(`param.${name}`));
    }
    const err = el("div", { className: "ctl-error", role: "alert" });
    const row = el("label", { className: `ctl ctl-${name}`, "data-param": name,
      "data-i18n-tip": `param.${name}.tip`, title: i18n.t(`param.${name}.tip`) },
    labelFor(name, i18n), el("span", { className: "ctl-input" }, ...widget.nodes), err);
    (prop["x-advanced"] ? groups[group].adv : groups[group].body).append(row);
    controls[name] = { widget, row, err };
  }
  for (const g of Object.values(groups)) if (g.adv.children.length > 1) g.set.append(g.adv);
  i18n.onChange(() => Object.values(controls).forEach((c) => c.widget.relabel?.()));
  return {
    controls,
    set(params, { force = false } = {}) {
      for (const [k, v] of Object.entries(params)) controls[k]?.widget.set(v, force);
    },
    setDisabled(off) {
      Object.values(controls).forEach((c) => c.widget.inputs.forEach((i) => (i.disabled = off)));
    },
    showError(field, msg) {
      const c = controls[field];
      if (!c) return false;
      c.err.textContent = msg;
      c.row.classList.add("has-error");
      return true;
    },
    clearErrors() {
      Object.values(controls).forEach((c) => { c.err.textContent = ""; c.row.classList.remove("has-error"); });
    },
    hide(names) {
      names.forEach((n) => controls[n]?.row.classList.add("hidden"));
    },
  };
}

// The gradients panel of a plain neuron run: each cost's ∂C/∂w and ∂C/∂b with the live
// numbers, the quadratic cost's σ′(z) highlighted (the factor that makes it crawl).

import { num, paren } from "../../lib/charts.js";

const NAMES = ["quadratic", "cross_entropy"];
const eq = (html, cls = "") => `<div class="eq ${cls}">${html}</div>`;

function swatch(look) {
  const dash = look.dash === "dash" ? ' stroke-dasharray="7 4"' : "";
  return `<svg width="28" height="8" aria-hidden="true"><line x1="0" y1="4" x2="28" y2="4" stroke="${look.color}" stroke-width="3"${dash}/></svg>`;
}

function runBlock(name, run, { t, lr, sample, looks }) {
  const head = `<h3>${swatch(looks[name])}<span>${t(`run.${name}`)}</span> <span class="cost-def">${t(`grad.def.${name}`)}</span></h3>`;
  if (!run) return `<div class="run run-${name}">${head}<p class="off">${t("note.not_running")}</p></div>`;
  const { x, y } = sample, err = run.a - y;
  const state = `<div class="state">z = w·x + b = ${num(run.z)} · a = σ(z) = ${num(run.a, 4)} · C = ${num(run.cost, 4)}</div>`;
  const lines = name === "quadratic" ? [
    eq(`∂C/∂w = (a − y)·σ′(z)·x`),
    eq(`= ${paren(err)} × <span class="culprit">${num(run.sigma_prime, 4)}</span> × ${paren(x, 2)} = <b>${num(run.grad.w, 4)}</b>`, "cont"),
    eq(`∂C/∂b = (a − y)·σ′(z) = <b>${num(run.grad.b, 4)}</b>`),
  ] : [
    eq(`∂C/∂w = x·(a − y) = ${paren(x, 2)} × ${paren(err)} = <b>${num(run.grad.w, 4)}</b>`),
    eq(`∂C/∂b = a − y = <b>${num(run.grad.b, 4)}</b>`),
  ];
  lines.push(eq(`Δw = −η·∂C/∂w = <b>${num(-lr * run.grad.w, 4)}</b>`));
  return `<div class="run run-${name}">${head}${state}${lines.join("")}</div>`;
}

/** The panel's HTML for frame `f`; `opts` = {t, lr, sample: {x, y}, looks: {cost: {color, dash}}}. */
export function plainGradientsHtml(f, opts) {
  const blocks = NAMES.map((name) => runBlock(name, f.runs[name], opts));
  return `${blocks.join("")}<p class="takeaway">${opts.t("grad.takeaway")}</p>`;
}

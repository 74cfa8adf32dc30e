// The beans update rule with the numbers the server used: which samples, the gradient,
// then how the optimizer turned it into a step (plain descent, momentum, Nesterov,
// RMSProp, Adam). The formulas are the same in every language; the words come from t().

import { num, paren } from "../../lib/charts.js";

const row = (lhs, rhs) => `<div class="eq"><span class="lhs">${lhs}</span> <span class="rhs">${rhs}</span></div>`;
const note = (text) => `<p class="muted">${text}</p>`;

function gradientRows(u, f, t, n, withB) {
  const out = [];
  const gw = num(u.grad.w, 4), gb = num(u.grad.b, 4);
  if (u.method === "sgd" && u.sample) {
    out.push(note(t("rule.sample", { i: f.batch?.[0] ?? "?", x: num(u.sample.x), y: num(u.sample.y) })));
    out.push(row("∂e/∂w =", `${withB ? "2x²w + 2xb − 2xy" : "2x²w − 2xy"} = <b>${gw}</b>`));
    if (withB) out.push(row("∂e/∂b =", `2b + 2xw − 2y = <b>${gb}</b>`));
  } else {
    out.push(note(u.method === "minibatch" ? t("rule.batch", { k: f.batch?.length ?? "?" }) : t("rule.all", { n })));
    out.push(row("∂C/∂w =", `2·mean((${withB ? "wx+b" : "wx"}−y)·x) = <b>${gw}</b>`));
    if (withB) out.push(row("∂C/∂b =", `2·mean(wx+b−y) = <b>${gb}</b>`));
  }
  return out;
}

/** Rows of one coordinate (w or b) of the optimizer's update, with its state's numbers. */
function optimizerRows(u, k, t) {
  const g = u.grad[k], from = u.from[k], to = u.to[k], a = u.lr;
  const before = u.state?.before ?? {}, after = u.state?.after ?? {};
  const lhs = (name) => `${name}<sub>${k}</sub> ←`;
  const end = `= <b>${num(to, 4)}</b>`;
  switch (u.optimizer) {
    case "momentum":
    case "nesterov": {
      const v0 = before.v[k], v = after.v[k];
      const rows = [row(lhs("v"), `0.9 × ${paren(v0, 4)} + ${paren(g, 4)} = <b>${num(v, 4)}</b>`)];
      rows.push(u.optimizer === "momentum"
        ? row(`${k} ←`, `${num(from, 4)} − ${a} × ${paren(v, 4)} ${end}`)
        : row(`${k} ←`, `${num(from, 4)} − ${a} × (${num(g, 4)} + 0.9 × ${paren(v, 4)}) ${end}`));
      return rows;
    }
    case "rmsprop": {
      const s = after.s[k];
      return [row(lhs("s"), `0.9 × ${num(before.s[k], 4)} + 0.1 × ${paren(g, 4)}² = <b>${num(s, 4)}</b>`),
        row(`${k} ←`, `${num(from, 4)} − ${a} × ${paren(g, 4)} / (√${num(s, 4)} + ε) ${end}`)];
    }
    case "adam": {
      const m = after.m[k], s = after.s[k], step = after.t;
      const mHat = m / (1 - 0.9 ** step), sHat = s / (1 - 0.999 ** step);
      return [row(lhs("m"), `0.9 × ${paren(before.m[k], 4)} + 0.1 × ${paren(g, 4)} = <b>${num(m, 4)}</b>`),
        row(lhs("s"), `0.999 × ${num(before.s[k], 4)} + 0.001 × ${paren(g, 4)}² = <b>${num(s, 4)}</b>`),
        row(`${k} ←`, `${num(from, 4)} − ${a} × ${paren(mHat, 4)} / (√${num(sHat, 4)} + ε) ${end}`)];
    }
    default:
      return [row(`${k} ←`, `${num(from, 4)} − ${a} × ${paren(g, 4)} ${end}`)];
  }
}

const FORMULA = {
  gd: "w ← w − α·g",
  momentum: "v ← β·v + g,  w ← w − α·v   (β = 0.9)",
  nesterov: "v ← β·v + g,  w ← w − α·(g + β·v)   (β = 0.9)",
  rmsprop: "s ← ρ·s + (1 − ρ)·g²,  w ← w − α·g / (√s + ε)   (ρ = 0.9, ε = 10⁻⁸)",
  adam: "m ← β₁·m + (1 − β₁)·g,  s ← β₂·s + (1 − β₂)·g²,  w ← w − α·m̂ / (√ŝ + ε)",
};

/**
 * The panel's HTML for update `u` of frame `f` (`u`: the frame's `update`, or a racer's
 * with the frame's method and step size), `n` beans, `withB` for ŷ = w·x + b, `caption`
 * naming the racer shown, `loss` its cost now.
 */
export function ruleHtml(u, f, { t, n, withB, caption = "", loss = f.loss.train }) {
  if (!u) return `<p class="muted">${t("rule.none")}</p>`;
  const out = caption ? [`<p class="rule-who">${caption}</p>`] : [];
  out.push(...gradientRows(u, f, t, n, withB));
  const keys = withB ? ["w", "b"] : ["w"];
  if (u.method === "fixed_step") {
    out.push(note(t("rule.fixed", { s: u.step_size })));
    if (u.optimizer !== "gd") out.push(note(t("rule.fixed_ignores")));
    for (const k of keys) {
      out.push(row(`${k} ←`, `${num(u.from[k], 4)} − ${u.step_size} × sign(${paren(u.grad[k], 4)}) = <b>${num(u.to[k], 4)}</b>`));
    }
  } else {
    const name = t(`param.optimizer.${u.optimizer}`);
    out.push(note(`${name}: <span class="formula">${FORMULA[u.optimizer] ?? FORMULA.gd}</span>`));
    if (u.optimizer === "adam") {
      out.push(note(`m̂ = m / (1 − 0.9ᵗ),  ŝ = s / (1 − 0.999ᵗ),  t = ${u.state.after.t}`));
    }
    for (const k of keys) out.push(...optimizerRows(u, k, t));
  }
  out.push(row("C =", `mean((ŷ − y)²) = <b>${num(loss, 5)}</b>`));
  return out.join("");
}

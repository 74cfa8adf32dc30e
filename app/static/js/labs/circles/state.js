// The circles lab's shared state: what the server last sent, what is waiting to be drawn,
// and the page's charts. One object for every module of the lab, so that a message handled
// in one (circles.js) marks dirty what another draws (plane.js, curves.js, network.js).

import { Series } from "../../lib/charts.js";

export const S = {
  data: null, frame: null, boundary: null, askedAt: null, weights: null, act: null, inspect: null,
  sizes: [], features: [], selected: null, cls: 0, showTest: false, discretize: false,
  k: 2, names: null, upload: null, // classes, the uploaded labels (null: generated data)
  loss: { train: new Series(), test: new Series() }, acc: { train: new Series(), test: new Series() },
  accMin: 1, accLo: 0.4, grads: [], dirty: { plane: false, data: false, net: false, act: false, inspect: false, grads: false },
};
export const charts = {};
// the page's context and translator, set when the lab mounts (lib/page.js startLab)
export const page = { ctx: null, t: null };
export const t = (key, vars) => page.t(key, vars);
export const $ = (id) => document.getElementById(id);

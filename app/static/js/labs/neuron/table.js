// Neuron, the notes' table on the output chart: the outputs SEEDS.md lists for the notes'
// own runs, as rings the live curves should pass through (a check the learner can see).

import { NAMES } from "./charts.js";

// SEEDS.md section 3: a at these epochs for x = 1, y = 0, η = 0.15, by start "w0,b0".
const TABLE_EPOCHS = [0, 50, 100, 150, 200, 300];
const TABLE = {
  "0.6,0.9": { quadratic: [0.818, 0.387, 0.211, 0.153, 0.124, 0.094],
    cross_entropy: [0.818, 0.079, 0.037, 0.024, 0.018, 0.012] },
  "2,2": { quadratic: [0.982, 0.976, 0.964, 0.933, 0.789, 0.203],
    cross_entropy: [0.982, 0.099, 0.041, 0.026, 0.019, 0.012] },
};

/** The notes' table as rings on the output chart, when the params are the notes' own. */
export function drawTable(chart, p, t) {
  const notes = p.x === 1 && p.y === 0 && p.lr === 0.15 && !p.race?.length; // not a race's rates
  const rowsFor = notes ? TABLE[`${p.w0},${p.b0}`] : null;
  const runs = p.costs === "both" ? NAMES : [p.costs];
  const x = [], y = [], label = [];
  if (rowsFor) for (const name of runs) TABLE_EPOCHS.forEach((e, i) => {
    x.push(e);
    y.push(rowsFor[name][i]);
    label.push(`${t(`run.${name}`)}, ${t("axis.epoch")} ${e}`);
  });
  chart.set(2, { x, y, customdata: label });
  chart.draw();
}

// The neuron lab's pins (lib/pins.js): a plain run's two costs, or a race's racers, kept
// and drawn under the live run on the output and cost charts and on each cost's map.

import { copySeries, pinCurve, pinLegend, pinPath, setPinTraces } from "../../lib/pin_traces.js";
import { STYLES } from "../../lib/race_panel.js";
import { raceSnapshot } from "./race.js";

const NAMES = ["quadratic", "cross_entropy"];

/**
 * The hooks lib/pins.js asks for. `view` = {charts, race, looks: {cost: {color}},
 * runs(): the plain runs' series, t(key, vars), params()}.
 */
export function neuronPins(view) {
  const { charts, race, looks, t } = view;

  function snapshot() {
    if (race.frame) return { runs: {}, race: raceSnapshot(race, view.params(), t) }; // a pinned race
    const runs = view.runs();
    if (!NAMES.some((n) => runs[n].a.x.length)) return null;
    return { runs: Object.fromEntries(NAMES.map((n) => {
      const R = runs[n];
      return [n, { a: copySeries(R.a), cost: copySeries(R.cost), path: { w: R.path.w.slice(), b: R.path.b.slice() } }];
    })) };
  }

  /** A pin's curves: its plain runs', or its racers' (each in its racer's colour). */
  function lines(p) {
    const plain = NAMES.filter((n) => p.data.runs?.[n])
      .map((n) => ({ ...p.data.runs[n], cost_name: n, color: looks[n].color, hover: t(`run.${n}`) }));
    return [...plain, ...(p.data.race ?? []).map((r) => ({ ...r, color: STYLES[r.i].color, hover: r.name }))];
  }

  function layers(pins) {
    for (const [chart, key] of [[charts.output, "a"], [charts.cost, "cost"]]) {
      setPinTraces(chart, pins.flatMap((p) => lines(p).filter((l) => l[key].x.length)
        .flatMap((l, i) => pinCurve(p, l[key].x, l[key].y, { color: l.color, legend: i === 0, hover: l.hover }))));
      pinLegend(chart, pins);
    }
    for (const n of NAMES) {
      setPinTraces(charts[n], pins.flatMap((p) => lines(p).filter((l) => l.cost_name === n)
        .flatMap((l) => pinPath(p, l.path.w, l.path.b, l.color))));
    }
  }

  return { snapshot, layers };
}

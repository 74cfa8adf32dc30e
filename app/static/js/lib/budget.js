/**
 * Each animation frame's drawing, on a budget. Redrawing every chart for every frame took a
 * slow machine (no GPU: headless Chromium here, a school's cheap laptop) 60–120 ms on beans
 * and neuron, and the server, which sends a frame when the page has painted the last one,
 * sent 5–15 a second. Past BUDGET_MS of drawing in one animation frame, the other charts
 * keep their updates for the next, where they go first: the numbers keep the frames' pace,
 * and each chart is redrawn as often as the machine allows, in turn.
 */
export const BUDGET_MS = 14;
export const SLOW_GAP = 3; // a chart slower than the budget waits this many times its last redraw
export const budget = { spent: 0, tick: 0, deferred: new Set() };

/** True when no chart has an update waiting for a later animation frame (for tests). */
export function allDrawn() {
  return budget.deferred.size === 0;
}

/** A new animation frame (the page's draw loop): the charts that waited draw first. */
export function drawTick() {
  budget.spent = 0;
  budget.tick += 1;
  for (const chart of [...budget.deferred]) chart.draw();
}

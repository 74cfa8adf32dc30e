// Plotly's core (plotly.js/src/core.js of the locked version) without the layout components
// no lab uses: images, update menus, sliders, range sliders and selectors.
// Only src/core.js requires them, so leaving them out here keeps them out of the bundle
// (about 60 kB minified). Plotly asks the registry for a component by name and does nothing
// when it is absent; tests/app/test_static.py fails when a lab's layout names one of them.
// Nor its Promise polyfill: every browser that runs ES modules has Promise. Keep in step
// with src/core.js when plotly.js is upgraded.
"use strict";

exports.version = require("plotly.js/src/version").version;
require("plotly.js/build/plotcss");

const Registry = require("plotly.js/src/registry");
const register = (exports.register = Registry.register);

const plotApi = require("plotly.js/src/plot_api");
for (const name of Object.keys(plotApi)) {
  if (name.charAt(0) !== "_") exports[name] = plotApi[name];
  register({ moduleType: "apiMethod", name, fn: plotApi[name] });
}

register(require("plotly.js/src/traces/scatter"));
register([
  require("plotly.js/src/components/annotations"),
  require("plotly.js/src/components/annotations3d"),
  require("plotly.js/src/components/selections"),
  require("plotly.js/src/components/shapes"),
  require("plotly.js/src/components/grid"),
  require("plotly.js/src/components/errorbars"),
  require("plotly.js/src/components/colorscale"),
  require("plotly.js/src/components/colorbar"),
  require("plotly.js/src/components/legend"), // after shapes: its defaults read them
  require("plotly.js/src/components/fx"), // after legend: unified hover's defaults read it
  require("plotly.js/src/components/modebar"),
]);
register([require("plotly.js/src/locale-en"), require("plotly.js/src/locale-en-us")]);

exports.Icons = require("plotly.js/src/fonts/ploticon");
const Fx = require("plotly.js/src/components/fx");
const Plots = require("plotly.js/src/plots/plots");
exports.Plots = { resize: Plots.resize, graphJson: Plots.graphJson, sendDataToCloud: Plots.sendDataToCloud };
exports.Fx = { hover: Fx.hover, unhover: Fx.unhover, loneHover: Fx.loneHover, loneUnhover: Fx.loneUnhover };
exports.Snapshot = require("plotly.js/src/snapshot");
exports.PlotSchema = require("plotly.js/src/plot_api/plot_schema");

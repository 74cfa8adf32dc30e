// Build Plotly with only the trace types in traces.json (plus the locales there) into
// app/static/vendor/plotly-<version>-descent.min.js: the same esbuild settings as
// plotly.js's own dist (its esbuild-config.js), one entry that registers what we use.
// Run through ./build.sh, which installs the locked dependencies first.
import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { brotliCompressSync, constants } from "node:zlib";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { environmentPlugin } from "esbuild-plugin-environment";
import { glsl } from "esbuild-plugin-glsl";

const require = createRequire(import.meta.url);
const InlineCSSPlugin = require("esbuild-plugin-inline-css");
const here = path.dirname(fileURLToPath(import.meta.url));
const vendor = path.resolve(here, "../../app/static/vendor");
const { traces, locales } = JSON.parse(readFileSync(path.join(here, "traces.json"), "utf8"));
const { version } = require("plotly.js/package.json");
const name = `plotly-${version}-descent.min.js`;

// registry.js requires maplibre-gl's CSS (82 kB) for map traces, which we do not draw
const noMapCss = {
  name: "no-map-css",
  setup(b) {
    b.onResolve({ filter: /^maplibre-gl\/dist\/maplibre-gl\.css$/ }, () => ({ path: "map-css", namespace: "empty" }));
    b.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "", loader: "js" }));
  },
};

const entry = [
  "var Plotly = require('plotly.js/lib/core');",
  "Plotly.register([",
  ...traces.map((t) => `  require('plotly.js/lib/${t}'),`),
  ...locales.map((l) => `  require('plotly.js/lib/locales/${l}'),`),
  "]);",
  "module.exports = Plotly;",
].join("\n");

const banner = `/*! plotly.js v${version} (MIT, Copyright Plotly, Inc.): a Descent Playground build with
 * traces: ${traces.join(", ")}; locales: ${locales.join(", ")}.
 * Generated, do not edit: rebuild with tools/plotly/build.sh (npm ci + esbuild). */`;

await build({
  stdin: { contents: entry, resolveDir: here, sourcefile: "descent-plotly.js" },
  outfile: path.join(vendor, name),
  format: "iife",
  globalName: "Plotly",
  bundle: true,
  minify: true,
  legalComments: "none",
  banner: { js: banner },
  plugins: [noMapCss, InlineCSSPlugin(), glsl({ minify: true }), environmentPlugin({ NODE_DEBUG: false })],
  alias: { regl: "@plotly/regl", stream: "stream-browserify" },
  define: { global: "window", "define.amd": "false" },
  target: "es2016",
  logLevel: "warning",
});

// The brotli twin, made once here: brotli's best level takes seconds, too slow for a server
// start (app/static_files.py makes the gzip twin and compresses the small files itself).
const out = path.join(vendor, name);
const code = readFileSync(out);
writeFileSync(`${out}.br`, brotliCompressSync(code, {
  params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: code.length },
}));

// one vendored bundle: drop what an older version or build left
for (const file of readdirSync(vendor)) {
  if (file.startsWith("plotly-") && !file.startsWith(name)) rmSync(path.join(vendor, file));
}
console.log(`built app/static/vendor/${name}`);

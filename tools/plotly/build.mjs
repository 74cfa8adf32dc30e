// Build the Plotly bundles of traces.json into app/static/vendor/plotly-<version>-<name>.min.js,
// each holding only its trace types (and the locales), with the same esbuild settings as
// plotly.js's own dist (its esbuild-config.js), and vendor/plotly.json telling the server
// which lab loads which. Run through ./build.sh, which installs the locked dependencies first.
import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants } from "node:zlib";
import { build } from "esbuild";
import { environmentPlugin } from "esbuild-plugin-environment";
import { glsl } from "esbuild-plugin-glsl";
import { gzipAsync } from "@gfx/zopfli";

const require = createRequire(import.meta.url);
const InlineCSSPlugin = require("esbuild-plugin-inline-css");
const here = path.dirname(fileURLToPath(import.meta.url));
const vendor = path.resolve(here, "../../app/static/vendor");
const config = JSON.parse(readFileSync(path.join(here, "traces.json"), "utf8"));
const { version } = require("plotly.js/package.json");

// registry.js requires maplibre-gl's CSS (82 kB) for map traces, which we do not draw
const noMapCss = {
  name: "no-map-css",
  setup(b) {
    b.onResolve({ filter: /^maplibre-gl\/dist\/maplibre-gl\.css$/ }, () => ({ path: "map-css", namespace: "empty" }));
    b.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "", loader: "js" }));
  },
};

async function bundle(name, traces) {
  const file = `plotly-${version}-${name}.min.js`;
  const entry = [
    "var Plotly = require('plotly.js/lib/core');",
    "Plotly.register([",
    ...traces.map((t) => `  require('plotly.js/lib/${t}'),`),
    ...config.locales.map((l) => `  require('plotly.js/lib/locales/${l}'),`),
    "]);",
    "module.exports = Plotly;",
  ].join("\n");
  const banner = `/*! plotly.js v${version} (MIT, Copyright Plotly, Inc.): Descent Playground's "${name}" build,
 * traces: ${traces.join(", ")}; locales: ${config.locales.join(", ")}.
 * Generated, do not edit: rebuild with tools/plotly/build.sh (npm ci + esbuild). */`;
  const out = path.join(vendor, file);
  await build({
    stdin: { contents: entry, resolveDir: here, sourcefile: `descent-plotly-${name}.js` },
    outfile: out,
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
  // The compressed twins, made once here: brotli's best level takes seconds and zopfli's gzip
  // (4 % smaller than gzip -9: what a browser on plain HTTP gets) ten, too slow for a server
  // start (app/static_files.py compresses the small files itself).
  const code = readFileSync(out);
  writeFileSync(`${out}.gz`, await gzipAsync(code, { numiterations: 15 }));
  writeFileSync(`${out}.br`, brotliCompressSync(code, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: code.length },
  }));
  console.log(`built app/static/vendor/${file}: ${(code.length / 1e3).toFixed(0)} kB`);
  return { file, traces };
}

const bundles = {};
for (const [name, traces] of Object.entries(config.bundles)) bundles[name] = await bundle(name, traces);
const manifest = { version, bundles, labs: config.labs, default: config.default, locales: config.locales };
writeFileSync(path.join(vendor, "plotly.json"), `${JSON.stringify(manifest, null, 2)}\n`);

// only these bundles: drop what an older version or build left
const keep = Object.values(bundles).flatMap((b) => [b.file, `${b.file}.br`, `${b.file}.gz`]);
for (const file of readdirSync(vendor)) {
  if (file.startsWith("plotly-") && !keep.includes(file)) rmSync(path.join(vendor, file));
}

// Build the Plotly bundles of traces.json into app/static/vendor/plotly-<version>-<name>.min.js
// (ES modules sharing plotly-<version>-shared-<hash>.min.js), each holding only its trace types
// (and the locales), with the same esbuild settings as plotly.js's own dist (its
// esbuild-config.js), and vendor/plotly.json telling the server which lab loads which and
// what each imports. Run through ./build.sh, which installs the locked dependencies first.
import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants } from "node:zlib";
import { build } from "esbuild";
import { environmentPlugin } from "esbuild-plugin-environment";
import { glsl } from "esbuild-plugin-glsl";
import { gzipAsync } from "@gfx/zopfli";
import { prune } from "./stackgl.mjs";

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

// The stackgl modules that surface and scatter3d (without surfaceaxis or error bars) draw with
const STACKGL = ["gl_plot3d", "gl_line3d", "gl_scatter3d", "gl_surface3d", "ndarray", "ndarray_linear_interpolate"];
const stackgl = {
  name: "stackgl-pruned",
  setup(b) {
    b.onLoad({ filter: /plotly\.js[\\/]stackgl_modules[\\/]index\.js$/ }, (a) => {
      const { code, kept, of } = prune(readFileSync(a.path, "utf8"), STACKGL);
      console.log(`stackgl_modules: kept ${kept} of ${of} modules`);
      return { contents: code, loader: "js" };
    });
  },
};

// Plotly's `require("culori")` → ./culori.mjs (what that file says); only Plotly's requires
const culori = {
  name: "culori-slim",
  setup(b) {
    b.onResolve({ filter: /^culori$/ }, (a) => (a.importer.includes(`${path.sep}plotly.js${path.sep}`)
      ? { path: path.join(here, "culori.mjs") } : undefined));
  },
};

const entries = {}; // esbuild entry name → its source, served by the `entry:` plugin below
const virtualEntries = {
  name: "entries",
  setup(b) {
    b.onResolve({ filter: /^entry:/ }, (a) => ({ path: a.path.slice("entry:".length), namespace: "entry" }));
    b.onLoad({ filter: /.*/, namespace: "entry" }, (a) => ({ contents: entries[a.path], resolveDir: here, loader: "js" }));
  },
};
const requires = (names) => names.map((n) => `  require("plotly.js/lib/${n}"),`);

// The base bundle is Plotly's core with its traces and the locales; each other bundle is an
// add-on that registers its extra traces into that same Plotly, so a lab draws its first
// charts with the base and loads the add-on after them. ES modules with code splitting: what
// both need (Plotly's core) is in one shared chunk, loaded once.
const base = config.base;
const prefix = `plotly-${version}-`;
const banners = {}; // output file → its header
for (const [name, traces] of Object.entries(config.bundles)) {
  const extra = name === base ? traces : traces.filter((t) => !config.bundles[base].includes(t));
  banners[`${prefix}${name}.min.js`] = `/*! plotly.js v${version} (MIT, Copyright Plotly, Inc.): Descent Playground's "${name}" build,
 * traces: ${traces.join(", ")}; locales: ${config.locales.join(", ")}.${name === base ? "" : `
 * An add-on to the "${base}" build: it registers ${extra.join(", ")} into the Plotly that build made.`}
 * Generated, do not edit: rebuild with tools/plotly/build.sh (npm ci + esbuild). */`;
  entries[`${prefix}${name}.min`] = [
    name === base ? 'window.Plotly = require("./core.js");' : "", // Plotly's core, trimmed
    "window.Plotly.register([",
    ...requires(extra),
    ...(name === base ? requires(config.locales.map((l) => `locales/${l}`)) : []),
    "]);",
  ].join("\n");
}
const result = await build({
  entryPoints: Object.fromEntries(Object.keys(entries).map((e) => [e, `entry:${e}`])),
  outdir: vendor,
  chunkNames: `${prefix}shared-[hash].min`,
  format: "esm",
  splitting: true,
  bundle: true,
  minify: true,
  legalComments: "none",
  metafile: true,
  plugins: [virtualEntries, noMapCss, stackgl, culori, InlineCSSPlugin(), glsl({ minify: true }), environmentPlugin({ NODE_DEBUG: false })],
  alias: { regl: "@plotly/regl", stream: "stream-browserify" },
  define: { global: "window", "define.amd": "false" },
  target: "es2020", // dynamic import()
  logLevel: "warning",
});

// The compressed twins, made once here: brotli's best level takes seconds and zopfli's gzip
// (4 % smaller than gzip -9: what a browser on plain HTTP gets) ten, too slow for a server
// start (app/static_files.py compresses the small files itself).
const made = Object.entries(result.metafile.outputs).map(([out, info]) => ({ file: path.basename(out), info }));
for (const { file } of made) {
  const out = path.join(vendor, file);
  const banner = banners[file] ?? `/*! plotly.js v${version} (MIT, Copyright Plotly, Inc.): the part Descent Playground's
 * Plotly builds share (${Object.keys(config.bundles).join(", ")}), imported by them.
 * Generated, do not edit: rebuild with tools/plotly/build.sh (npm ci + esbuild). */`;
  const code = Buffer.from(`${banner}\n${readFileSync(out, "utf8")}`);
  writeFileSync(out, code);
  writeFileSync(`${out}.gz`, await gzipAsync(code, { numiterations: 15 }));
  writeFileSync(`${out}.br`, brotliCompressSync(code, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: code.length },
  }));
  console.log(`built app/static/vendor/${file}: ${(code.length / 1e3).toFixed(0)} kB`);
}
const chunksOf = (file) => made.find((m) => m.file === file).info.imports.map((i) => path.basename(i.path));
const bundles = Object.fromEntries(Object.entries(config.bundles).map(([name, traces]) => {
  const file = `${prefix}${name}.min.js`;
  return [name, { file, traces, imports: chunksOf(file), ...(name === base ? {} : { base }) }];
}));
const manifest = { version, bundles, labs: config.labs, default: config.default, base, locales: config.locales };
writeFileSync(path.join(vendor, "plotly.json"), `${JSON.stringify(manifest, null, 2)}\n`);

// only these files: drop what an older version or build left
const keep = made.flatMap(({ file }) => [file, `${file}.br`, `${file}.gz`]);
for (const file of readdirSync(vendor)) {
  if (file.startsWith("plotly-") && !keep.includes(file)) rmSync(path.join(vendor, file));
}

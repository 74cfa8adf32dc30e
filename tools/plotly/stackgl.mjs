// Plotly's 3-D traces draw with stackgl_modules/index.js, one webpack bundle (unminified,
// committed by plotly.js) of every stackgl package any 3-D trace needs: cone, streamtube and
// mesh3d's too. esbuild cannot see inside it, so it would ship whole (505 kB minified). This
// keeps only the modules the exports we name reach, following webpack's
// `__webpack_require__(<id>)` calls from the entry, and makes every other export a function
// that throws: scatter3d needs gl_mesh3d and delaunay_triangulate only for `surfaceaxis`, and
// gl_error3d only for error bars, which no lab draws (tests/app/test_static.py checks).
const MODULE = /^\/\*\*\*\/ (\d+)\n\(/gm; // "/***/ 3065\n(module, exports, __webpack_require__) {"
const END = "/******/ \t});"; // closes the module map
const REQUIRE = /__webpack_require__\((\d+)\)/g;

/** The module map's bodies by id, the entry's id, and where the map starts and ends. */
function modules(src) {
  const starts = [...src.matchAll(MODULE)];
  const end = starts.length ? src.indexOf(END, starts.at(-1).index) : -1;
  if (end < 0) throw new Error("stackgl_modules/index.js: not the webpack layout this expects");
  const bodies = new Map(starts.map((m, i) => [m[1], src.slice(m.index, i + 1 < starts.length ? starts[i + 1].index : end)]));
  return { bodies, entry: starts[0][1], from: starts[0].index, to: end };
}

/** `src` with only the modules that `keep` (names of the entry's exports) reach. */
export function prune(src, keep) {
  const { bodies, entry, from, to } = modules(src);
  const exported = [...bodies.get(entry).matchAll(/^\s+(\w+): __webpack_require__\((\d+)\),?$/gm)];
  // every export understood, or one this misses would lose its modules and not be stubbed
  const keys = (bodies.get(entry).match(/^\s+\w+:/gm) ?? []).length;
  if (exported.length !== keys) throw new Error(`stackgl_modules: read ${exported.length} of ${keys} exports`);
  const unknown = keep.filter((k) => !exported.some((m) => m[1] === k));
  if (unknown.length) throw new Error(`stackgl_modules exports no ${unknown.join(", ")}`);
  const reached = new Set([entry]);
  const todo = exported.filter((m) => keep.includes(m[1])).map((m) => m[2]);
  while (todo.length) {
    const id = todo.pop();
    if (reached.has(id)) continue;
    if (!bodies.has(id)) throw new Error(`stackgl_modules: module ${id} is required but not defined`);
    reached.add(id);
    todo.push(...[...bodies.get(id).matchAll(REQUIRE)].map((m) => m[1]));
  }
  let entryBody = bodies.get(entry);
  for (const [line, name] of exported.filter((m) => !keep.includes(m[1]))) {
    entryBody = entryBody.replace(line, `    ${name}: function () { throw new Error("${name} is not in Descent Playground's Plotly build (tools/plotly/stackgl.mjs)"); },`);
  }
  const kept = [...bodies].filter(([id]) => reached.has(id)).map(([id, body]) => (id === entry ? entryBody : body));
  const code = src.slice(0, from) + kept.join("") + src.slice(to);
  for (const [, id] of code.matchAll(REQUIRE)) {
    if (!reached.has(id)) throw new Error(`stackgl_modules: module ${id} is required but was pruned`);
  }
  return { code, kept: reached.size, of: bodies.size };
}

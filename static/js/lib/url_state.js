// The address bar mirrors the experiment: params that differ from their
// defaults (plus the language and view toggles), so a copied link reopens it.
// Lists are comma-joined, as the server's query parser expects.

export function readQuery() {
  return Object.fromEntries(new URLSearchParams(location.search));
}

function encodeValue(v) {
  return Array.isArray(v) ? v.join(",") : String(v);
}

/** Equal as the URL would write them (lists compare by their items). */
export function same(a, b) {
  return encodeValue(a) === encodeValue(b);
}

/** The query for `params` relative to `defaults`, plus extra keys (null drops a key). */
export function queryFor(params, defaults, extra = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (k in defaults && !same(v, defaults[k])) q.set(k, encodeValue(v));
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v !== null && v !== undefined && v !== false) q.set(k, encodeValue(v));
  }
  return q;
}

/** Rewrite the address bar without a reload or a history entry. */
export function writeQuery(q) {
  const s = q.toString();
  history.replaceState(null, "", s ? `${location.pathname}?${s}` : location.pathname);
}

// The address bar mirrors the experiment: params that differ from their
// defaults (plus the language and view toggles), so a copied link reopens it.
// Lists are comma-joined, as the server's query parser expects.

/** Keys about how the page is shown, not about the experiment: every rewrite keeps them. */
export const PAGE_KEYS = ["embed", "hide"];

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

/** Rewrite the address bar without a reload or a history entry; PAGE_KEYS stay. */
export function writeQuery(q) {
  const now = new URLSearchParams(location.search);
  const next = new URLSearchParams(q);
  for (const k of PAGE_KEYS) if (now.has(k) && !next.has(k)) next.set(k, now.get(k));
  const s = readable(next);
  history.replaceState(null, "", s ? `${location.pathname}?${s}` : location.pathname);
}

/** A query string with its list commas left as commas, for a link people read. */
export function readable(q) {
  return q.toString().replace(/%2C/gi, ",");
}

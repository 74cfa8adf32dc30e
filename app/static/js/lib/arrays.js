// Arrays as the protocol sends them: plain JSON lists or packed
// {dtype, shape, b64} objects holding little-endian C-order bytes.

const TYPES = { float32: Float32Array, float64: Float64Array, uint8: Uint8Array };

/** A flat array-like (typed array or list) from a packed or plain array. */
export function unpack(a) {
  if (a == null || Array.isArray(a) || ArrayBuffer.isView(a)) return a;
  const Type = TYPES[a.dtype];
  if (!Type) throw new Error(`unknown dtype ${a.dtype}`);
  const bin = atob(a.b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Type(bytes.buffer);
}

/** The shape of a packed or plain array. */
export function shapeOf(a) {
  if (a && a.shape) return a.shape;
  if (Array.isArray(a) && Array.isArray(a[0])) return [a.length, a[0].length];
  return [a ? a.length : 0];
}

/** Rows (a list of plain arrays) from a 2-D packed or nested array; `scale` divides. */
export function rows(a, scale = 1) {
  if (Array.isArray(a) && (a.length === 0 || Array.isArray(a[0]))) return a;
  const [r, c] = shapeOf(a);
  const flat = unpack(a);
  const out = new Array(r);
  for (let i = 0; i < r; i++) {
    const row = new Array(c);
    for (let j = 0; j < c; j++) row[j] = flat[i * c + j] / scale;
    out[i] = row;
  }
  return out;
}

/** A plain array from a 1-D packed or plain array (Plotly copes with both). */
export function list(a) {
  return Array.from(unpack(a) ?? []);
}

// Errors in the page's language. The server sends structured errors ({code, message,
// errors: [{field, message}]}) in English; here they become a sentence from the catalogs,
// built from the code, the field, the value that was refused and the bounds in the schema.
// Only what the catalogs cannot say (an unknown code in English) shows the server's text.

const num = (v) => (Number.isFinite(v) ? String(Number(v.toPrecision(6))) : String(v));

/** Why `error` ({field, message} or a whole {code, message}) was refused, in i18n.lang. */
export function explainError(i18n, schema, error, refused, inForce) {
  if (error.field !== undefined) return fieldReason(i18n, schema, error, refused, inForce);
  const key = `error.code.${error.code}`; // English keeps the server's own, more detailed words
  return i18n.lang !== "en" && i18n.has(key) ? i18n.t(key) : error.message;
}

function fieldReason(i18n, schema, error, refused, inForce) {
  const prop = schema.properties[error.field];
  const kept = inForce === undefined ? "" : ` ${i18n.t("error.kept", { v: shown(inForce) })}`;
  if (/too costly/.test(error.message)) return i18n.t("error.costly") + kept;
  if (prop && typeof refused === "number") {
    const lo = prop.minimum ?? prop.exclusiveMinimum, hi = prop.maximum ?? prop.exclusiveMaximum;
    const outside = (lo !== undefined && (refused < lo || (prop.exclusiveMinimum !== undefined && refused <= lo))) ||
      (hi !== undefined && refused > hi);
    if (outside) {
      const key = prop.exclusiveMinimum !== undefined ? "error.range_open" : "error.range";
      return i18n.t(key, { v: num(refused), lo: num(lo), hi: num(hi) }) + kept;
    }
    if (prop.type === "integer" && !Number.isInteger(refused)) return i18n.t("error.integer") + kept;
  }
  if (prop && Array.isArray(refused) && prop.maxItems !== undefined && refused.length > prop.maxItems) {
    return i18n.t("error.items", { n: prop.maxItems }) + kept;
  }
  if (/on this server/.test(error.message) && prop?.maximum !== undefined) {
    return i18n.t("error.range", { v: num(refused), lo: num(prop.minimum ?? 0), hi: num(prop.maximum) }) + kept;
  }
  return (i18n.lang === "en" ? error.message : i18n.t("error.invalid")) + kept;
}

function shown(v) {
  return Array.isArray(v) ? v.join(", ") : typeof v === "number" ? num(v) : String(v);
}

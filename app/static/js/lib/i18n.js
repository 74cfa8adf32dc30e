// Chinese and English. Strings come from the catalogs the server embeds in
// the page; elements carry data-i18n (text), data-i18n-tip (tooltip) and
// data-i18n-aria (aria-label) keys, so a language switch needs no reload.

export function createI18n(catalogs, lang) {
  const listeners = [];
  const i18n = {
    lang,
    /** The string for `key` with {name} placeholders filled; falls back to English, then the key. */
    t(key, vars = {}) {
      const s = catalogs[i18n.lang]?.[key] ?? catalogs.en?.[key] ?? key;
      return s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? vars[k] : `{${k}}`));
    },
    has(key) {
      return key in (catalogs[i18n.lang] ?? {}) || key in (catalogs.en ?? {});
    },
    /** Switch language and re-translate the page and every listener. */
    set(newLang) {
      i18n.lang = newLang;
      document.documentElement.lang = newLang === "zh" ? "zh-CN" : "en";
      translate(document, i18n);
      listeners.forEach((fn) => fn(newLang));
    },
    onChange(fn) {
      listeners.push(fn);
    },
  };
  return i18n;
}

export function translate(root, i18n) {
  root.querySelectorAll("[data-i18n]").forEach((el) => {
    el.textContent = i18n.t(el.dataset.i18n);
  });
  root.querySelectorAll("[data-i18n-tip]").forEach((el) => {
    el.title = i18n.t(el.dataset.i18nTip);
  });
  root.querySelectorAll("[data-i18n-aria]").forEach((el) => {
    el.setAttribute("aria-label", i18n.t(el.dataset.i18nAria));
  });
}

// Chinese and English. The page embeds its own language's strings (English where one is not
// translated) and the URLs of the other language's catalog files, fetched on the first
// switch; elements carry data-i18n (text), data-i18n-tip (tooltip) and data-i18n-aria
// (aria-label) keys, so a language switch needs no reload.

/** catalogs: {lang: strings}; files: {lang: [URLs of its catalogs, merged in order]}. */
export function createI18n(catalogs, lang, files = {}) {
  const listeners = [];
  const loading = {}; // lang → the promise of its catalogs
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
    /** Fetch `want`'s strings if the page does not have them yet: the only step of a switch
     * that can fail (the server is gone). */
    load(want) {
      if (catalogs[want]) return Promise.resolve();
      loading[want] ??= Promise.all((files[want] ?? []).map(fetchCatalog))
        .then((parts) => { catalogs[want] = Object.assign({}, ...parts); })
        .finally(() => { delete loading[want]; });
      return loading[want];
    },
    /** Switch to a loaded language and re-translate the page and every listener. */
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

/** A catalog by its hashed URL, or by its plain one if the server has since been updated
 * (a page open across a redeploy names files that are gone). */
async function fetchCatalog(url) {
  let reply = await fetch(url);
  if (reply.status === 404) reply = await fetch(url.replace(/\.[0-9a-f]{12}\.json$/, ".json"));
  if (!reply.ok) throw new Error(`${url}: HTTP ${reply.status}`);
  return reply.json();
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

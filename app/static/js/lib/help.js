// The "?" beside a panel's title. Its text is the element's `title`, which a mouse shows on
// hover, but a touch screen never does and a keyboard only in some browsers: a tap, a
// click, Enter or Space shows it in a bubble under the "?" instead, until the next tap
// elsewhere, Escape, or a language switch.

const GAP = 6; // px between the "?" and its bubble
const MARGIN = 8; // px the bubble keeps from the window's edges

export function setupHelp(i18n) {
  const tip = Object.assign(document.createElement("div"), { id: "help-tip", className: "help-tip", hidden: true });
  tip.setAttribute("role", "tooltip");
  document.body.append(tip);
  let owner = null;

  function show(el) {
    owner = el;
    tip.textContent = el.title;
    tip.hidden = false;
    el.setAttribute("aria-describedby", tip.id);
    const r = el.getBoundingClientRect();
    const width = Math.min(320, innerWidth - 2 * MARGIN);
    tip.style.width = `${width}px`;
    const left = Math.max(MARGIN, Math.min(r.left + r.width / 2 - width / 2, innerWidth - width - MARGIN));
    tip.style.left = `${left + scrollX}px`;
    tip.style.top = `${r.bottom + GAP + scrollY}px`;
  }
  function hide() {
    owner?.removeAttribute("aria-describedby");
    owner = null;
    tip.hidden = true;
  }

  document.addEventListener("click", (ev) => {
    const el = ev.target.closest?.(".help");
    if (el && el !== owner) show(el);
    else if (!tip.contains(ev.target)) hide(); // a second tap on the "?" closes it too
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape" && owner) {
      owner.focus();
      hide();
      return;
    }
    const el = ev.target.closest?.(".help");
    if (!el || (ev.key !== "Enter" && ev.key !== " ")) return;
    if (ev.repeat) { // a held key: not a flicker
      ev.preventDefault();
      return;
    }
    ev.preventDefault(); // not a page scroll, nor the player's Space
    ev.stopPropagation();
    if (el === owner) hide();
    else show(el);
  }, true);
  addEventListener("resize", () => owner && show(owner)); // a phone's address bar came or went
  i18n.onChange(hide);
}

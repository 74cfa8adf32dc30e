// A student's place in a class. Following, the page sends the name typed on the join
// box (or gets a friendly one); after the fork, a banner says "In class ABCDE as Blue
// Heron" with a way out, and the teacher's pause, push and spotlight arrive as
// class_event messages (a push can be undone). The class survives a network blip and a
// reload: the socket's URL carries the class, the member id and the name.

const $ = (id) => document.getElementById(id);
const TOAST_MS = 8000;
const UNDO_MS = 30000; // a push can be undone for longer: the student may be looking elsewhere

/** ctx: {lab, i18n, send, handlers, state, query}. */
export function setupMembership(ctx) {
  const { i18n, send, handlers, state } = ctx;
  const key = `descent.class.${ctx.lab}`;
  const typed = (ctx.query?.name ?? sessionStorage.getItem("descent.name") ?? "").slice(0, 24);
  if (ctx.query?.name) sessionStorage.setItem("descent.name", typed);
  let info = state.following ? null : load(); // {room, member, name, state} once forked
  let watching = null; // the member we are while following (from hello)
  let undo = null;

  function load() {
    try {
      return JSON.parse(sessionStorage.getItem(key) ?? "null");
    } catch {
      return null;
    }
  }
  function save(value) {
    info = value;
    if (value) sessionStorage.setItem(key, JSON.stringify(value));
    else sessionStorage.removeItem(key);
    banner();
  }
  const nameOf = (name) => name?.[i18n.lang] || name?.en || "";
  /** How this student is named to the server: the friendly name they had, or what they typed. */
  function who(q, name) {
    if (name?.nick) q.set("nick", name.nick);
    else if (name?.en || typed) q.set("name", name?.en || typed);
    return q;
  }
  function socketQuery(base) {
    if (state.following) return who(base, watching?.name);
    if (info) {
      base.set("class", info.room);
      base.set("member", info.member);
      who(base, info.name);
    }
    return base;
  }

  function banner() {
    const box = $("class-banner");
    if (!box) return;
    box.hidden = !info;
    if (info) $("class-banner-text").textContent = i18n.t("class.in_class", { code: info.room, name: nameOf(info.name) });
  }
  $("class-leave")?.addEventListener("click", () => send("class", { do: "leave" }));

  let said = null; // the toast's words, said again in the other language after a switch
  function toast(words, undoable = false) {
    const box = $("class-toast");
    if (!box) return;
    said = words;
    $("class-toast-text").textContent = words();
    $("class-toast-undo").hidden = !undoable;
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { box.hidden = true; }, undoable ? UNDO_MS : TOAST_MS);
  }
  $("class-toast-undo")?.addEventListener("click", () => {
    if (undo) send("configure", { params: undo });
    undo = null;
    $("class-toast").hidden = true;
  });

  handlers.class_event = (msg) => {
    const ev = msg.event;
    if (ev === "joined") {
      save(msg.class);
      return;
    }
    if (ev === "closed" || ev === "left") save(null);
    if (ev === "pushed") {
      undo = { ...state.params }; // what this page had before the teacher's params arrive
      const what = () => (msg.preset ? i18n.t(`preset.${msg.preset}`) : i18n.t("class.ev_pushed_mine"));
      toast(() => i18n.t("class.ev_pushed", { what: what() }), true);
    } else if (ev === "spotlight") {
      toast(() => (msg.you ? i18n.t("class.ev_spotlight_you")
        : i18n.t("class.ev_spotlight", { name: nameOf(msg.name) || i18n.t("class.anonymous") })));
    } else if (["paused", "resumed", "unspotlight", "closed", "left"].includes(ev)) {
      toast(() => i18n.t(`class.ev_${ev}`));
    }
  };

  return {
    socketQuery,
    hello(msg) {
      if (msg.read_only) watching = msg.member ?? null;
    },
    relabel() {
      banner();
      if (said) $("class-toast-text").textContent = said();
    },
  };
}

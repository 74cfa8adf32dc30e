// The classroom: a teacher presents (a room code, a link and its QR code),
// students follow read-only and may fork, and a session of one's own exports
// its run as a Python script or JSON (a follower forks first: the Share
// section is hidden while following). The page's session stays the same object throughout:
// a follower's socket becomes its own session when it forks.

import { copyText, openDialog } from "./embed.js";
import { setupMembership } from "./membership.js";

const $ = (id) => document.getElementById(id);

/**
 * The class view (lib/classview.js and its tile pictures) as a stand-in that loads it when a
 * room is first presented: only a presenting teacher sees it, so a learner's page does not
 * fetch it. Calls made while it loads are replayed in order; before that, only `start` does
 * anything (there is no class to stop, update or relabel yet). If the module cannot be
 * loaded, the teacher is told, and the next call tries again from the room's last `start`.
 */
function lazyClassView(ctx) {
  let view = null, loading = null, room = null;
  let queue = [];
  const load = () => import("./classview.js").then(({ setupClassView }) => {
    view = setupClassView(ctx);
    for (const [n, a] of queue.splice(0)) view[n](...a);
  }).catch((err) => {
    view = null;
    loading = null;
    queue = [];
    console.error(err);
    ctx.toast(`${ctx.i18n.t("error.prefix")} ${err.message}`);
  });
  const call = (name) => (...args) => {
    if (name === "start") room = args;
    else if (name === "stop") room = null;
    if (view) return view[name](...args);
    if (!loading && !room) return undefined; // no class, and none to show
    if (!loading && name !== "start") queue.push(["start", room]); // again, after a failure
    queue.push([name, args]);
    loading ??= load();
    return undefined;
  };
  return { start: call("start"), stop: call("stop"), update: call("update"), relabel: call("relabel") };
}

/** Save `text` as a file named `filename`, without a round trip to the server. */
function download(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * Wire the share buttons, the present dialog and the follow banner.
 * ctx: {lab, i18n, toast, send, handlers, state, follow, query, params, schema, resetView}
 * where `follow` is the room code from the URL (or null) and `state.following` mirrors
 * it until a fork. Returns the page's hooks, and socketQuery(base) for the socket's URL.
 */
export function setupClassroom(ctx) {
  const { i18n, toast, send, handlers, state } = ctx;
  state.following = ctx.follow || null;
  let banner = state.following ? "joining" : null;

  function followUrl(path) {
    const url = new URL(path, location.origin);
    if (state.langExplicit) url.searchParams.set("lang", i18n.lang);
    return url.href;
  }

  function showBanner(kind) {
    banner = kind;
    const box = $("follow-banner");
    if (!box) return;
    box.hidden = !kind;
    document.body.classList.toggle("is-following", !!state.following);
    if (!kind) return;
    box.dataset.kind = kind;
    const code = state.following ?? "";
    for (const part of ["title", "text"]) { // no data-i18n: relabel() fills in the code
      const node = $(`follow-${part}`);
      node.textContent = i18n.t(`follow.${kind}_${part}`, { code });
    }
    if (kind === "live" && member.spotlight) { // a student's run on the screen, not the teacher's
      const name = member.spotlight.name?.[i18n.lang] ?? member.spotlight.name?.en ?? i18n.t("class.anonymous");
      $("follow-title").textContent = i18n.t("class.follow_spot", { name });
      $("follow-text").textContent = i18n.t("class.follow_spot_text");
    }
    const refused = kind === "missing" || kind === "full" || kind === "unavailable";
    $("btn-fork").hidden = refused || kind === "joining";
    $("follow-alone").hidden = !refused;
  }

  // -- present ------------------------------------------------------------------
  function setPresenting(on) {
    const label = $("btn-present")?.querySelector("[data-i18n]");
    if (!label) return;
    label.dataset.i18n = on ? "share.presenting" : "share.present";
    label.textContent = i18n.t(label.dataset.i18n);
    $("btn-present").classList.toggle("live", on);
  }
  // The room's key, kept for this tab: a reload or a new connection presents the same room
  // again, with the class and the run (the server waits DESCENT_PRESENTER_GRACE_S for it).
  const presentKey = `descent.present.${ctx.lab}`;
  function presented() {
    try {
      return JSON.parse(sessionStorage.getItem(presentKey) ?? "null");
    } catch {
      return null;
    }
  }
  if (state.following) sessionStorage.removeItem(presentKey); // a student now, not that room's teacher
  async function showRoom(msg) {
    const fresh = state.room !== msg.room;
    state.room = msg.room;
    if (msg.key) sessionStorage.setItem(presentKey, JSON.stringify({ room: msg.room, key: msg.key }));
    setPresenting(true);
    if (fresh) classView?.start(msg.room);
    $("present-code").textContent = msg.room;
    showLink(followUrl(msg.follow_url), location.origin);
    if (msg.resumed) toast(i18n.t("present.resumed", { code: msg.room }));
    else openDialog($("present-dialog"));
    const origin = await reachable();
    if (origin && origin !== location.origin && state.room === msg.room) {
      showLink(new URL(followUrl(msg.follow_url)).href.replace(location.origin, origin), origin);
    }
  }
  function showLink(link, origin) {
    $("present-link").value = link;
    $("present-qr").src = `/api/qr.svg?text=${encodeURIComponent(link)}`;
    $("present-qr").alt = link;
    let join = $("present-join");
    if (!join) {
      join = Object.assign(document.createElement("p"), { id: "present-join", className: "dialog-text" });
      $("present-link").closest("label")?.after(join);
    }
    join.textContent = i18n.t("join.students", { join: `${origin}/join` });
  }
  /** The address students can reach: this page's, or the LAN's when it was opened on loopback. */
  async function reachable() {
    const note = $("present-reach") ?? Object.assign(document.createElement("p"), { id: "present-reach" });
    $("present-join")?.after(note);
    note.hidden = true;
    if (!/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(location.hostname)) return null;
    let reach;
    try {
      reach = await (await fetch("/api/reach")).json();
    } catch {
      return null;
    }
    note.hidden = false;
    note.className = `present-reach${reach.origin ? "" : " warn"}`;
    note.dataset.reason = reach.reason ?? "lan";
    note.textContent = i18n.t(reach.origin ? "join.lan" : `join.${reach.reason}`, { address: reach.address ?? "" });
    return reach.origin;
  }
  $("btn-present")?.addEventListener("click", () => {
    if (state.room) openDialog($("present-dialog"));
    else send("present");
  });
  $("present-copy")?.addEventListener("click", () => copyText($("present-link"), toast, i18n));
  handlers.room = showRoom;

  // -- follow and fork --------------------------------------------------------------
  handlers.room_closed = (msg) => {
    if (state.following) {
      showBanner("closed");
      return;
    }
    if (presented()?.room !== msg.room) return;
    sessionStorage.removeItem(presentKey); // too late to come back, or another tab presents it
    if (state.room === msg.room) { // this page presented it until now: it presents no more
      state.room = null;
      classView?.stop();
      setPresenting(false);
      $("present-dialog")?.close();
    }
    toast(i18n.t(msg.taken ? "present.taken" : "present.lost"));
  };
  $("btn-fork")?.addEventListener("click", () => {
    $("btn-fork").disabled = true;
    if (send("fork") === null) $("btn-fork").disabled = false;
  });
  /** Every hello: a (re)connected session. Nothing asked before it will be answered. */
  function hello(msg) {
    unstick();
    if (msg.read_only) showBanner(banner === "closed" ? "closed" : "live");
    membership.hello(msg);
    if (state.room && !msg.read_only) {
      // a reconnect is a new session: it gets the room back (a `room` message follows) or
      // hears that it closed (`room_closed`)
      state.room = null;
      classView?.stop();
      setPresenting(false);
      $("present-dialog")?.close();
      if (!presented()) toast(i18n.t("present.lost"));
    }
  }
  /** Buttons waiting for a reply that will not come (after an error or a reconnect). */
  function unstick() {
    if ($("btn-fork")) $("btn-fork").disabled = false;
    for (const format of [...busy]) done(format);
  }
  function forked() {
    state.following = null;
    $("btn-fork").disabled = false;
    showBanner(null);
    toast(i18n.t("follow.forked"));
  }
  /** True when the error was about the room (shown in the banner, not as a toast). */
  function roomError(msg) {
    unstick();
    const kind = { no_such_room: "missing", room_full: "full", rooms_unavailable: "unavailable",
      rate_limited: "unavailable" }[msg.code];
    if (kind && state.following) {
      showBanner(kind);
      $("follow-alone").href = `${location.pathname}${state.langExplicit ? `?lang=${i18n.lang}` : ""}`;
      return true;
    }
    if (msg.code === "rooms_unavailable") { // Present, while the room service is down
      setPresenting(false);
      toast(i18n.t("present.unavailable"));
      return true;
    }
    return msg.code === "read_only"; // a click on a chart while following: the banner says why
  }

  // -- export -----------------------------------------------------------------------
  const busy = new Set();
  for (const format of ["python", "json"]) {
    $(`btn-export-${format}`)?.addEventListener("click", (ev) => {
      if (busy.has(format)) return;
      busy.add(format);
      ev.currentTarget.setAttribute("aria-busy", "true");
      // the script's comments in the page's language (the JSON record has none)
      if (send("export", { format, lang: i18n.lang }) === null) done(format);
    });
  }
  function done(format) {
    busy.delete(format);
    $(`btn-export-${format}`)?.removeAttribute("aria-busy");
  }
  handlers.export = (msg) => {
    done(msg.format);
    download(msg.filename, msg.content, msg.format === "json" ? "application/json" : "text/x-python");
    toast(i18n.t("export.saved", { file: msg.filename }));
  };

  // -- the class --------------------------------------------------------------------
  const classView = $("classview") ? lazyClassView(ctx) : null;
  handlers.class = (msg) => classView?.update(msg);
  const member = { spotlight: null };
  handlers.spotlight = (msg) => { // a follower: the room shows a student's run, or the teacher's again
    member.spotlight = msg.on ? { name: msg.name } : null;
    ctx.resetView();
    if (state.following) showBanner(banner === "closed" ? "closed" : "live");
  };
  const membership = setupMembership(ctx);

  if (state.following) showBanner("joining");
  /** The socket's URL: a presenting tab names its room and key, to present it again. */
  function socketQuery(base) {
    const mine = presented();
    if (mine && !state.following) {
      base.set("present", mine.room);
      base.set("key", mine.key);
    }
    return membership.socketQuery(base);
  }

  return { hello, forked, roomError, socketQuery,
    relabel: () => { showBanner(banner); classView?.relabel(); membership.relabel(); } };
}

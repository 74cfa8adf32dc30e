// One WebSocket = one training session (docs/protocol.md). Reconnects with
// back-off; every message is dispatched by `type` to the handlers.
//
// Flow control: when the server's hello offers it, each frame is acknowledged
// once the page has painted it, so the server sends (and trains) no further
// ahead than this page can draw: a slow phone sees fresh frames, not a backlog.

const HIDDEN_ACK_MS = 250; // a hidden tab paints nothing: still take a few frames a second

export class LabSession {
  constructor(lab, queryFn, handlers) {
    this.lab = lab;
    this.queryFn = queryFn; // () => URLSearchParams for the initial params
    this.handlers = handlers; // {type: fn(msg)}, plus status(state)
    this.nextId = 1;
    this.retry = 0;
    this.closedByUs = false;
    this.flow = false; // the server takes acks
    this.unacked = 0; // frames drawn and not yet acknowledged
    this.acking = false; // an ack is scheduled
    this.ready = Promise.resolve(); // messages wait for it (the page's charts), in order
  }

  connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const q = this.queryFn().toString();
    const ws = new WebSocket(`${proto}://${location.host}/ws/${this.lab}${q ? "?" + q : ""}`);
    this.ws = ws;
    this.handlers.status?.("connecting");
    ws.onopen = () => {
      this.retry = 0;
      this.unacked = 0;
      this.acking = false;
      this.handlers.status?.("open");
    };
    ws.onmessage = (ev) => this.ready.then(() => {
      const msg = JSON.parse(ev.data);
      if (msg.type === "hello") this.flow = Boolean(msg.flow?.ack);
      (this.handlers[msg.type] ?? this.handlers.other)?.(msg);
      if (msg.type === "frame" && this.flow) this.ackAfterPaint(ws);
    });
    ws.onclose = (ev) => {
      this.handlers.status?.("closed", ev);
      if (this.closedByUs || ev.code === 4404 || ev.code === 1008) return;
      const delay = Math.min(8000, 500 * 2 ** this.retry++);
      setTimeout(() => this.connect(), delay);
    };
  }

  /** Send an op; returns its id, echoed on every reply it causes. */
  send(op, fields = {}) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return null;
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ op, id, ...fields }));
    return id;
  }

  /** Acknowledge the frames drawn since the last ack, once the browser has painted them. */
  ackAfterPaint(ws) {
    this.unacked++;
    if (this.acking) return;
    this.acking = true;
    const send = () => {
      if (!this.acking || ws !== this.ws) return;
      this.acking = false;
      if (ws.readyState === WebSocket.OPEN) {
        ws.send(JSON.stringify({ op: "ack", frames: Math.min(this.unacked, 100) }));
      }
      this.unacked = 0;
    };
    // rAF runs just before the paint; a task queued from it runs just after
    requestAnimationFrame(() => setTimeout(send, 0));
    setTimeout(send, HIDDEN_ACK_MS);
  }

  close() {
    this.closedByUs = true;
    this.ws?.close();
  }
}

// One WebSocket = one training session (PROTOCOL.md). Reconnects with
// back-off; every message is dispatched by `type` to the handlers.

export class LabSession {
  constructor(lab, queryFn, handlers) {
    this.lab = lab;
    this.queryFn = queryFn; // () => URLSearchParams for the initial params
    this.handlers = handlers; // {type: fn(msg)}, plus status(state)
    this.nextId = 1;
    this.retry = 0;
    this.closedByUs = false;
  }

  connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const q = this.queryFn().toString();
    const ws = new WebSocket(`${proto}://${location.host}/ws/${this.lab}${q ? "?" + q : ""}`);
    this.ws = ws;
    this.handlers.status?.("connecting");
    ws.onopen = () => {
      this.retry = 0;
      this.handlers.status?.("open");
    };
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      (this.handlers[msg.type] ?? this.handlers.other)?.(msg);
    };
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

  close() {
    this.closedByUs = true;
    this.ws?.close();
  }
}

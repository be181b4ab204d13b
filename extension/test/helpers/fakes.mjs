// Test doubles for the browser APIs the background uses.

/** Timers run by hand: `advance(ms)` fires what is due, in order. */
export class FakeTimers {
  now = 0;
  #queue = [];
  #next = 1;

  setTimeout = (fn, ms = 0) => {
    const id = this.#next++;
    this.#queue.push({ id, at: this.now + ms, fn });
    return id;
  };

  clearTimeout = (id) => {
    this.#queue = this.#queue.filter((t) => t.id !== id);
  };

  get pending() {
    return this.#queue.map((t) => t.at - this.now).sort((a, b) => a - b);
  }

  async advance(ms) {
    const until = this.now + ms;
    for (;;) {
      this.#queue.sort((a, b) => a.at - b.at);
      const due = this.#queue[0];
      if (!due || due.at > until) break;
      this.#queue.shift();
      this.now = due.at;
      due.fn();
      await flush();
    }
    this.now = until;
    await flush();
  }
}

export const flush = () => new Promise((resolve) => setImmediate(resolve));

export class FakeEvent {
  listeners = [];
  addListener(fn) {
    this.listeners.push(fn);
  }
  removeListener(fn) {
    this.listeners = this.listeners.filter((l) => l !== fn);
  }
  fire(...args) {
    return this.listeners.map((l) => l(...args));
  }
}

/** A native port: `sent` holds what the extension posted; `reply`/`emit`/`drop` play the host. */
export class FakeNativePort {
  sent = [];
  onMessage = new FakeEvent();
  onDisconnect = new FakeEvent();
  disconnected = false;
  error = undefined;

  postMessage(message) {
    if (this.disconnected) throw new Error('Attempting to use a disconnected port object');
    this.sent.push(structuredClone(message));
  }

  disconnect() {
    this.disconnected = true;
  }

  reply(id, result) {
    this.onMessage.fire({ v: 1, id, ok: true, result });
  }

  fail(id, code, message) {
    this.onMessage.fire({ v: 1, id, ok: false, error: { code, message } });
  }

  emit(event) {
    this.onMessage.fire({ v: 1, ...event });
  }

  /** The browser closing the port, with Firefox's `port.error` or Chrome's lastError. */
  drop(runtime, message) {
    this.disconnected = true;
    runtime.lastError = message ? { message } : undefined;
    this.onDisconnect.fire(this);
    runtime.lastError = undefined;
  }
}

/** runtime.connectNative; `ports` lists every port opened. */
export class FakeRuntime {
  ports = [];
  lastError = undefined;
  hostNames = [];

  connectNative(name) {
    this.hostNames.push(name);
    const port = new FakeNativePort();
    this.ports.push(port);
    return port;
  }

  get port() {
    return this.ports.at(-1);
  }
}

/** The parts of NativePort that callers use, answering from a table of handlers by cmd. */
export class ScriptedPort {
  requests = [];
  connected = true;

  constructor(handlers = {}) {
    this.handlers = handlers;
  }

  async request(body, options) {
    this.requests.push({ body, options });
    const handler = this.handlers[body.cmd];
    if (!handler) throw new Error(`no handler for ${body.cmd}`);
    return handler(body);
  }
}

export class FakeNotifications {
  shown = [];
  async create(id, options) {
    this.shown.push({ id, ...options });
    return id;
  }
}

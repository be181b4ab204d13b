// Test doubles for the browser APIs the background uses.

import { timeoutFor } from '../../src/background/native-port.js';
import { request } from '../../src/lib/protocol.js';

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

/**
 * NativePort.request as callers see it, answering from a table of handlers by cmd. Like the real
 * one it refuses unknown commands and gives each request its cmd's timeout unless told otherwise;
 * `requests` records `{body, options, timeoutMs}` (the timeout that would apply).
 */
export class ScriptedPort {
  requests = [];

  constructor(handlers = {}) {
    this.handlers = handlers;
  }

  async request(body, options) {
    request(1, body);
    this.requests.push({ body, options, timeoutMs: options?.timeoutMs ?? timeoutFor(body) });
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

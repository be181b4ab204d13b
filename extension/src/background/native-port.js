// The one connection to the native host (the `magnetcast` relay, which forwards to the daemon).
// It reconnects by itself, correlates replies with requests by id, and tells listeners where the
// connection stands, including the case a user must fix: the host is not installed.

import { backoffDelay } from './backoff.js';
import { DaemonError, HOST_NAME, classify, commands, request } from '../lib/protocol.js';

/** Requests the daemon answers from what it has, or after a short action. */
const DEFAULT_TIMEOUT_MS = 15_000;
/** The first request may wait for the relay to start the daemon (engine, session restore). */
const PROBE_TIMEOUT_MS = 30_000;

/**
 * How long a command may go unanswered, by cmd; any other gets DEFAULT_TIMEOUT_MS. `add` waits for
 * a magnet's metadata (the daemon's metadata_timeout_secs, 60 s by default) and then for the device
 * to answer; `play` may run discovery (3 s), check the file's codecs with ffprobe (the daemon gives
 * that 45 s: the file may still be downloading) and connect to the device; `keep` hard-links the
 * files into download_dir, or copies them when it is on another disk (minutes for a large film on
 * a slow drive), before it answers; `devices` listens for its `timeout_secs` (the daemon's default
 * is 3 s); `subtitles_add` plays the torrent again on each device casting it, as `play` does.
 */
const TIMEOUTS_MS = Object.freeze({
  __proto__: null,
  add: 150_000,
  play: 75_000,
  subtitles_add: 75_000,
  keep: 300_000,
  devices: (body) => ((body.timeout_secs ?? 3) + 10) * 1000,
});

/** The timeout `request()` uses for a body when the caller gives none. */
export function timeoutFor(requestBody) {
  const timeout = TIMEOUTS_MS[requestBody?.cmd] ?? DEFAULT_TIMEOUT_MS;
  return typeof timeout === 'function' ? timeout(requestBody) : timeout;
}

/** Where a new port starts: trying to connect, nothing known yet. The store starts from it too. */
export const INITIAL_STATUS = Object.freeze({ state: 'connecting', message: null, attempts: 0, retryAt: null, trying: true });

/**
 * Chrome: "Specified native messaging host not found." / "Access to the specified native messaging
 * host is forbidden." Firefox: "No such native application org.magnetcast.host". Anything else
 * ("Native host has exited.", a crash) is a plain disconnect that the next attempt may cure.
 */
export function classifyHostError(message) {
  if (/native messaging host not found|no such native application/i.test(message)) return 'not_installed';
  if (/forbidden/i.test(message)) return 'forbidden';
  return 'disconnected';
}

export class NativePort {
  #runtime;
  #hostName;
  #backoff;
  #timers;
  #now;
  #port = null;
  #nextId = 1;
  #pending = new Map();
  #retryTimer = null;
  #attempts = 0;
  #relayError = null;
  #statusListeners = new Set();
  #eventListeners = new Set();
  #relayErrorListeners = new Set();
  #status = { ...INITIAL_STATUS };

  constructor({
    runtime,
    hostName = HOST_NAME,
    backoff = backoffDelay,
    timers = { setTimeout: globalThis.setTimeout.bind(globalThis), clearTimeout: globalThis.clearTimeout.bind(globalThis) },
    now = Date.now,
  }) {
    this.#runtime = runtime;
    this.#hostName = hostName;
    this.#backoff = backoff;
    this.#timers = timers;
    this.#now = now;
  }

  get status() {
    return { ...this.#status };
  }

  onStatus(listener) {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  onEvent(listener) {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  /** Errors the relay reports itself (id 0): e.g. it could not start the daemon. */
  onRelayError(listener) {
    this.#relayErrorListeners.add(listener);
    return () => this.#relayErrorListeners.delete(listener);
  }

  start() {
    if (!this.#port) this.#connect();
  }

  /** The popup's Retry: forget the backoff and try at once. */
  reconnectNow() {
    this.#attempts = 0;
    if (this.#port && this.#status.state === 'connected') return;
    this.#dropPort();
    this.#connect();
  }

  /**
   * Sends a request body (see protocol.js `commands`) and resolves with the reply's `result`, or
   * rejects with a DaemonError carrying the daemon's code and message. A cmd the daemon does not
   * know is refused (TypeError `unknown command …`) before anything else, connected or not.
   * Without `timeoutMs` the command's own timeout applies (timeoutFor).
   */
  request(requestBody, { timeoutMs = timeoutFor(requestBody) } = {}) {
    return new Promise((resolve, reject) => {
      // Thrown here, these reject the returned promise.
      const message = request(this.#nextId, requestBody);
      if (!this.#port) throw new DaemonError('not_connected', this.#unavailableMessage());
      const id = this.#nextId++;
      const timer = this.#timers.setTimeout(() => {
        this.#pending.delete(id);
        reject(new DaemonError('timeout', `${requestBody.cmd}: no answer from magnetcast in ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      try {
        this.#port.postMessage(message);
      } catch (e) {
        this.#settle(id, null, new DaemonError('not_connected', `cannot reach magnetcast: ${e.message}`));
      }
    });
  }

  #unavailableMessage() {
    switch (this.#status.state) {
      case 'not_installed':
        return 'magnetcast is not installed on this computer: run `magnetcast install`';
      case 'forbidden':
        return 'magnetcast does not allow this extension: run `magnetcast install` again';
      default:
        return `magnetcast is not connected${this.#status.message ? `: ${this.#status.message}` : ''}`;
    }
  }

  #connect() {
    this.#clearRetry();
    this.#relayError = null;
    this.#setStatus({ trying: true, retryAt: null });
    let port;
    try {
      port = this.#runtime.connectNative(this.#hostName);
    } catch (e) {
      this.#failed(e?.message ?? String(e));
      return;
    }
    this.#port = port;
    port.onMessage.addListener((message) => {
      if (this.#port === port) this.#onMessage(message);
    });
    port.onDisconnect.addListener((p) => {
      // Reading lastError is also what keeps Chrome from logging it as unchecked.
      const error = p?.error?.message ?? this.#runtime.lastError?.message;
      if (this.#port === port) this.#onDisconnect(error);
    });
    // Chrome gives no "connected" signal: the first reply proves the relay and the daemon answer.
    this.request(commands.status(), { timeoutMs: PROBE_TIMEOUT_MS }).then(
      () => {
        if (this.#port !== port) return;
        this.#attempts = 0;
        this.#setStatus({ state: 'connected', message: null, attempts: 0, trying: false, retryAt: null });
      },
      () => {
        // A failed probe ends in a disconnect (handled there) or a timeout; a daemon that answers
        // nothing at all is as good as gone, so start over.
        if (this.#port === port && this.#status.state !== 'connected') {
          this.#dropPort();
          this.#failed('magnetcast did not answer');
        }
      },
    );
  }

  #onMessage(message) {
    const m = classify(message);
    switch (m.kind) {
      case 'reply':
        this.#settle(m.id, m.ok ? m.result : null, m.ok ? null : new DaemonError(m.error?.code ?? 'internal', m.error?.message ?? 'request failed'));
        break;
      case 'event':
        for (const listener of this.#eventListeners) listener(m.message);
        break;
      case 'relay-error':
        this.#relayError = m.error.message;
        for (const listener of this.#relayErrorListeners) listener(m.error);
        break;
      default:
        break;
    }
  }

  #settle(id, result, error) {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    this.#timers.clearTimeout(pending.timer);
    if (error) pending.reject(error);
    else pending.resolve(result);
  }

  #onDisconnect(browserMessage) {
    this.#port = null;
    const message = this.#relayError ?? browserMessage ?? 'the magnetcast host closed the connection';
    this.#rejectAll(message);
    this.#failed(browserMessage ?? message, message);
  }

  #failed(browserMessage, shownMessage = browserMessage) {
    const state = classifyHostError(browserMessage ?? '');
    const delay = this.#backoff(this.#attempts);
    this.#attempts += 1;
    this.#setStatus({ state, message: shownMessage, attempts: this.#attempts, trying: false, retryAt: this.#now() + delay });
    this.#retryTimer = this.#timers.setTimeout(() => {
      this.#retryTimer = null;
      this.#connect();
    }, delay);
  }

  #rejectAll(message) {
    for (const [id] of this.#pending) {
      this.#settle(id, null, new DaemonError('disconnected', message));
    }
  }

  #dropPort() {
    const port = this.#port;
    this.#port = null;
    this.#rejectAll('reconnecting');
    try {
      port?.disconnect();
    } catch {
      // Already gone.
    }
  }

  #clearRetry() {
    if (this.#retryTimer !== null) {
      this.#timers.clearTimeout(this.#retryTimer);
      this.#retryTimer = null;
    }
  }

  #setStatus(patch) {
    this.#status = { ...this.#status, ...patch };
    const snapshot = this.status;
    for (const listener of this.#statusListeners) listener(snapshot);
  }
}

// The popup's and options page's line to the background: live state snapshots in, calls out.
// Pages never talk to the native host themselves, so there is one connection and one state.

import { ext } from './browser.js';
import { UI_PORT } from './messages.js';

/**
 * Opens a port to the background. `onState(snapshot)` runs on every change; `call(method, ...args)`
 * resolves with the background's answer or rejects with its error message. The port is reopened
 * when the background goes away (an MV3 service worker can be stopped while the page is open).
 */
export function connectBackground({ runtime = ext.runtime, onState = () => {} } = {}) {
  let port = null;
  let nextId = 1;
  let closed = false;
  const pending = new Map();

  function open() {
    port = runtime.connect({ name: UI_PORT });
    port.onMessage.addListener((message) => {
      if (message?.type === 'state') onState(message.state);
      else if (message?.type === 'result') {
        const entry = pending.get(message.id);
        if (!entry) return;
        pending.delete(message.id);
        if (message.ok) entry.resolve(message.value);
        else entry.reject(Object.assign(new Error(message.error?.message ?? 'failed'), { code: message.error?.code }));
      }
    });
    port.onDisconnect.addListener(() => {
      // Reading lastError keeps Chrome from reporting it as unchecked.
      void runtime.lastError;
      for (const entry of pending.values()) entry.reject(new Error('the extension restarted; try again'));
      pending.clear();
      port = null;
      if (!closed) setTimeout(() => !closed && !port && open(), 250);
    });
  }

  open();

  return {
    call(method, ...args) {
      if (!port) open();
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        port.postMessage({ type: 'call', id, method, args });
      });
    },
    close() {
      closed = true;
      port?.disconnect();
    },
  };
}

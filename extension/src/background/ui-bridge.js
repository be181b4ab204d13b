// Serves the extension's own pages (popup, options, protocol handler) and the content script:
// state snapshots over a port, a small set of calls, and link casting by message. Pages get no raw
// access to the native port: they call the methods below, and the body `send` forwards goes through
// NativePort.request, which frames only commands the daemon knows and applies each one's timeout.

import { CAST_LINK, STORAGE_KEYS, UI_PORT } from '../lib/messages.js';
import { commands } from '../lib/protocol.js';

/** State is pushed at most this often; progress alone arrives at up to 4 Hz per torrent. */
const PUSH_INTERVAL_MS = 100;

export function createUiMethods({ port, store, caster, storage }) {
  return {
    /**
     * A daemon command built by the page with protocol.js (the native port refuses unknown ones),
     * keeping the state in step with the results that change it. Adding and discovery have their
     * own methods (castLink, discoverDevices).
     */
    async send(requestBody) {
      const result = await port.request(requestBody);
      switch (requestBody.cmd) {
        case 'settings_get':
        case 'settings_set':
          store.setSettings(result);
          break;
        case 'stop':
          if (result?.device) store.removeCast(result.device);
          break;
        case 'play':
          store.applyPlayed(requestBody.torrent, result);
          break;
        case 'seek':
          // Start over is a seek; any seek means the viewer has moved on from where it resumed.
          store.clearResume(result?.device ?? requestBody.device);
          break;
        case 'select_file':
          store.applyDescribed(result);
          break;
        default:
          break;
      }
      return result;
    },
    reconnect() {
      port.reconnectNow();
    },
    discoverDevices() {
      return caster.discover();
    },
    async chooseDevice(name) {
      const device = typeof name === 'string' && name.trim() ? name.trim() : null;
      await storage?.set({ [STORAGE_KEYS.device]: device });
      store.setChosenDevice(device);
      return device;
    },
    /** Casts a torrent already in the daemon, to the device castLink would pick. */
    async playTorrent(torrent) {
      const { device } = await caster.pickDevice();
      if (!device) throw new Error('No Cast device found: enter its address in the popup, or use Play here to watch in this browser');
      const result = await port.request(commands.play({ torrent, device }));
      store.applyPlayed(torrent, result);
      return result;
    },
    castLink(url, tab) {
      return caster.castLink(url, tab);
    },
    dismissError() {
      store.clearError();
    },
    state() {
      return store.snapshot();
    },
  };
}

/** True for the extension's own pages, false for content scripts and other extensions. */
function isOwnPage(sender, runtime) {
  return sender?.id === runtime.id && typeof sender.url === 'string' && sender.url.startsWith(runtime.getURL(''));
}

export function serveUi({ runtime, store, methods }) {
  runtime.onConnect.addListener((uiPort) => {
    if (uiPort.name !== UI_PORT) return;
    if (!isOwnPage(uiPort.sender, runtime)) {
      uiPort.disconnect();
      return;
    }
    let timer = null;
    let lastPush = 0;
    let alive = true;
    const push = () => {
      timer = null;
      lastPush = Date.now();
      if (alive) uiPort.postMessage({ type: 'state', state: store.snapshot() });
    };
    const unsubscribe = store.subscribe(() => {
      if (timer !== null) return;
      const wait = Math.max(0, PUSH_INTERVAL_MS - (Date.now() - lastPush));
      timer = setTimeout(push, wait);
    });
    uiPort.onDisconnect.addListener(() => {
      alive = false;
      unsubscribe();
      if (timer !== null) clearTimeout(timer);
    });
    uiPort.onMessage.addListener(async (message) => {
      if (message?.type !== 'call' || !Object.hasOwn(methods, message.method)) return;
      try {
        const value = await methods[message.method](...(message.args ?? []));
        if (alive) uiPort.postMessage({ type: 'result', id: message.id, ok: true, value: value ?? null });
      } catch (e) {
        if (alive) uiPort.postMessage({ type: 'result', id: message.id, ok: false, error: { code: e?.code ?? 'error', message: e?.message ?? String(e) } });
      }
    });
    push();
  });

  // The content script and the protocol handler page ask for a cast by message.
  runtime.onMessage.addListener((message, sender, sendResponse) => {
    if (message?.type !== CAST_LINK || sender?.id !== runtime.id) return false;
    methods
      .castLink(message.url, sender.tab)
      .then(
        (result) => sendResponse({ ok: true, name: result?.name ?? null, device: result?.cast?.device ?? null }),
        (e) => sendResponse({ ok: false, error: e?.message ?? String(e) }),
      );
    return true;
  });
}

// The background: Chrome's MV3 service worker, Firefox's background script. It owns the native
// port, keeps the state, and serves the popup, options, content script and context menu.
//
// Test hook: `globalThis.magnetcast` (see the bottom of this file) lets an automated test do what
// a person does through browser UI that automation cannot reach, e.g. the context menu:
//   await magnetcast.castLink('https://example.org/file.torrent', tab)
//
// Listeners are registered synchronously at the top level: an MV3 worker woken by an event only
// receives it if the listener exists before the first await.

import { Badge } from './badge.js';
import { createCaster } from './cast-link.js';
import { registerContextMenu } from './context-menu.js';
import { NativePort } from './native-port.js';
import { Notifier, handleHostEvent } from './notify.js';
import { StateStore } from './store.js';
import { createUiMethods, serveUi } from './ui-bridge.js';
import { ext } from '../lib/browser.js';
import { STORAGE_KEYS } from '../lib/messages.js';
import { commands } from '../lib/protocol.js';

const store = new StateStore();
const port = new NativePort({ runtime: ext.runtime });
const notifier = new Notifier({ notifications: ext.notifications, iconUrl: ext.runtime.getURL('icons/icon-128.png') });
const badge = new Badge(ext.action ?? ext.browserAction);
const storage = ext.storage?.local;
const savedDevice = Promise.resolve(storage?.get(STORAGE_KEYS.device))
  .then((saved) => store.setChosenDevice(saved?.[STORAGE_KEYS.device] ?? null))
  .catch(() => {});
const caster = createCaster({ port, store, notifier, ready: savedDevice });
const methods = createUiMethods({ port, store, caster, storage });

store.subscribe((snapshot) => badge.show(snapshot));

port.onEvent((message) => {
  handleHostEvent(message, { store, notifier });
  // A torrent added elsewhere (the command line) comes without its stream and "Play here"
  // addresses: `list` has them.
  if (message.event === 'metadata' && !store.isDescribed(message.torrent)) listSoon();
});

/** One `list` for a burst of new torrents. */
const LIST_DELAY_MS = 2000;
let listTimer = null;
function listSoon() {
  if (listTimer !== null) return;
  listTimer = setTimeout(async () => {
    try {
      store.applyList(await port.request(commands.list({ limit: 100 })));
    } catch {
      // The next (re)connect lists everything again.
    } finally {
      listTimer = null;
    }
  }, LIST_DELAY_MS);
}

port.onRelayError((error) => store.setError(error.message));

let wasConnected = false;
port.onStatus((status) => {
  store.setHost(status);
  const connected = status.state === 'connected';
  if (connected && !wasConnected) refresh();
  wasConnected = connected;
});

/** After (re)connecting: everything the daemon has, since events only tell what changes. */
async function refresh() {
  const [status, list, settings] = await Promise.allSettled([
    port.request(commands.status()),
    port.request(commands.list({ limit: 100 })),
    port.request(commands.settingsGet()),
  ]);
  if (status.status === 'fulfilled') {
    notifier.seed(status.value?.casts);
    store.applyStatus(status.value);
  }
  if (list.status === 'fulfilled') store.applyList(list.value);
  if (settings.status === 'fulfilled') store.setSettings(settings.value);
}

registerContextMenu(ext.menus ?? ext.contextMenus, (url, tab) => {
  methods.castLink(url, tab).catch(() => {
    // Already in the state and shown as a notification.
  });
});

serveUi({ runtime: ext.runtime, store, methods });

globalThis.magnetcast = Object.freeze({
  /** castLink(url: string, tab?: {id?: number}) → Promise<add result>; same path as the menu. */
  castLink: methods.castLink,
  /** The state the popup renders. */
  state: methods.state,
  /** The popup's Retry. */
  reconnect: methods.reconnect,
});

port.start();

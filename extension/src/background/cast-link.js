// From a link to a cast: check it, fetch a .torrent with the page's cookies, pick the device, and
// send one `add` that casts right away. Every entry point (click, context menu, Firefox protocol
// handler, the e2e test hook) goes through castLink(). Its requests (`add` waits for a magnet's
// metadata) take their timeouts from the native port's table by cmd (native-port.js).

import { chooseDevice } from './devices.js';
import { fetchTorrentFile, toBase64 } from './torrent-file.js';
import { linkKind, linkLabel, magnetInfoHash } from '../lib/links.js';
import { commands } from '../lib/protocol.js';

/** How long a discovery listens for Cast devices. */
const DISCOVERY_SECS = 3;

/**
 * `ready` resolves once the saved device choice is loaded from storage: a click may wake the
 * background and arrive before that read finishes, and must not go to another device meanwhile.
 */
export function createCaster({ port, store, notifier, fetchTorrent = fetchTorrentFile, ready = Promise.resolve() }) {
  async function discover() {
    store.setDiscovering(true);
    try {
      const result = await port.request(commands.devices({ timeoutSecs: DISCOVERY_SECS }));
      store.setDevices(result?.devices ?? []);
      return result?.devices ?? [];
    } finally {
      store.setDiscovering(false);
    }
  }

  async function pickDevice() {
    await ready;
    // Just after (re)connecting the daemon's default_device may not be known yet.
    if (!store.chosenDevice && !store.settingsLoaded) {
      try {
        store.setSettings(await port.request(commands.settingsGet()));
      } catch {
        // Discovery below is the fallback.
      }
    }
    return chooseDevice({ chosen: store.chosenDevice, defaultDevice: store.defaultDevice, discover });
  }

  /**
   * Casts a magnet URI or an http(s) `.torrent` URL. `tab` is the tab the link came from (unused
   * for now beyond diagnostics). Resolves with the daemon's `add` result
   * (`{torrent, name, file, file_count, stream_url, player_url, cast?}`, `cast` as `play` answers);
   * rejects with the reason, which has also been put in the state and shown as a notification.
   */
  async function castLink(url, tab) {
    const kind = linkKind(url);
    if (!kind) {
      const error = new Error(`not a magnet or .torrent link: ${String(url).slice(0, 200)}`);
      store.setError(error.message);
      throw error;
    }
    const pending = store.addPending(linkLabel(url), kind, kind === 'magnet' ? magnetInfoHash(url) : null);
    try {
      const source =
        kind === 'magnet'
          ? { source: url.trim() }
          : { torrentBase64: toBase64(await fetchTorrent(url)) };
      const { device } = await pickDevice();
      const result = await port.request(commands.add({ ...source, device: device ?? undefined }));
      store.applyDescribed(result);
      if (result?.cast) store.applyPlayed(result.torrent, result.cast);
      store.clearError();
      if (!device) {
        notifier.info('Choose a device in the popup', `"${result?.name ?? linkLabel(url)}" is downloading; no Cast device was found to play it on. The popup can play it here, in the browser.`);
      }
      return result;
    } catch (e) {
      const message = e?.message ?? String(e);
      store.setError(message);
      notifier.error(message);
      if (tab?.id !== undefined) console.warn(`magnetcast: cast from tab ${tab.id} failed:`, message);
      throw e;
    } finally {
      store.removePending(pending);
    }
  }

  return { castLink, discover, pickDevice };
}

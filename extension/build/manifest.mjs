// The one manifest source. Chrome and Firefox differ only where their platforms do; each
// difference is marked with the reason.

export const CHROME_ID = 'phdoiealkcpenjnalbnfnaihbekbpehd';
export const FIREFOX_ID = 'magnetcast@magnetcast.org';

const ICONS = { 16: 'icons/icon-16.png', 32: 'icons/icon-32.png', 48: 'icons/icon-48.png', 128: 'icons/icon-128.png' };

/**
 * Host access: the background fetches `.torrent` files from whatever site the user right-clicks,
 * with that site's cookies (private trackers serve them only to logged-in users), and the content
 * script must run on every page that may hold a magnet link. Both need all http(s) sites up
 * front: an optional, per-site grant would stop the first right-click on a new site at a
 * permission prompt, and the automated browser test cannot answer prompts. Nothing else is
 * requested: no tabs, no cookies API, no webRequest.
 */
const WEB = ['http://*/*', 'https://*/*'];

export function manifestFor(target, { version, chromeKey }) {
  if (target !== 'chrome' && target !== 'firefox') throw new Error(`unknown target ${target}`);
  const chrome = target === 'chrome';
  const manifest = {
    manifest_version: 3,
    name: 'magnetcast',
    version,
    description: 'Cast magnet and .torrent links to your Chromecast while they download.',
    icons: ICONS,
    action: {
      default_title: 'magnetcast',
      default_popup: 'popup.html',
      default_icon: { 16: ICONS[16], 32: ICONS[32] },
    },
    options_ui: { page: 'options.html', open_in_tab: true },
    // nativeMessaging: the magnetcast host. storage: the chosen device and the click option.
    // notifications: "playing on the TV", "finished", errors.
    // Context menus: Chrome names the permission contextMenus; Firefox's full API (menus.onShown,
    // used to show "Cast torrent" only on castable links, since Firefox rejects magnet: patterns)
    // comes with `menus`.
    permissions: ['nativeMessaging', 'storage', 'notifications', chrome ? 'contextMenus' : 'menus'],
    host_permissions: WEB,
    content_scripts: [
      {
        matches: WEB,
        js: ['content/catch-magnets.js'],
        all_frames: true,
        match_about_blank: true,
        run_at: 'document_start',
      },
    ],
  };
  if (chrome) {
    // A service worker; the open native port keeps it alive while the daemon is connected.
    manifest.background = { service_worker: 'background/main.js', type: 'module' };
    // The public key pins the id that `magnetcast install` allows in the host manifest.
    manifest.key = chromeKey;
    // connectNative keeping the worker alive (105), promise-returning chrome.* APIs (~116).
    manifest.minimum_chrome_version = '116';
  } else {
    // Firefox MV3 runs background scripts (an event page), not service workers.
    manifest.background = { scripts: ['background/main.js'], type: 'module' };
    manifest.browser_specific_settings = {
      gecko: {
        id: FIREFOX_ID,
        // MV3 protocol_handlers, menus, module background scripts, and the data-collection key
        // AMO now requires: the 140 ESR has them all.
        strict_min_version: '140.0',
        data_collection_permissions: { required: ['none'] },
      },
    };
    // Chrome has no protocol handlers for extensions; in Firefox, magnet links the content script
    // did not catch (other programs, catching turned off) still reach magnetcast.
    manifest.protocol_handlers = [{ protocol: 'magnet', name: 'magnetcast', uriTemplate: '/handler.html?uri=%s' }];
  }
  return manifest;
}

/** Files under src/ that one target does not ship. */
export function excludedFor(target) {
  return target === 'chrome' ? ['handler.html', 'handler/'] : [];
}

// Names shared by the background and its pages. The content script cannot import modules, so it
// repeats CAST_LINK and STORAGE_KEYS.catchClicks literally; a test checks the copies agree.

/** runtime.connect name used by the popup and the options page. */
export const UI_PORT = 'magnetcast-ui';

/** runtime.sendMessage type from the content script and the protocol handler page. */
export const CAST_LINK = 'magnetcast:cast-link';

export const STORAGE_KEYS = Object.freeze({
  /** Browser-only option: catch clicks on magnet links (default on). */
  catchClicks: 'catchMagnetClicks',
  /** The device picked in the popup: a name or HOST[:PORT]. */
  device: 'device',
});

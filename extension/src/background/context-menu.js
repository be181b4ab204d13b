// "Cast torrent" on links. The URL patterns only decide where the item shows; the click handler
// checks the link again, because patterns are coarse (`*.torrent?*` also matches a query string
// that merely contains ".torrent") and a menu click is the user's intent, not proof of a torrent.

import { linkKind } from '../lib/links.js';

export const MENU_ID = 'magnetcast-cast-link';
const MENU_TITLE = 'Cast torrent';

/** Chrome accepts `magnet:*` as a target pattern; Firefox rejects it (bug 1280370). */
export const CHROME_TARGET_PATTERNS = Object.freeze(['magnet:*', '*://*/*.torrent', '*://*/*.torrent?*']);

/** The handler behind the menu item; exported for tests. Returns whether it cast. */
export function handleMenuClick(info, tab, castLink) {
  if (info?.menuItemId !== MENU_ID) return false;
  const url = info.linkUrl;
  if (!linkKind(url)) return false;
  castLink(url, tab);
  return true;
}

/**
 * Creates the item and listens for clicks. Firefox has `menus.onShown`, so there the item is
 * created for every link and shown only when the link is castable; Chrome filters by pattern.
 */
export function registerContextMenu(menus, castLink) {
  if (!menus) return;
  const dynamic = typeof menus.onShown?.addListener === 'function';
  menus.onClicked.addListener((info, tab) => handleMenuClick(info, tab, castLink));
  if (dynamic) {
    menus.onShown.addListener((info) => {
      if (!info.menuIds?.includes(MENU_ID)) return;
      menus.update(MENU_ID, { visible: linkKind(info.linkUrl) !== null });
      menus.refresh();
    });
  }
  // Created at every start rather than only onInstalled: removeAll first makes it idempotent,
  // and a browser that lost its menus (profile copy, crash) gets them back.
  Promise.resolve(menus.removeAll())
    .then(() =>
      menus.create({
        id: MENU_ID,
        title: MENU_TITLE,
        contexts: ['link'],
        ...(dynamic ? {} : { targetUrlPatterns: [...CHROME_TARGET_PATTERNS] }),
      }),
    )
    .catch((e) => console.warn('magnetcast: cannot create the context menu', e));
}

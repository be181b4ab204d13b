import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { FakeEvent, flush } from './helpers/fakes.mjs';
import { CHROME_TARGET_PATTERNS, MENU_ID, handleMenuClick, registerContextMenu } from '../src/background/context-menu.js';

function fakeMenus({ dynamic }) {
  const menus = {
    created: [],
    updates: [],
    refreshed: 0,
    onClicked: new FakeEvent(),
    removeAll: async () => {},
    create(props) {
      this.created.push(props);
    },
  };
  if (dynamic) {
    menus.onShown = new FakeEvent();
    menus.update = (id, props) => menus.updates.push([id, props]);
    menus.refresh = () => menus.refreshed++;
  }
  return menus;
}

describe('context menu', () => {
  it('checks the link again before casting', () => {
    const cast = [];
    const castLink = (url, tab) => cast.push([url, tab.id]);
    const tab = { id: 7 };
    assert.equal(handleMenuClick({ menuItemId: MENU_ID, linkUrl: 'magnet:?xt=urn:btih:abc' }, tab, castLink), true);
    assert.equal(handleMenuClick({ menuItemId: MENU_ID, linkUrl: 'https://t.example/private/file.torrent?key=1' }, tab, castLink), true);
    // `*://*/*.torrent?*` also matches these; the handler does not.
    assert.equal(handleMenuClick({ menuItemId: MENU_ID, linkUrl: 'https://t.example/page.php?x=a.torrent?y' }, tab, castLink), false);
    assert.equal(handleMenuClick({ menuItemId: MENU_ID, linkUrl: 'javascript:void(0)' }, tab, castLink), false);
    assert.equal(handleMenuClick({ menuItemId: 'other', linkUrl: 'magnet:?xt=urn:btih:abc' }, tab, castLink), false);
    assert.deepEqual(cast, [
      ['magnet:?xt=urn:btih:abc', 7],
      ['https://t.example/private/file.torrent?key=1', 7],
    ]);
  });

  it('in Chrome, shows "Cast torrent" on magnet and .torrent links by pattern', async () => {
    const menus = fakeMenus({ dynamic: false });
    const cast = [];
    registerContextMenu(menus, (url) => cast.push(url));
    await flush();
    assert.deepEqual(menus.created, [{ id: MENU_ID, title: 'Cast torrent', contexts: ['link'], targetUrlPatterns: [...CHROME_TARGET_PATTERNS] }]);
    menus.onClicked.fire({ menuItemId: MENU_ID, linkUrl: 'magnet:?xt=urn:btih:abc' }, { id: 1 });
    assert.deepEqual(cast, ['magnet:?xt=urn:btih:abc']);
  });

  it('in Firefox, shows the item only on castable links (no magnet: patterns there)', async () => {
    const menus = fakeMenus({ dynamic: true });
    registerContextMenu(menus, () => {});
    await flush();
    assert.equal(menus.created[0].targetUrlPatterns, undefined);
    menus.onShown.fire({ menuIds: [MENU_ID], linkUrl: 'https://example.org/' });
    menus.onShown.fire({ menuIds: [MENU_ID], linkUrl: 'magnet:?xt=urn:btih:abc' });
    menus.onShown.fire({ menuIds: [], linkUrl: 'magnet:?xt=urn:btih:abc' });
    assert.deepEqual(menus.updates, [
      [MENU_ID, { visible: false }],
      [MENU_ID, { visible: true }],
    ]);
    assert.equal(menus.refreshed, 2);
  });
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { describe, it } from 'node:test';

import { renderIcon } from '../build/icons.mjs';
import { CHROME_ID, FIREFOX_ID, excludedFor, manifestFor } from '../build/manifest.mjs';

const KEY = readFileSync(new URL('../manifest-key.txt', import.meta.url), 'utf8').trim();
/** Where `magnetcast install` lists the extension ids its host manifests allow. */
const INSTALL_RS = readFileSync(new URL('../../native-host/src/install.rs', import.meta.url), 'utf8');
const chrome = manifestFor('chrome', { version: '1.2.3', chromeKey: KEY });
const firefox = manifestFor('firefox', { version: '1.2.3', chromeKey: KEY });

/** Chrome's id: the first 128 bits of SHA-256 of the public key, hex digits 0-f written a-p. */
function chromeIdFromKey(base64) {
  const hex = createHash('sha256').update(Buffer.from(base64, 'base64')).digest('hex').slice(0, 32);
  return [...hex].map((c) => String.fromCharCode('a'.charCodeAt(0) + parseInt(c, 16))).join('');
}

describe('manifests', () => {
  it('Chrome: MV3 service worker, with the key that pins the allowed id', () => {
    assert.equal(chrome.manifest_version, 3);
    assert.deepEqual(chrome.background, { service_worker: 'background/main.js', type: 'module' });
    assert.equal(chrome.key, KEY);
    assert.equal(chromeIdFromKey(chrome.key), CHROME_ID);
    assert.match(INSTALL_RS, new RegExp(`CHROME_EXTENSION_IDS: &\\[&str\\] = &\\[[^\\]]*"${CHROME_ID}"`), 'magnetcast install allows the Chrome id');
    assert.equal(chrome.protocol_handlers, undefined);
    assert.equal(chrome.browser_specific_settings, undefined);
    assert.deepEqual(excludedFor('chrome'), ['handler.html', 'handler/']);
  });

  it('Firefox: background scripts, the add-on id and a magnet protocol handler', () => {
    assert.deepEqual(firefox.background, { scripts: ['background/main.js'], type: 'module' });
    assert.equal(firefox.browser_specific_settings.gecko.id, FIREFOX_ID);
    assert.match(INSTALL_RS, new RegExp(`FIREFOX_ADDON_ID: &str = "${FIREFOX_ID.replaceAll('.', '\\.')}";`), 'magnetcast install allows the Firefox id');
    assert.equal(firefox.key, undefined);
    assert.deepEqual(firefox.protocol_handlers, [{ protocol: 'magnet', name: 'magnetcast', uriTemplate: '/handler.html?uri=%s' }]);
  });

  it('ask for no more than the extension uses', () => {
    assert.deepEqual(chrome.permissions.sort(), ['contextMenus', 'nativeMessaging', 'notifications', 'storage']);
    assert.deepEqual(firefox.permissions.sort(), ['menus', 'nativeMessaging', 'notifications', 'storage']);
    for (const m of [chrome, firefox]) {
      assert.deepEqual(m.host_permissions, ['http://*/*', 'https://*/*']);
      assert.equal(m.optional_permissions, undefined);
    }
  });

  it('the content script runs early in every frame', () => {
    for (const m of [chrome, firefox]) {
      assert.deepEqual(m.content_scripts, [
        { matches: ['http://*/*', 'https://*/*'], js: ['content/catch-magnets.js'], all_frames: true, match_about_blank: true, run_at: 'document_start' },
      ]);
    }
  });

  it('both share everything else', () => {
    const strip = ({ background, key, minimum_chrome_version, browser_specific_settings, protocol_handlers, permissions, ...rest }) => rest;
    assert.deepEqual(strip(chrome), strip(firefox));
    assert.equal(chrome.version, '1.2.3');
    assert.equal(chrome.action.default_popup, 'popup.html');
    assert.equal(chrome.options_ui.page, 'options.html');
  });

  it('refuses unknown targets', () => {
    assert.throws(() => manifestFor('safari', { version: '1', chromeKey: KEY }), /unknown target/);
  });
});

describe('icons', () => {
  it('are real PNGs of the requested size', () => {
    const png = renderIcon(16);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.equal(png.readUInt32BE(16), 16);
    assert.equal(png.readUInt32BE(20), 16);
    const idatLength = png.readUInt32BE(33);
    assert.equal(png.subarray(37, 41).toString('ascii'), 'IDAT');
    const raw = inflateSync(png.subarray(41, 41 + idatLength));
    assert.equal(raw.length, 16 * (16 * 4 + 1));
    // Corners are transparent (rounded tile), the centre of the top edge is not.
    assert.equal(raw[1 + 3], 0);
    assert.equal(raw[1 + 8 * 4 + 3 + 2 * (16 * 4 + 1)], 255);
  });
});

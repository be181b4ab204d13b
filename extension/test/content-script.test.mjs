// Runs the real content script file in jsdom and clicks at it. jsdom marks events dispatched by
// page script as untrusted, like a browser; `trustedClick` dispatches the way jsdom's own user
// agent code does, so the script sees isTrusted === true as it would for a real click.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';

import { JSDOM, VirtualConsole } from 'jsdom';

import { FakeEvent, flush } from './helpers/fakes.mjs';
import { CAST_LINK, STORAGE_KEYS } from '../src/lib/messages.js';
import { MAX_MAGNET_LENGTH } from '../src/lib/links.js';

const require = createRequire(import.meta.url);
const jsdomUtils = require('jsdom/lib/jsdom/living/generated/utils.js');

const SCRIPT = readFileSync(new URL('../src/content/catch-magnets.js', import.meta.url), 'utf8');
const MAGNET = 'magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056&dn=Film';

function page(html, { stored = {}, runtimeId = 'ext-id' } = {}) {
  // A click the script lets through makes jsdom try to follow the link, which it cannot do.
  const virtualConsole = new VirtualConsole();
  virtualConsole.on('jsdomError', (e) => {
    if (!/navigation to another Document/.test(e.message)) console.error(e);
  });
  const dom = new JSDOM(`<!doctype html><body>${html}</body>`, { runScripts: 'outside-only', url: 'https://site.example/', virtualConsole });
  const sent = [];
  const onChanged = new FakeEvent();
  dom.window.chrome = {
    runtime: {
      id: runtimeId,
      sendMessage: async (message) => {
        sent.push(message);
        return { ok: true };
      },
    },
    storage: { local: { get: async (key) => ({ [key]: stored[key] }) }, onChanged },
  };
  dom.window.eval(SCRIPT);
  return { dom, window: dom.window, document: dom.window.document, sent, onChanged };
}

function trustedClick(window, target, init = {}) {
  const event = new window.MouseEvent('click', { bubbles: true, cancelable: true, composed: true, button: 0, ...init });
  jsdomUtils.implForWrapper(event).isTrusted = true;
  jsdomUtils.implForWrapper(target)._dispatch(jsdomUtils.implForWrapper(event));
  return event;
}

describe('content script', () => {
  it('repeats the shared constants exactly', () => {
    assert.ok(SCRIPT.includes(`const CAST_LINK = '${CAST_LINK}';`));
    assert.ok(SCRIPT.includes(`const CATCH_KEY = '${STORAGE_KEYS.catchClicks}';`));
    assert.ok(SCRIPT.includes(`const MAX_MAGNET_LENGTH = 16 * 1024;`) && MAX_MAGNET_LENGTH === 16 * 1024);
  });

  it('casts a trusted primary click on a magnet link instead of opening it', async () => {
    const p = page(`<a id="m" href="${MAGNET}">Film</a>`);
    await flush();
    const event = trustedClick(p.window, p.document.getElementById('m'));
    assert.equal(event.defaultPrevented, true);
    // The message was built in the page's realm: compare its data, not its prototype.
    assert.deepEqual(JSON.parse(JSON.stringify(p.sent)), [{ type: CAST_LINK, url: MAGNET }]);
  });

  it('catches clicks on elements inside the link', async () => {
    const p = page(`<a href="${MAGNET}"><span><b id="inner">Film</b></span></a>`);
    await flush();
    assert.equal(trustedClick(p.window, p.document.getElementById('inner')).defaultPrevented, true);
    assert.equal(p.sent.length, 1);
  });

  it('catches links added after the page loaded', async () => {
    const p = page('<div id="list"></div>');
    await flush();
    p.document.getElementById('list').innerHTML = `<a id="late" href="${MAGNET}">later</a>`;
    trustedClick(p.window, p.document.getElementById('late'));
    assert.equal(p.sent.length, 1);
  });

  it('leaves untrusted (script-made) clicks alone', async () => {
    const p = page(`<a id="m" href="${MAGNET}">Film</a>`);
    await flush();
    const event = new p.window.MouseEvent('click', { bubbles: true, cancelable: true, button: 0 });
    p.document.getElementById('m').dispatchEvent(event);
    assert.equal(event.defaultPrevented, false);
    assert.deepEqual(p.sent, []);
  });

  for (const modifier of ['ctrlKey', 'metaKey', 'shiftKey', 'altKey']) {
    it(`lets a click with ${modifier} through`, async () => {
      const p = page(`<a id="m" href="${MAGNET}">Film</a>`);
      await flush();
      assert.equal(trustedClick(p.window, p.document.getElementById('m'), { [modifier]: true }).defaultPrevented, false);
      assert.deepEqual(p.sent, []);
    });
  }

  it('lets non-primary buttons through', async () => {
    const p = page(`<a id="m" href="${MAGNET}">Film</a>`);
    await flush();
    assert.equal(trustedClick(p.window, p.document.getElementById('m'), { button: 1 }).defaultPrevented, false);
    assert.deepEqual(p.sent, []);
  });

  it('ignores other links and text', async () => {
    const p = page(`<a id="web" href="https://example.org/">web</a><a id="t" href="/f.torrent">t</a><a id="bare" href="magnet:">bare</a><p id="text">text</p><a id="huge" href="magnet:?xt=${'a'.repeat(MAX_MAGNET_LENGTH)}">huge</a>`);
    await flush();
    for (const id of ['web', 't', 'bare', 'text', 'huge']) {
      assert.equal(trustedClick(p.window, p.document.getElementById(id)).defaultPrevented, false, id);
    }
    assert.deepEqual(p.sent, []);
  });

  it('does not take a click the page already handled', async () => {
    const p = page(`<a id="m" href="${MAGNET}">Film</a>`);
    await flush();
    p.window.addEventListener('click', (e) => e.preventDefault(), true);
    trustedClick(p.window, p.document.getElementById('m'));
    assert.deepEqual(p.sent, []);
  });

  it('can be turned off in storage, and back on live', async () => {
    const p = page(`<a id="m" href="${MAGNET}">Film</a>`, { stored: { [STORAGE_KEYS.catchClicks]: false } });
    await flush();
    assert.equal(trustedClick(p.window, p.document.getElementById('m')).defaultPrevented, false);
    p.onChanged.fire({ [STORAGE_KEYS.catchClicks]: { oldValue: false, newValue: true } }, 'local');
    assert.equal(trustedClick(p.window, p.document.getElementById('m')).defaultPrevented, true);
    p.onChanged.fire({ [STORAGE_KEYS.catchClicks]: { oldValue: true, newValue: false } }, 'sync');
    assert.equal(trustedClick(p.window, p.document.getElementById('m')).defaultPrevented, true, 'other storage areas do not count');
    p.onChanged.fire({ [STORAGE_KEYS.catchClicks]: { oldValue: true, newValue: false } }, 'local');
    assert.equal(trustedClick(p.window, p.document.getElementById('m')).defaultPrevented, false);
    assert.equal(p.sent.length, 2);
  });

  it('lets the browser have the click once the extension is gone (reloaded)', async () => {
    const p = page(`<a id="m" href="${MAGNET}">Film</a>`, { runtimeId: null });
    await flush();
    assert.equal(trustedClick(p.window, p.document.getElementById('m')).defaultPrevented, false);
  });
});

// The options page's real HTML and script in jsdom, with the background played by hand over a
// fake runtime port.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { JSDOM } from 'jsdom';

import { FakeEvent, flush } from './helpers/fakes.mjs';
import { protocolValidators } from './helpers/schema.mjs';
import { request } from '../src/lib/protocol.js';

const HTML = readFileSync(new URL('../src/options.html', import.meta.url), 'utf8');
const v = protocolValidators();

const SETTINGS = {
  download_dir: '/home/ann/Downloads/magnetcast',
  default_device: 'Living Room TV',
  bind_interface: null,
  stream_host: null,
  seed_ratio: 2,
  seed_time_secs: 100,
  download_limit: 400000,
  upload_limit: null,
  cache_dir: null,
  cache_limit: null,
  stay_awake: true,
  subtitle_language: null,
  audio_passthrough: false,
};
const CACHE = { dir: '/home/ann/.cache/magnetcast/torrents', used: 1_234_000_000, limit: 20 * 2 ** 30, torrents: 2 };
const TV = { name: 'Living Room TV', model: 'Chromecast', id: 'a', addr: '10.0.0.2:8009', group: false };

/** Loads options.html and runs options.js against it; `answer(method, args)` plays the background. */
async function optionsPage(answer) {
  const dom = new JSDOM(HTML, { url: 'chrome-extension://phdoiealkcpenjnalbnfnaihbekbpehd/options.html' });
  const ports = [];
  const calls = [];
  globalThis.document = dom.window.document;
  // lib/browser.js reads this once, when first imported.
  globalThis.chrome ??= {};
  globalThis.chrome.runtime = {
    connect({ name }) {
      const port = {
        name,
        onMessage: new FakeEvent(),
        onDisconnect: new FakeEvent(),
        postMessage(m) {
          calls.push([m.method, ...m.args]);
          if (m.method === 'send') assert.ok(v.request(request(1, m.args[0])), v.errors(v.request));
          Promise.resolve()
            .then(() => answer(m.method, m.args))
            .then(
              (value) => port.onMessage.fire({ type: 'result', id: m.id, ok: true, value }),
              (e) => port.onMessage.fire({ type: 'result', id: m.id, ok: false, error: { code: 'error', message: e.message } }),
            );
        },
        disconnect() {},
      };
      ports.push(port);
      return port;
    },
  };
  globalThis.chrome.storage = { local: { get: async () => ({}), set: async () => {} } };
  // A fresh evaluation of the page script for every page.
  await import(`../src/options/options.js?page=${Math.random()}`);
  const $ = (id) => dom.window.document.getElementById(id);
  const push = (state) => ports.at(-1).onMessage.fire({ type: 'state', state });
  const submit = async () => {
    $('settings-form').dispatchEvent(new dom.window.Event('submit', { cancelable: true }));
    await flush();
    await flush();
  };
  return { dom, $, calls, push, submit };
}

function hostState(state, patch = {}) {
  return { host: { state, message: null, attempts: 1, retryAt: null, trying: false }, devices: [], ...patch };
}

function daemon(method, [body] = []) {
  if (method === 'send' && body.cmd === 'settings_get') return SETTINGS;
  if (method === 'send' && body.cmd === 'interfaces') return { interfaces: [{ name: 'wg0', addresses: ['10.8.0.2'] }] };
  if (method === 'send' && body.cmd === 'settings_set') return { ...SETTINGS, ...body.settings };
  if (method === 'send' && body.cmd === 'status') return { torrents: [], casts: [], cache: CACHE };
  return null;
}

describe('options page', () => {
  it('says why the daemon settings are unavailable, in the popup\'s words', async () => {
    const p = await optionsPage(daemon);
    p.push(hostState('not_installed'));
    assert.equal(p.$('daemon-status').textContent, 'magnetcast is not installed: run `magnetcast install`, then reopen this page.');
    assert.equal(p.$('daemon-status').dataset.kind, 'error');
    assert.equal(p.$('daemon-fields').disabled, true);
    p.push(hostState('connecting'));
    assert.equal(p.$('daemon-status').textContent, 'Connecting to magnetcast…');
    assert.equal(p.$('daemon-status').dataset.kind, '');
    p.push(hostState('disconnected', { host: { state: 'disconnected', message: 'magnetcast did not answer' } }));
    assert.equal(p.$('daemon-status').textContent, 'Not connected to magnetcast: magnetcast did not answer.');
  });

  it('fills every field from settings_get, caps in kB/s, minutes with decimals', async () => {
    const p = await optionsPage(daemon);
    p.push(hostState('connected'));
    await flush();
    await flush();
    assert.equal(p.$('daemon-fields').disabled, false);
    const values = Object.fromEntries([...p.$('settings-form').elements].filter((e) => e.name).map((e) => [e.name, e.type === 'checkbox' ? e.checked : e.value]));
    assert.deepEqual(values, {
      download_dir: '/home/ann/Downloads/magnetcast',
      default_device: 'Living Room TV',
      seed_ratio: '2',
      seed_time_minutes: '1.67',
      download_limit_kbs: '400',
      upload_limit_kbs: '',
      bind_interface: '',
      stream_host: '',
      cache_limit_gb: '',
      cache_dir: '',
      stay_awake: true,
      subtitle_language: '',
      audio_passthrough: false,
    });
    assert.equal(p.$('seed-time').validity.stepMismatch, false, '1.67 minutes is a valid value');
    assert.deepEqual(p.calls.map((c) => c[1]?.cmd ?? c[0]), ['settings_get', 'interfaces', 'status', 'discoverDevices']);
    assert.equal(p.$('cache-usage').hidden, false);
    assert.equal(p.$('cache-usage').textContent, 'Cache: 1.2 GB of 21.5 GB (2 torrents) in /home/ann/.cache/magnetcast/torrents');
  });

  it('rebuilds the device list only when the devices change', async () => {
    const p = await optionsPage(daemon);
    p.push(hostState('connecting', { devices: [TV] }));
    const [first] = p.$('device-list').options;
    assert.equal(first.value, 'Living Room TV');
    assert.equal(first.label, 'Living Room TV (Chromecast)');
    p.push(hostState('connecting', { devices: [{ ...TV }] }));
    assert.equal(p.$('device-list').options[0], first, 'same option element');
    p.push(hostState('connecting', { devices: [TV, { ...TV, name: 'Kitchen', model: null }] }));
    assert.deepEqual([...p.$('device-list').options].map((o) => o.label), ['Living Room TV (Chromecast)', 'Kitchen']);
    assert.notEqual(p.$('device-list').options[0], first);
  });

  it('marks bad fields and sends nothing; sends only what changed', async () => {
    const p = await optionsPage(daemon);
    p.push(hostState('connected'));
    await flush();
    await flush();
    p.$('seed-ratio').value = '-1';
    p.$('upload-limit').value = '-5';
    await p.submit();
    assert.equal(p.$('seed-ratio-error').textContent, 'Enter a ratio such as 1.5 (0 = do not seed), or leave it empty for no limit.');
    assert.equal(p.$('seed-ratio').getAttribute('aria-invalid'), 'true');
    assert.match(p.$('upload-limit-error').textContent, /kB\/s/);
    assert.equal(p.$('seed-time').getAttribute('aria-invalid'), 'false');
    assert.equal(p.dom.window.document.activeElement, p.$('seed-ratio'));
    assert.equal(p.$('save-status').textContent, 'Fix the marked fields.');
    assert.ok(!p.calls.some((c) => c[1]?.cmd === 'settings_set'));

    p.$('seed-ratio').value = '2';
    p.$('upload-limit').value = '';
    await p.submit();
    assert.equal(p.$('save-status').textContent, 'Nothing changed.');
    assert.equal(p.$('seed-ratio-error').textContent, '');

    p.$('download-limit').value = '';
    p.$('upload-limit').value = '1.5';
    await p.submit();
    assert.deepEqual(p.calls.filter((c) => c[1]?.cmd === 'settings_set').map((c) => c[1].settings), [{ download_limit: null, upload_limit: 1500 }]);
    assert.equal(p.$('save-status').textContent, 'Saved.');
    assert.equal(p.$('upload-limit').value, '1.5');
  });

  it('saves the cache limit in bytes, the cache folder and staying awake, and shows the new limit', async () => {
    let limit = null;
    const p = await optionsPage((method, args) => {
      const [body] = args;
      if (method === 'send' && body.cmd === 'settings_set') limit = body.settings.cache_limit ?? limit;
      if (method === 'send' && body.cmd === 'status') return { torrents: [], casts: [], cache: { ...CACHE, limit: limit ?? CACHE.limit } };
      return daemon(method, args);
    });
    p.push(hostState('connected'));
    await flush();
    await flush();
    p.$('cache-limit').value = '0';
    await p.submit();
    assert.match(p.$('cache-limit-error').textContent, /size in GB/);
    assert.equal(p.$('cache-limit').getAttribute('aria-invalid'), 'true');
    assert.ok(!p.calls.some((c) => c[1]?.cmd === 'settings_set'));

    p.$('cache-limit').value = '2.5';
    p.$('cache-dir').value = ' /media/cache ';
    p.$('stay-awake').checked = false;
    await p.submit();
    await flush();
    assert.deepEqual(p.calls.filter((c) => c[1]?.cmd === 'settings_set').map((c) => c[1].settings), [
      { cache_dir: '/media/cache', cache_limit: 2_500_000_000, stay_awake: false },
    ]);
    assert.equal(p.$('save-status').textContent, 'Saved.');
    assert.equal(p.$('cache-limit').value, '2.5');
    assert.equal(p.$('cache-dir').value, '/media/cache');
    assert.equal(p.$('stay-awake').checked, false);
    assert.equal(p.$('cache-usage').textContent, 'Cache: 1.2 GB of 2.5 GB (2 torrents) in /home/ann/.cache/magnetcast/torrents');

    p.$('cache-limit').value = '';
    p.$('stay-awake').checked = true;
    await p.submit();
    assert.deepEqual(p.calls.filter((c) => c[1]?.cmd === 'settings_set').at(-1)[1].settings, { cache_limit: null, stay_awake: true });
  });

  it('saves the subtitle language (empty = off) and audio passthrough through settings_set', async () => {
    const p = await optionsPage(daemon);
    p.push(hostState('connected'));
    await flush();
    await flush();
    const label = (id) => p.dom.window.document.querySelector(`label[for="${id}"]`).textContent;
    assert.equal(label('subtitle-language'), 'Subtitle language');
    assert.equal(label('audio-passthrough'), 'TV decodes AC-3/E-AC-3 over HDMI (passthrough)');
    assert.equal(p.$('audio-passthrough').type, 'checkbox');
    assert.equal(p.$('audio-passthrough').checked, false);
    p.$('subtitle-language').value = ' fr ';
    p.$('audio-passthrough').checked = true;
    await p.submit();
    const sets = () => p.calls.filter((c) => c[1]?.cmd === 'settings_set').map((c) => c[1].settings);
    assert.deepEqual(sets(), [{ subtitle_language: 'fr', audio_passthrough: true }]);
    assert.equal(p.$('save-status').textContent, 'Saved.');
    assert.equal(p.$('subtitle-language').value, 'fr');
    assert.equal(p.$('audio-passthrough').checked, true);
    p.$('subtitle-language').value = '';
    await p.submit();
    assert.deepEqual(sets().at(-1), { subtitle_language: null });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { FakeEvent, FakeNotifications, ScriptedPort, flush } from './helpers/fakes.mjs';
import { HASH, bare, described, events, played } from './helpers/fixtures.mjs';
import { createCaster } from '../src/background/cast-link.js';
import { Notifier } from '../src/background/notify.js';
import { StateStore } from '../src/background/store.js';
import { createUiMethods, serveUi } from '../src/background/ui-bridge.js';
import { CAST_LINK, STORAGE_KEYS, UI_PORT } from '../src/lib/messages.js';
import { commands } from '../src/lib/protocol.js';

const EXT = 'chrome-extension://phdoiealkcpenjnalbnfnaihbekbpehd/';

/** The real caster over a scripted daemon; `casts` records every castLink call as [url, tab id]. */
function setup(handlers = {}) {
  const store = new StateStore();
  const port = new ScriptedPort({
    settings_get: () => ({ default_device: 'Kitchen', seed_ratio: null }),
    settings_set: (b) => ({ default_device: null, ...b.settings }),
    stop: () => ({ device: 'Living Room TV' }),
    play: (b) => ({ device: b.device, stream_url: 'http://h/s/t/f.mp4' }),
    devices: () => ({ devices: [{ name: 'Kitchen', model: null, id: null, addr: '10.0.0.2:8009', group: false }] }),
    add: (b) => {
      if (b.source.includes('bad')) throw new Error('invalid magnet link');
      return { name: 'Film', cast: { device: 'TV' } };
    },
    ...handlers,
  });
  const saved = {};
  const storage = { set: async (o) => Object.assign(saved, o) };
  const notifier = new Notifier({ notifications: new FakeNotifications(), iconUrl: 'icon.png' });
  const caster = createCaster({ port, store, notifier });
  const casts = [];
  const castLink = caster.castLink;
  caster.castLink = (url, tab) => {
    casts.push([url, tab?.id]);
    return castLink(url, tab);
  };
  const reconnects = [];
  port.reconnectNow = () => reconnects.push(1);
  const methods = createUiMethods({ port, store, caster, storage });
  return { store, port, saved, casts, methods, reconnects };
}

describe('ui methods', () => {
  it('forward known commands and keep the state in step with their results', async () => {
    const s = setup();
    await s.methods.send(commands.settingsGet());
    assert.equal(s.store.defaultDevice, 'Kitchen');
    await s.methods.send(commands.settingsSet({ default_device: null }));
    assert.equal(s.store.defaultDevice, null);
    s.store.applyEvent(events.cast());
    await s.methods.send(commands.stop({ device: 'Living Room TV' }));
    assert.deepEqual(s.store.snapshot().casts, []);
    await assert.rejects(s.methods.send({ cmd: 'shutdown' }), /unknown command shutdown/);
  });

  it('give each command a timeout that fits what it waits for', async () => {
    const s = setup({ add: () => ({}), list: () => ({}), keep: (b) => ({ torrent: b.torrent, path: '/d/film.mp4', moving: false }) });
    await s.methods.send(commands.add({ source: 'magnet:?xt=urn:btih:abc' }));
    await s.methods.send(commands.keep({ torrent: 'abc' }));
    await s.methods.send(commands.devices({ timeoutSecs: 5 }));
    await s.methods.send(commands.list());
    s.store.setChosenDevice('TV');
    await s.methods.playTorrent('abc');
    await s.methods.discoverDevices();
    assert.deepEqual(s.port.requests.map((r) => [r.body.cmd, r.timeoutMs]), [
      ['add', 150_000],
      ['keep', 300_000],
      ['devices', 15_000],
      ['list', 15_000],
      ['play', 75_000],
      ['devices', 13_000],
    ]);
  });

  it('remember the device choice in storage; empty means automatic', async () => {
    const s = setup();
    assert.equal(await s.methods.chooseDevice(' 192.168.1.40 '), '192.168.1.40');
    assert.deepEqual(s.saved, { [STORAGE_KEYS.device]: '192.168.1.40' });
    assert.equal(s.store.chosenDevice, '192.168.1.40');
    assert.equal(await s.methods.chooseDevice(''), null);
    assert.equal(s.saved[STORAGE_KEYS.device], null);
  });

  it('play a torrent on the device a new cast would use', async () => {
    const s = setup();
    s.store.setSettings({ default_device: 'Kitchen' });
    await s.methods.playTorrent('abc');
    assert.deepEqual(s.port.requests.at(-1).body, { cmd: 'play', torrent: 'abc', device: 'Kitchen' });
    const none = setup({ devices: () => ({ devices: [] }) });
    none.store.setSettings({});
    await assert.rejects(none.methods.playTorrent('abc'), /No Cast device found: .*or use Play here/);
    assert.deepEqual(none.port.requests.map((r) => r.body.cmd), ['devices'], 'looked for a device first');
  });

  it('keep what play answered (the stream, where it resumed) until a seek', async () => {
    const s = setup({ play: (b) => ({ ...played, device: b.device }), seek: (b) => ({ device: b.device ?? 'Living Room TV' }) });
    s.store.applyDescribed(described);
    s.store.setChosenDevice('Living Room TV');
    await s.methods.playTorrent(HASH);
    s.store.applyEvent(events.convertedCast());
    assert.deepEqual([s.store.snapshot().casts[0].torrent, s.store.snapshot().casts[0].resumedAt], [HASH, 754]);
    // Start over.
    await s.methods.send(commands.seek({ seconds: 0, device: 'Living Room TV' }));
    assert.equal(s.store.snapshot().casts[0].resumedAt, null);
    // A play the popup sends itself counts the same; a seek without a device ends every offer.
    await s.methods.send(commands.play({ torrent: HASH, device: 'Living Room TV', subtitles: 2 }));
    assert.equal(s.store.snapshot().casts[0].resumedAt, 754);
    await s.methods.send(commands.seek({ by: 30 }));
    assert.equal(s.store.snapshot().casts[0].resumedAt, null);
  });

  it('reconnect and dismiss', () => {
    const s = setup();
    s.methods.reconnect();
    assert.equal(s.reconnects.length, 1);
    s.store.setError('x');
    s.methods.dismissError();
    assert.equal(s.store.snapshot().error, null);
  });
});

function fakeRuntime() {
  return {
    id: 'phdoiealkcpenjnalbnfnaihbekbpehd',
    getURL: (path) => EXT + path,
    onConnect: new FakeEvent(),
    onMessage: new FakeEvent(),
  };
}

function fakeUiPort(sender, name = UI_PORT) {
  return {
    name,
    sender,
    posted: [],
    disconnected: false,
    onMessage: new FakeEvent(),
    onDisconnect: new FakeEvent(),
    postMessage(m) {
      this.posted.push(structuredClone(m));
    },
    disconnect() {
      this.disconnected = true;
    },
  };
}

describe('serveUi', () => {
  it('pushes the state to extension pages, at most every 100 ms, and answers their calls', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const s = setup();
    const runtime = fakeRuntime();
    serveUi({ runtime, store: s.store, methods: s.methods });
    const page = fakeUiPort({ id: runtime.id, url: `${EXT}popup.html` });
    runtime.onConnect.fire(page);
    assert.equal(page.posted[0].type, 'state');
    page.onMessage.fire({ type: 'call', id: 1, method: 'send', args: [commands.settingsGet()] });
    page.onMessage.fire({ type: 'call', id: 2, method: 'send', args: [{ cmd: 'nope' }] });
    page.onMessage.fire({ type: 'call', id: 3, method: 'constructor', args: [] });
    await flush();
    const results = page.posted.filter((m) => m.type === 'result').sort((a, b) => a.id - b.id);
    assert.deepEqual(results.map((r) => [r.id, r.ok]), [[1, true], [2, false]]);
    assert.equal(results[1].error.message, 'unknown command nope');

    // settings_get changed the state too: both changes go out in one push, 100 ms after the first.
    const states = () => page.posted.filter((m) => m.type === 'state');
    s.store.applyStatus({ torrents: [bare(events.progress())], casts: [] });
    t.mock.timers.tick(99);
    assert.equal(states().length, 1);
    t.mock.timers.tick(1);
    assert.equal(states().length, 2);
    assert.equal(states().at(-1).state.torrents.length, 1);
    assert.equal(states().at(-1).state.defaultDevice, 'Kitchen');
    page.onDisconnect.fire();
    s.store.clearError();
    s.store.setError('after the page closed');
    t.mock.timers.tick(1000);
    assert.equal(states().length, 2, 'nothing is pushed to a closed page');
  });

  it('turns away content scripts and other extensions', () => {
    const s = setup();
    const runtime = fakeRuntime();
    serveUi({ runtime, store: s.store, methods: s.methods });
    const contentScript = fakeUiPort({ id: runtime.id, url: 'https://evil.example/', tab: { id: 1 } });
    runtime.onConnect.fire(contentScript);
    assert.equal(contentScript.disconnected, true);
    assert.deepEqual(contentScript.posted, []);
    const other = fakeUiPort({ id: 'someone-else', url: 'chrome-extension://someone-else/x.html' });
    runtime.onConnect.fire(other);
    assert.equal(other.disconnected, true);
  });

  it('casts links sent by the content script and answers with the outcome', async (t) => {
    const warn = t.mock.method(console, 'warn', () => {});
    const s = setup();
    const runtime = fakeRuntime();
    serveUi({ runtime, store: s.store, methods: s.methods });
    const replies = [];
    const [keepOpen] = runtime.onMessage.fire({ type: CAST_LINK, url: 'magnet:?xt=urn:btih:abc' }, { id: runtime.id, tab: { id: 9 } }, (r) => replies.push(r));
    assert.equal(keepOpen, true);
    runtime.onMessage.fire({ type: CAST_LINK, url: 'magnet:?bad' }, { id: runtime.id, tab: { id: 9 } }, (r) => replies.push(r));
    const [ignored] = runtime.onMessage.fire({ type: CAST_LINK, url: 'magnet:?x' }, { id: 'other-extension' }, (r) => replies.push(r));
    assert.equal(ignored, false);
    await flush();
    assert.deepEqual(s.casts, [['magnet:?xt=urn:btih:abc', 9], ['magnet:?bad', 9]]);
    assert.deepEqual(replies, [{ ok: true, name: 'Film', device: 'TV' }, { ok: false, error: 'invalid magnet link' }]);
    assert.equal(s.store.snapshot().error.message, 'invalid magnet link');
    assert.deepEqual(warn.mock.calls.map((c) => c.arguments), [['magnetcast: cast from tab 9 failed:', 'invalid magnet link']]);
  });
});

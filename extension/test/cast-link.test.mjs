import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { FakeNotifications, ScriptedPort, flush } from './helpers/fakes.mjs';
import { described, events, played } from './helpers/fixtures.mjs';
import { protocolValidators } from './helpers/schema.mjs';
import { createCaster } from '../src/background/cast-link.js';
import { chooseDevice } from '../src/background/devices.js';
import { Notifier } from '../src/background/notify.js';
import { StateStore } from '../src/background/store.js';
import { request } from '../src/lib/protocol.js';

const v = protocolValidators();
const MAGNET = 'magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056&dn=Film';
const TORRENT_URL = 'https://tracker.example/private/film.torrent';
const TORRENT_BYTES = new TextEncoder().encode('d4:infod4:name4:Filmee');
const TV = { name: 'Living Room TV', model: 'Chromecast', id: 'abc', addr: '192.168.1.40:8009', group: false };

function setup({ devices = [TV], settings = { default_device: null }, add = () => ({ ...described, cast: { device: 'Living Room TV', stream_url: described.stream_url } }), fetchTorrent, ready } = {}) {
  const store = new StateStore();
  const notifications = new FakeNotifications();
  const port = new ScriptedPort({ add, devices: () => ({ devices }), settings_get: () => settings });
  const notifier = new Notifier({ notifications, iconUrl: 'icon.png' });
  const fetched = [];
  const caster = createCaster({
    port,
    store,
    notifier,
    ready,
    fetchTorrent: fetchTorrent ?? (async (url) => {
      fetched.push(url);
      return TORRENT_BYTES;
    }),
  });
  return { store, port, notifications, caster, fetched };
}

function sentAdd(port) {
  const add = port.requests.find((r) => r.body.cmd === 'add');
  assert.ok(add, 'an add request was sent');
  const message = request(1, add.body);
  assert.ok(v.request(message), v.errors(v.request));
  return add;
}

describe('chooseDevice', () => {
  const discover = async () => [TV, { ...TV, name: 'Kitchen' }];
  it('prefers the popup choice, then default_device, then the first device found', async () => {
    assert.deepEqual(await chooseDevice({ chosen: '10.0.0.5:8009', defaultDevice: 'Kitchen', discover }), { device: '10.0.0.5:8009', source: 'chosen' });
    assert.deepEqual(await chooseDevice({ chosen: null, defaultDevice: 'Kitchen', discover }), { device: 'Kitchen', source: 'default' });
    assert.deepEqual(await chooseDevice({ chosen: null, defaultDevice: null, discover }), { device: 'Living Room TV', source: 'discovered' });
    assert.deepEqual(await chooseDevice({ chosen: null, defaultDevice: null, discover: async () => [] }), { device: null, source: 'none' });
    assert.deepEqual(await chooseDevice({ chosen: null, defaultDevice: null, discover: async () => { throw new Error('mdns'); } }), { device: null, source: 'none' });
  });
});

describe('castLink', () => {
  it('adds a magnet and casts it to the chosen device in one request', async () => {
    const s = setup();
    s.store.setChosenDevice('Living Room TV');
    const result = await s.caster.castLink(MAGNET, { id: 3 });
    assert.equal(result.torrent, described.torrent);
    const add = sentAdd(s.port);
    assert.deepEqual(add.body, { cmd: 'add', source: MAGNET, device: 'Living Room TV' });
    // add waits for the magnet's metadata, then the device: far longer than the usual 15 s.
    assert.equal(add.timeoutMs, 150_000);
    assert.equal(s.port.requests.filter((r) => r.body.cmd === 'devices').length, 0, 'no discovery when a device is chosen');
    assert.equal(s.store.snapshot().torrents[0].name, 'Film');
    assert.deepEqual(s.store.snapshot().pending, []);
  });

  it('uses the daemon\'s default_device when nothing was chosen', async () => {
    const s = setup();
    s.store.setSettings({ default_device: '192.168.1.50' });
    await s.caster.castLink(MAGNET);
    assert.equal(sentAdd(s.port).body.device, '192.168.1.50');
    assert.deepEqual(s.port.requests.map((r) => r.body.cmd), ['add']);
  });

  it('asks the daemon for default_device when it is not known yet', async () => {
    const s = setup({ settings: { default_device: 'Kitchen' } });
    await s.caster.castLink(MAGNET);
    assert.deepEqual(s.port.requests.map((r) => r.body.cmd), ['settings_get', 'add']);
    assert.equal(sentAdd(s.port).body.device, 'Kitchen');
  });

  it('waits for the saved device choice before picking one', async () => {
    let loaded;
    const ready = new Promise((resolve) => (loaded = resolve));
    const s = setup({ ready });
    const done = s.caster.castLink(MAGNET);
    await flush();
    assert.equal(s.port.requests.length, 0);
    s.store.setChosenDevice('Bedroom');
    loaded();
    await done;
    assert.equal(sentAdd(s.port).body.device, 'Bedroom');
  });

  it('falls back to the first device discovered', async () => {
    const s = setup();
    await s.caster.castLink(MAGNET);
    assert.deepEqual(s.port.requests.map((r) => r.body), [{ cmd: 'settings_get' }, { cmd: 'devices', timeout_secs: 3 }, sentAdd(s.port).body]);
    assert.equal(s.port.requests[1].timeoutMs, 13_000, 'discovery time + 10 s');
    assert.equal(sentAdd(s.port).body.device, 'Living Room TV');
    assert.deepEqual(s.store.snapshot().devices, [TV]);
  });

  it('without any device, adds the torrent anyway and asks the user to choose one', async () => {
    const s = setup({ devices: [], add: () => described });
    await s.caster.castLink(MAGNET);
    assert.equal(sentAdd(s.port).body.device, undefined);
    await flush();
    assert.equal(s.notifications.shown[0].title, 'Choose a device in the popup');
    assert.match(s.notifications.shown[0].message, /"Film" is downloading/);
    assert.match(s.notifications.shown[0].message, /play it here, in the browser/);
    assert.equal(s.store.snapshot().torrents[0].playerUrl, described.player_url, 'the popup can offer Play here');
  });

  it('keeps the cast add answered with: its stream ties the TV to the torrent, and where it resumed', async () => {
    const s = setup({ add: () => ({ ...described, cast: played }) });
    s.store.setChosenDevice('Living Room TV');
    await s.caster.castLink(MAGNET);
    s.store.applyEvent(events.convertedCast());
    const [cast] = s.store.snapshot().casts;
    assert.equal(cast.torrent, described.torrent);
    assert.equal(cast.resumedAt, 754);
  });

  it('fetches a .torrent URL itself and sends the bytes', async () => {
    const s = setup();
    s.store.setChosenDevice('Living Room TV');
    await s.caster.castLink(TORRENT_URL, { id: 3 });
    assert.deepEqual(s.fetched, [TORRENT_URL]);
    assert.deepEqual(sentAdd(s.port).body, { cmd: 'add', torrent_base64: Buffer.from(TORRENT_BYTES).toString('base64'), device: 'Living Room TV' });
  });

  it('shows the daemon\'s error, in the state and as a notification', async () => {
    const s = setup({
      add: () => {
        throw Object.assign(new Error('invalid magnet link: no xt parameter'), { code: 'invalid_source' });
      },
    });
    s.store.setChosenDevice('TV');
    await assert.rejects(s.caster.castLink(MAGNET), /invalid magnet link/);
    await flush();
    assert.equal(s.store.snapshot().error.message, 'invalid magnet link: no xt parameter');
    assert.deepEqual(s.store.snapshot().pending, []);
    assert.deepEqual(s.notifications.shown.map((n) => [n.title, n.message]), [['magnetcast error', 'invalid magnet link: no xt parameter']]);
  });

  it('reports a failed .torrent download without adding anything', async () => {
    const s = setup({
      fetchTorrent: async () => {
        throw new Error('could not download film.torrent: HTTP 403 (log in to the site first)');
      },
    });
    await assert.rejects(s.caster.castLink(TORRENT_URL), /HTTP 403/);
    assert.equal(s.port.requests.filter((r) => r.body.cmd === 'add').length, 0);
    assert.match(s.store.snapshot().error.message, /log in to the site first/);
  });

  it('refuses anything that is not a magnet or .torrent link', async () => {
    const s = setup();
    await assert.rejects(s.caster.castLink('https://example.org/page.html'), /not a magnet or \.torrent link/);
    await assert.rejects(s.caster.castLink('javascript:alert(1)'), /not a magnet/);
    assert.equal(s.port.requests.length, 0);
  });

  it('shows the add as pending while the daemon fetches metadata', async () => {
    let finish;
    const s = setup({ add: () => new Promise((resolve) => (finish = resolve)) });
    s.store.setChosenDevice('TV');
    const done = s.caster.castLink(MAGNET);
    await flush();
    assert.deepEqual(s.store.snapshot().pending.map((p) => [p.label, p.kind, p.torrent]), [['Film', 'magnet', described.torrent]]);
    finish(described);
    await done;
    assert.deepEqual(s.store.snapshot().pending, []);
  });
});

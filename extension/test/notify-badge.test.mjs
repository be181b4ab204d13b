import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { FakeNotifications, flush } from './helpers/fakes.mjs';
import { HASH, STREAM_URL, bare, described, events } from './helpers/fixtures.mjs';
import { Badge, COLORS, badgeFor } from '../src/background/badge.js';
import { Notifier, handleHostEvent } from '../src/background/notify.js';
import { StateStore } from '../src/background/store.js';

const names = { nameOf: (id) => (id === HASH ? 'Film' : null), torrentForMedia: (url) => (url === STREAM_URL ? HASH : null) };

describe('Notifier', () => {
  it('announces a media once, the first time it plays', () => {
    const n = new Notifier({ notifications: new FakeNotifications(), iconUrl: 'icon.png' });
    assert.equal(n.decide(events.cast({ player_state: 'BUFFERING' }), names), null);
    assert.deepEqual(n.decide(events.cast(), names), { id: `playing:Living Room TV|${STREAM_URL}`, title: 'Playing on Living Room TV', message: 'Film' });
    assert.equal(n.decide(events.cast({ player_state: 'PAUSED' }), names), null);
    assert.equal(n.decide(events.cast(), names), null, 'resuming is not news');
    assert.equal(n.decide(events.cast({ media_url: 'http://h/s/t/other%20file.mkv' }), names).message, 'other file.mkv');
  });

  it('does not re-announce what was already playing when the worker restarted', () => {
    const n = new Notifier({ notifications: new FakeNotifications(), iconUrl: 'icon.png' });
    n.seed([bare(events.cast())]);
    assert.equal(n.decide(events.cast(), names), null);
  });

  it('tells about finished downloads and errors in the daemon\'s words', () => {
    const n = new Notifier({ notifications: new FakeNotifications(), iconUrl: 'icon.png' });
    assert.deepEqual(n.decide(events.completed, names), { id: `completed:${HASH}`, title: 'Download finished', message: 'Film' });
    assert.deepEqual(n.decide(events.error, names), { id: `error:${HASH}`, title: 'magnetcast error', message: 'disk full: /media/films' });
    assert.equal(n.decide(events.progress(), names), null);
  });

  it('tells why magnetcast removed a torrent by itself, and says nothing when the user removed it', () => {
    const n = new Notifier({ notifications: new FakeNotifications(), iconUrl: 'icon.png' });
    assert.deepEqual(n.decide(events.evicted, names), {
      id: `removed:${HASH}`,
      title: 'Removed by magnetcast',
      message: 'Film: evicted from the streaming cache to make room for Other Film (limit 2.0 MB): watched least recently',
    });
    assert.equal(n.decide(events.removed, names), null);
    assert.equal(n.decide({ ...events.removed, reason: null }, names), null);
    assert.match(n.decide(events.evicted, { nameOf: () => null }).message, /^Torrent c9e15763f722…: evicted from the streaming cache/);
  });

  it('names an evicted torrent although the store forgets it on that event', async () => {
    const api = new FakeNotifications();
    const notifier = new Notifier({ notifications: api, iconUrl: 'icon.png' });
    const store = new StateStore();
    handleHostEvent(events.metadata, { store, notifier });
    handleHostEvent(events.progress(), { store, notifier });
    handleHostEvent(events.evicted, { store, notifier });
    await flush();
    assert.deepEqual(store.snapshot().torrents, [], 'the popup drops it');
    assert.deepEqual(api.shown.map((s) => [s.id, s.title, s.message]), [
      [`removed:${HASH}`, 'Removed by magnetcast', `Film: ${events.evicted.reason}`],
    ]);
  });

  it('shows basic notifications with the icon', async () => {
    const api = new FakeNotifications();
    const n = new Notifier({ notifications: api, iconUrl: 'chrome-extension://x/icons/icon-128.png' });
    n.onEvent(events.completed, names);
    n.error('could not download film.torrent: HTTP 403');
    await flush();
    assert.deepEqual(api.shown.map((s) => [s.type, s.title, s.message, s.iconUrl]), [
      ['basic', 'Download finished', 'Film', 'chrome-extension://x/icons/icon-128.png'],
      ['basic', 'magnetcast error', 'could not download film.torrent: HTTP 403', 'chrome-extension://x/icons/icon-128.png'],
    ]);
  });

  it('survives a notifications API that throws or rejects', async () => {
    const unhandled = [];
    const onUnhandled = (reason) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let attempts = 0;
      const throwing = { create: () => { attempts++; throw new Error('denied'); } };
      const rejecting = { create: async () => { attempts++; throw new Error('denied'); } };
      for (const notifications of [throwing, rejecting]) {
        const n = new Notifier({ notifications, iconUrl: 'i' });
        assert.doesNotThrow(() => n.error('x'));
        assert.doesNotThrow(() => n.onEvent(events.completed, names));
      }
      await flush();
      await flush();
      assert.equal(attempts, 4, 'every notification was tried');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unhandled, []);
  });
});

function connectedStore() {
  const store = new StateStore();
  store.setHost({ state: 'connected', message: null, attempts: 0, retryAt: null, trying: false });
  return store;
}

describe('badge', () => {
  it('is empty when idle and marks a missing host', () => {
    assert.deepEqual(badgeFor(connectedStore().snapshot()), { text: '', color: COLORS.idle, title: 'magnetcast' });
    const store = new StateStore();
    store.setHost({ state: 'not_installed', message: 'x', attempts: 1 });
    const b = badgeFor(store.snapshot());
    assert.equal(b.text, '!');
    assert.equal(b.color, COLORS.error);
    assert.match(b.title, /not installed/);
  });

  it('shows the progress of the torrent on the TV, green when the buffer is healthy', () => {
    const store = connectedStore();
    store.applyDescribed(described);
    store.applyEvent(events.progress());
    // 35 MiB of 700 MiB over 600 s is 30 s ahead: healthy.
    store.applyEvent(events.cast());
    const b = badgeFor(store.snapshot());
    assert.equal(b.text, '10%');
    assert.equal(b.color, COLORS.healthy);
    assert.match(b.title, /Film: 10% · 35\.0 MiB \(30 s\) buffered · 2\.00 MiB\/s/);
  });

  it('turns amber when little is buffered', () => {
    const store = connectedStore();
    store.applyDescribed(described);
    store.applyEvent(events.progress({ buffered_ahead: 7 * 1024 * 1024 }));
    store.applyEvent(events.cast());
    assert.equal(badgeFor(store.snapshot()).color, COLORS.low);
  });

  it('uses bytes when no duration is known yet', () => {
    const store = connectedStore();
    store.applyEvent(events.progress({ buffered_ahead: 20 * 1024 * 1024 }));
    assert.equal(badgeFor(store.snapshot()).color, COLORS.healthy);
    store.applyEvent(events.progress({ buffered_ahead: 1024 }));
    assert.equal(badgeFor(store.snapshot()).color, COLORS.low);
  });

  it('shows an error mark with the message until it is dismissed', () => {
    const store = connectedStore();
    store.applyEvent(events.progress());
    store.applyEvent(events.error);
    assert.deepEqual(badgeFor(store.snapshot()), { text: '!', color: COLORS.error, title: 'magnetcast: disk full: /media/films' });
    store.clearError();
    assert.equal(badgeFor(store.snapshot()).text, '10%');
  });

  it('shows an ellipsis while a magnet fetches its metadata', () => {
    const store = connectedStore();
    const e = events.progress({ state: 'fetching_metadata', downloaded: 0, total: 0, buffered_ahead: 0 });
    store.applyEvent(e);
    const b = badgeFor(store.snapshot());
    assert.equal(b.text, '…');
    assert.match(b.title, /fetching metadata/);
  });

  it('clears the number once everything is downloaded', () => {
    const store = connectedStore();
    store.applyEvent(events.progress({ downloaded: 700 * 1024 * 1024, state: 'seeding' }));
    assert.equal(badgeFor(store.snapshot()).text, '');
  });

  it('calls the action API only for what changed', async () => {
    const calls = [];
    const action = {
      setBadgeText: async (x) => calls.push(['text', x.text]),
      setBadgeBackgroundColor: async (x) => calls.push(['color', x.color]),
      setTitle: async (x) => calls.push(['title', x.title]),
    };
    const badge = new Badge(action);
    const store = connectedStore();
    store.applyEvent(events.progress());
    await badge.show(store.snapshot());
    assert.equal(calls.length, 3);
    await badge.show(store.snapshot());
    assert.equal(calls.length, 3);
    store.applyEvent(events.progress({ downloaded: 140 * 1024 * 1024 }));
    await badge.show(store.snapshot());
    assert.deepEqual(calls.slice(3).map((c) => c[0]), ['text', 'title']);
  });
});

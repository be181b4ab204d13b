import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { CAP_WARNING, CONVERTED_URL, HASH, HASH2, STREAM_URL, bare, described, events, played } from './helpers/fixtures.mjs';
import { protocolValidators } from './helpers/schema.mjs';
import { StateStore } from '../src/background/store.js';

const v = protocolValidators();

describe('fixtures', () => {
  it('are valid host messages', () => {
    const all = [events.added, events.metadata, events.progress(), events.progress({ kept: true }), events.completed, events.error, events.removed, events.evicted, events.cast()];
    for (const e of all) assert.ok(v.hostMessage(e) && v.event(e), `${e.event}: ${v.errors(v.event)}`);
    assert.ok(v.progress(bare(events.progress())), v.errors(v.progress));
    const warned = events.progress({ warning: CAP_WARNING });
    assert.ok(v.hostMessage(warned) && v.event(warned), v.errors(v.event));
    assert.ok(v.progress(bare(warned)), v.errors(v.progress));
    assert.ok(v.event(events.capWarning), v.errors(v.event));
    assert.ok(v.castStatus(bare(events.cast())), v.errors(v.castStatus));
    const converted = events.convertedCast();
    assert.ok(v.hostMessage(converted) && v.event(converted), v.errors(v.event));
    assert.ok(v.castStatus(bare(converted)), v.errors(v.castStatus));
    for (const plan of ['direct', 'remux', 'transcode', 'unplayable']) {
      assert.ok(v.castStatus(bare(events.cast({ verdict: { plan, reason: 'why' } }))), `${plan}: ${v.errors(v.castStatus)}`);
    }
    // What `play` answers carries a cast's verdict and tracks, in the same shapes.
    assert.ok(v.castStatus({ ...bare(events.cast()), verdict: played.verdict, tracks: played.tracks, active_tracks: played.active_tracks }), v.errors(v.castStatus));
    assert.equal(v.castStatus(bare(events.cast({ verdict: { plan: 'maybe', reason: 'x' } }))), false, 'the schema knows the plans');
  });
});

describe('StateStore', () => {
  it('builds a torrent from added, metadata and progress events', () => {
    const store = new StateStore();
    store.applyEvent(events.added);
    assert.equal(store.snapshot().torrents[0].name, null);
    store.applyEvent(events.metadata);
    store.applyEvent(events.progress());
    const [t] = store.snapshot().torrents;
    assert.equal(t.name, 'Film');
    assert.equal(t.fileCount, 2);
    assert.equal(t.selected, 0);
    assert.equal(t.file.path, 'Film/film.mp4');
    assert.equal(t.progress.downloaded, 70 * 1024 * 1024);
    assert.equal(t.progress.event, undefined, 'the envelope is not kept');
  });

  it('marks completion, records errors, forgets removed torrents', () => {
    const store = new StateStore({ now: () => 42 });
    store.applyEvent(events.progress());
    store.applyEvent(events.completed);
    assert.equal(store.snapshot().torrents[0].completed, true);
    store.applyEvent(events.error);
    assert.deepEqual(store.snapshot().error, { message: 'disk full: /media/films', torrent: HASH, at: 42 });
    assert.equal(store.snapshot().torrents[0].error, 'disk full: /media/films');
    store.applyEvent(events.removed);
    assert.deepEqual(store.snapshot().torrents, []);
  });

  it('keeps whether a torrent is kept, and forgets one evicted from the cache', () => {
    const store = new StateStore();
    store.applyEvent(events.metadata);
    store.applyEvent(events.progress());
    assert.equal(store.snapshot().torrents[0].progress.kept, false);
    store.applyEvent(events.progress({ kept: true }));
    assert.equal(store.snapshot().torrents[0].progress.kept, true);
    store.applyEvent(events.evicted);
    assert.deepEqual(store.snapshot().torrents, []);
    assert.equal(store.snapshot().error, null, 'an eviction is news, not an error');
  });

  it('keeps a progress warning, and does not also keep it as an error, whichever comes first', () => {
    // The error event after the progress that carries the warning: nothing to keep.
    const after = new StateStore();
    after.applyEvent(events.progress({ warning: CAP_WARNING }));
    after.applyEvent(events.capWarning);
    assert.equal(after.snapshot().torrents[0].progress.warning, CAP_WARNING);
    assert.equal(after.snapshot().torrents[0].error, null);
    assert.equal(after.snapshot().error, null);

    // The error event first: it goes with the progress that carries the same words.
    const before = new StateStore();
    before.applyEvent(events.progress());
    before.applyEvent(events.capWarning);
    assert.equal(before.snapshot().error.message, CAP_WARNING);
    before.applyEvent(events.progress({ warning: CAP_WARNING }));
    assert.equal(before.snapshot().error, null);
    assert.equal(before.snapshot().torrents[0].error, null);

    // Gone when a later progress lacks it (the cap was raised or lifted).
    before.applyEvent(events.progress());
    assert.equal(before.snapshot().torrents[0].progress.warning, undefined);

    // Another error is still an error.
    before.applyEvent(events.progress({ warning: CAP_WARNING }));
    before.applyEvent(events.error);
    assert.equal(before.snapshot().error.message, 'disk full: /media/films');
    before.applyEvent(events.progress());
    assert.equal(before.snapshot().error.message, 'disk full: /media/films');
  });

  it('status replies carry the warning too, and clear the error that said it', () => {
    const store = new StateStore();
    store.applyEvent(events.capWarning);
    const warned = bare(events.progress({ warning: CAP_WARNING }));
    assert.ok(v.progress(warned), v.errors(v.progress));
    store.applyStatus({ torrents: [warned], casts: [] });
    assert.equal(store.snapshot().torrents[0].progress.warning, CAP_WARNING);
    assert.equal(store.snapshot().error, null);
  });

  it('a daemon-wide error has no torrent', () => {
    const store = new StateStore();
    const e = { v: 1, event: 'error', torrent: null, message: 'bind_interface wg0: no such device' };
    assert.ok(v.event(e));
    store.applyEvent(e);
    assert.equal(store.snapshot().error.torrent, null);
    assert.deepEqual(store.snapshot().torrents, []);
  });

  it('maps a cast to its torrent by the stream path, whatever host the URL names', () => {
    const store = new StateStore({ now: () => 1000 });
    store.applyDescribed(described);
    store.applyEvent(events.cast());
    const [cast] = store.snapshot().casts;
    assert.equal(cast.torrent, HASH);
    assert.equal(cast.receivedAt, 1000);
    assert.equal(store.torrentForMedia(STREAM_URL), HASH);
    assert.equal(store.torrentForMedia('http://x/s/other/film.mp4'), null);
  });

  it('drops a cast whose link closed, and after stop', () => {
    const store = new StateStore();
    store.applyEvent(events.cast());
    store.applyEvent(events.cast({ device: 'Kitchen' }));
    store.applyEvent(events.cast({ link: 'closed', player_state: null }));
    assert.deepEqual(store.snapshot().casts.map((c) => c.device), ['Kitchen']);
    store.removeCast('Kitchen');
    assert.deepEqual(store.snapshot().casts, []);
  });

  it('a status reply replaces torrents and casts', () => {
    const store = new StateStore();
    store.applyEvent(events.progress({ torrent: HASH2 }));
    store.applyEvent(events.cast({ device: 'Old TV' }));
    store.applyStatus({ torrents: [bare(events.progress())], casts: [bare(events.cast())] });
    const s = store.snapshot();
    assert.deepEqual(s.torrents.map((t) => t.id), [HASH]);
    assert.deepEqual(s.casts.map((c) => c.device), ['Living Room TV']);
  });

  it('names a torrent by id, null while unknown', () => {
    const store = new StateStore();
    store.applyEvent(events.added);
    assert.equal(store.nameOf(HASH), null);
    store.applyEvent(events.metadata);
    assert.equal(store.nameOf(HASH), 'Film');
    assert.equal(store.nameOf(HASH2), null);
  });

  it('starts from the native port\'s initial status', () => {
    assert.deepEqual(new StateStore().snapshot().host, { state: 'connecting', message: null, attempts: 0, retryAt: null, trying: true });
  });

  it('a list reply fills names, files and stream paths', () => {
    const store = new StateStore();
    store.applyStatus({ torrents: [bare(events.progress())], casts: [] });
    store.applyList({ total: 1, offset: 0, torrents: [described] });
    const [t] = store.snapshot().torrents;
    assert.equal(t.name, 'Film');
    assert.equal(t.streamPath, '/s/9f2c4e/film.mp4');
    assert.equal(t.fileCount, 2);
  });

  it('keeps the "Play here" address from add and list, and only a web address', () => {
    const store = new StateStore();
    store.applyEvent(events.metadata);
    assert.equal(store.snapshot().torrents[0].playerUrl, null);
    assert.equal(store.isDescribed(HASH), false);
    store.applyList({ total: 1, offset: 0, torrents: [described] });
    assert.equal(store.snapshot().torrents[0].playerUrl, 'http://127.0.0.1:41231/p/9f2c4e/film.mp4');
    assert.equal(store.isDescribed(HASH), true);
    store.applyDescribed({ ...described, player_url: 'javascript:alert(1)' });
    assert.equal(store.snapshot().torrents[0].playerUrl, 'http://127.0.0.1:41231/p/9f2c4e/film.mp4', 'not replaced by a non-web URL');
    // An add of ours under way will describe it.
    store.addPending('Other', 'magnet', HASH2);
    assert.equal(store.isDescribed(HASH2), true);
  });

  it('ties a cast to the torrent by the stream play answered with, and offers to start over', () => {
    const store = new StateStore();
    store.applyDescribed(described);
    // Every play publishes the stream under a new token: the cast's URL is not add's.
    store.applyEvent(events.convertedCast());
    assert.equal(store.snapshot().casts[0].torrent, null);
    assert.equal(store.snapshot().casts[0].resumedAt, null);
    store.applyPlayed(HASH, played);
    let [cast] = store.snapshot().casts;
    assert.equal(cast.torrent, HASH);
    assert.equal(cast.resumedAt, 754);
    assert.deepEqual(cast.active_tracks, [1]);
    assert.equal(store.torrentForMedia(CONVERTED_URL), HASH);
    store.clearResume('Kitchen');
    assert.equal(store.snapshot().casts[0].resumedAt, 754, 'another device');
    store.clearResume('Living Room TV');
    [cast] = store.snapshot().casts;
    assert.equal(cast.resumedAt, null);
    assert.equal(cast.torrent, HASH, 'still tied');
    // From the start: nothing to offer.
    store.applyPlayed(HASH, { ...played, start_at: 0 });
    assert.equal(store.snapshot().casts[0].resumedAt, null);
  });

  it('follows the converted stream the daemon falls back to, not another video on the device', () => {
    const store = new StateStore();
    store.applyDescribed(described);
    store.applyPlayed(HASH, { device: 'Living Room TV', stream_url: 'http://192.168.1.10:41231/s/aaaa/film.mp4', start_at: 30 });
    // The cast connects before its media is loaded.
    store.applyEvent(events.cast({ media_url: null, player_state: null }));
    assert.deepEqual([store.snapshot().casts[0].torrent, store.snapshot().casts[0].resumedAt], [HASH, 30]);
    // The device refused the file: the daemon loads a converted one (new token, same name stem).
    store.applyEvent(events.cast({ media_url: 'http://192.168.1.10:41231/r/bbbb/film.mp4?start=30.000' }));
    assert.deepEqual([store.snapshot().casts[0].torrent, store.snapshot().casts[0].resumedAt], [HASH, 30]);
    // Someone cast another video there from the command line.
    store.applyEvent(events.cast({ media_url: 'http://192.168.1.10:41231/s/cccc/other.mkv' }));
    assert.deepEqual([store.snapshot().casts[0].torrent, store.snapshot().casts[0].resumedAt], [null, null]);
  });

  it('ends the offer to start over when playback ends, and forgets plays with the cast or torrent', () => {
    const store = new StateStore();
    store.applyDescribed(described);
    store.applyPlayed(HASH, played);
    store.applyEvent(events.convertedCast({ player_state: 'IDLE', idle_reason: null }));
    assert.equal(store.snapshot().casts[0].resumedAt, 754, 'idle while loading is no end');
    store.applyEvent(events.convertedCast({ player_state: 'IDLE', idle_reason: 'FINISHED' }));
    assert.equal(store.snapshot().casts[0].resumedAt, null);
    assert.equal(store.snapshot().casts[0].torrent, HASH);
    store.applyPlayed(HASH, played);
    store.applyEvent(events.convertedCast({ link: 'closed' }));
    store.applyEvent(events.convertedCast());
    assert.equal(store.snapshot().casts[0].resumedAt, null, 'a closed session forgot what it played');
    assert.equal(store.snapshot().casts[0].torrent, HASH, 'the stream is still that torrent\'s');
    store.applyPlayed(HASH, played);
    store.applyEvent(events.removed);
    store.applyDescribed(described);
    assert.equal(store.snapshot().casts[0].torrent, null, 'a removed torrent\'s plays are forgotten');
    assert.equal(store.torrentForMedia(CONVERTED_URL), null);
    store.applyPlayed(HASH, played);
    store.removeCast('Living Room TV');
    assert.deepEqual(store.snapshot().casts, []);
  });

  it('tracks adds in flight, the device choice and the default device', () => {
    const store = new StateStore();
    const key = store.addPending('Film', 'magnet');
    assert.equal(store.snapshot().pending[0].label, 'Film');
    store.removePending(key);
    assert.deepEqual(store.snapshot().pending, []);
    store.setChosenDevice('');
    assert.equal(store.snapshot().chosenDevice, null);
    store.setChosenDevice('192.168.1.40');
    store.setSettings({ default_device: 'Living Room TV', seed_ratio: null });
    assert.equal(store.chosenDevice, '192.168.1.40');
    assert.equal(store.defaultDevice, 'Living Room TV');
  });

  it('notifies subscribers with snapshots they cannot mutate back', () => {
    const store = new StateStore();
    const seen = [];
    store.subscribe((s) => seen.push(s));
    store.applyEvent(events.progress());
    seen[0].torrents[0].name = 'changed';
    assert.equal(store.snapshot().torrents[0].name, null);
    assert.equal(seen.length, 1);
  });

  it('ignores event kinds it does not know', () => {
    const store = new StateStore();
    let calls = 0;
    store.subscribe(() => calls++);
    store.applyEvent({ v: 1, event: 'something_new', torrent: HASH });
    assert.equal(calls, 0);
    assert.deepEqual(store.snapshot().torrents, []);
  });
});

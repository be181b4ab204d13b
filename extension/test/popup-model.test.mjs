import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { CAP_WARNING, HASH, HASH2, TRANSCODE_REASON, bare, described, events, played } from './helpers/fixtures.mjs';
import { StateStore } from '../src/background/store.js';
import { activeCast, announcement, appState, connectionModel, connectionText, currentPosition, deviceOptions, isDeviceAddress, keptNote, noDeviceFound, pageStatus, playHereTorrent, playerModel, subtitleModel, torrentModel, verdictModel } from '../src/popup/model.js';

function store(hostState = 'connected') {
  const s = new StateStore({ now: () => 10_000 });
  s.setHost({ state: hostState, message: hostState === 'not_installed' ? 'Specified native messaging host not found.' : null, attempts: 1, retryAt: 14_000, trying: false });
  return s;
}

describe('popup states', () => {
  it('follow the host and what there is to show', () => {
    assert.equal(appState(store('connecting').snapshot()), 'connecting');
    assert.equal(appState(store('not_installed').snapshot()), 'not-installed');
    assert.equal(appState(store('forbidden').snapshot()), 'not-installed');
    assert.equal(appState(store('disconnected').snapshot()), 'disconnected');
    const s = store();
    assert.equal(appState(s.snapshot()), 'empty');
    s.addPending('Film', 'magnet');
    assert.equal(appState(s.snapshot()), 'active');
  });

  it('the not-installed panel gives the exact command and the retry countdown', () => {
    const c = connectionModel(store('not_installed').snapshot().host, 10_000);
    assert.equal(c.showInstall, true);
    assert.equal(c.title, 'magnetcast is not installed');
    assert.equal(c.retryInfo, 'Trying again by itself in 4 s.');
    assert.equal(c.retryLabel, 'Retry');
    const trying = connectionModel({ state: 'not_installed', trying: true });
    assert.equal(trying.retryLabel, 'Retrying…');
    assert.equal(trying.retryDisabled, true);
    assert.equal(connectionModel({ state: 'forbidden' }).showInstall, true);
    const lost = connectionModel({ state: 'disconnected', message: 'Native host has exited.' });
    assert.equal(lost.showInstall, false);
    assert.equal(lost.detail, 'Native host has exited.');
    assert.equal(lost.title, 'Lost the connection to magnetcast');
    assert.equal(connectionModel({ state: 'forbidden' }).title, 'magnetcast does not know this extension yet');
    assert.equal(connectionModel({ state: 'not_installed', trying: true }).retryInfo, 'Trying to reach magnetcast…');
    assert.equal(connectionModel({ state: 'disconnected' }).retryInfo, '');
  });

  it('one set of words for each connection state, in the popup and on the options page', () => {
    const labels = ['connecting', 'connected', 'not_installed', 'forbidden', 'disconnected', 'something_new'].map((state) => connectionText({ state }).label);
    assert.deepEqual(labels, ['Connecting…', 'Connected', 'Not installed', 'Not installed', 'Not connected', 'Connecting…']);
    assert.equal(announcement(store('not_installed').snapshot(), null), 'magnetcast is not installed');
    assert.equal(announcement(store('forbidden').snapshot(), null), 'magnetcast is not installed');
    assert.equal(announcement(store('disconnected').snapshot(), null), 'Not connected to magnetcast');
    assert.equal(announcement(store('connecting').snapshot(), null), 'Connecting to magnetcast');
    const s = store();
    assert.equal(announcement(s.snapshot(), null), 'Connected. Nothing is casting.');
    s.addPending('Film', 'magnet');
    assert.equal(announcement(s.snapshot(), null), 'Connected');
    assert.equal(announcement(s.snapshot(), { stateLabel: 'Paused', device: 'TV' }), 'Paused on TV');
    assert.deepEqual(pageStatus({ state: 'connecting' }), { text: 'Connecting to magnetcast…', kind: '' });
    assert.deepEqual(pageStatus({ state: 'not_installed', message: 'x' }), { text: 'magnetcast is not installed: run `magnetcast install`, then reopen this page.', kind: 'error' });
    assert.deepEqual(pageStatus({ state: 'disconnected', message: 'magnetcast did not answer' }), { text: 'Not connected to magnetcast: magnetcast did not answer.', kind: 'error' });
    assert.deepEqual(pageStatus({ state: 'forbidden', message: null }), { text: 'Not connected to magnetcast.', kind: 'error' });
  });
});

describe('player', () => {
  function casting(patch = {}) {
    const s = store();
    s.applyDescribed(described);
    s.applyEvent(events.progress());
    s.applyEvent(events.cast(patch));
    return s.snapshot();
  }

  it('offers Pause while playing or buffering, Play when paused', () => {
    const playing = playerModel(casting(), 10_000);
    assert.deepEqual([playing.toggleLabel, playing.toggleAction, playing.title, playing.device], ['Pause', 'pause', 'Film', 'Living Room TV']);
    assert.equal(playerModel(casting({ player_state: 'BUFFERING' })).toggleAction, 'pause');
    const paused = playerModel(casting({ player_state: 'PAUSED' }));
    assert.deepEqual([paused.toggleLabel, paused.toggleAction, paused.stateLabel], ['Play', 'resume', 'Paused']);
    const finished = playerModel(casting({ player_state: 'IDLE', idle_reason: 'FINISHED' }));
    assert.deepEqual([finished.toggleLabel, finished.toggleAction, finished.stateLabel, finished.canSeek], ['Play', 'play', 'Finished', false]);
  });

  it('disables controls while the device link is down', () => {
    const p = playerModel(casting({ link: 'reconnecting', reason: 'connection refused' }));
    assert.equal(p.toggleAction, null);
    assert.equal(p.stateLabel, 'Reconnecting… (connection refused)');
    assert.equal(p.canVolume, false);
    assert.equal(p.canStop, true);
  });

  it('moves the playhead on between status updates while playing', () => {
    const cast = { position: 60, duration: 600, player_state: 'PLAYING', receivedAt: 10_000 };
    assert.equal(currentPosition(cast, 12_500), 62.5);
    assert.equal(currentPosition({ ...cast, player_state: 'PAUSED' }, 12_500), 60);
    assert.equal(currentPosition({ ...cast, position: 599 }, 20_000), 600);
    assert.equal(currentPosition({ position: null }), null);
  });

  it('reports volume in percent and the chosen device\'s cast first', () => {
    const s = store();
    s.applyEvent(events.cast({ device: 'Kitchen', volume: 0.25 }));
    s.applyEvent(events.cast());
    s.setChosenDevice('Kitchen');
    const p = playerModel(s.snapshot());
    assert.equal(p.device, 'Kitchen');
    assert.equal(p.volume, 25);
    assert.equal(activeCast({ ...s.snapshot(), chosenDevice: null }).device, 'Kitchen');
  });

  it('is absent without a cast', () => {
    assert.equal(playerModel(store().snapshot()), null);
  });

  it('carries the verdict, the subtitle picker and where play resumed', () => {
    const s = store();
    s.applyDescribed(described);
    s.applyPlayed(HASH, played);
    s.applyEvent(events.convertedCast());
    const p = playerModel(s.snapshot(), 10_000);
    assert.equal(p.title, 'Film', 'tied to its torrent by the stream play answered with');
    assert.deepEqual(p.verdict, { plan: 'transcode', text: `N${TRANSCODE_REASON.slice(1)}`, error: false });
    assert.deepEqual(p.subtitles, {
      options: [
        { value: '', label: 'Off' },
        { value: '1', label: 'film.en.srt' },
        { value: '2', label: 'Français (fr)' },
      ],
      value: '1',
    });
    assert.equal(p.canSubtitles, true);
    assert.deepEqual([p.resumedAt, p.resumedText], [754, 'Resumed at 12:34']);
    const plain = playerModel(casting());
    assert.deepEqual([plain.verdict, plain.subtitles, plain.resumedAt, plain.resumedText], [null, null, null, '']);
  });
});

describe('verdict', () => {
  it('shows the daemon\'s sentence, led by what happens', () => {
    assert.deepEqual(verdictModel({ plan: 'remux', reason: 'needs a remux: Matroska is not a container Cast devices read; its H.264 video and AAC audio are copied into MP4 as it plays' }), {
      plan: 'remux',
      text: 'Needs a remux: Matroska is not a container Cast devices read; its H.264 video and AAC audio are copied into MP4 as it plays',
      error: false,
    });
    assert.equal(verdictModel({ plan: 'direct', reason: 'plays directly: H.264 video and AAC audio in MP4' }).text, 'Plays directly: H.264 video and AAC audio in MP4');
    // The fallback after a refusal does not say what happens first: the plan's words lead.
    assert.equal(
      verdictModel({ plan: 'transcode', reason: 'the device refused the file as it is, so it is converted as it plays' }).text,
      'Needs a transcode: the device refused the file as it is, so it is converted as it plays',
    );
    assert.equal(verdictModel({ plan: 'direct', reason: 'not checked: ffprobe is missing, so the file is sent as it is' }).text, 'Not checked: ffprobe is missing, so the file is sent as it is');
    assert.equal(verdictModel({ plan: 'remux', reason: '' }).text, 'Needs a remux');
  });

  it('is an error when the file cannot play, and absent without a verdict', () => {
    const v = verdictModel({ plan: 'unplayable', reason: 'cannot play: DTS audio, and ffmpeg, which would convert it, is missing: install ffmpeg' });
    assert.equal(v.error, true);
    assert.equal(v.text, 'Cannot play: DTS audio, and ffmpeg, which would convert it, is missing: install ffmpeg');
    assert.equal(verdictModel(null), null);
    assert.equal(verdictModel(undefined), null);
    assert.equal(verdictModel({}), null);
  });
});

describe('subtitle picker', () => {
  it('offers Off and each track, and shows the one on', () => {
    const m = subtitleModel({ tracks: [{ id: 4, url: 'u', name: 'English', language: 'en' }, { id: 5, url: 'u', name: '', language: null }], active_tracks: [] });
    assert.deepEqual(m.options, [
      { value: '', label: 'Off' },
      { value: '4', label: 'English (en)' },
      { value: '5', label: 'Track 5' },
    ]);
    assert.equal(m.value, '', 'none on: Off');
    assert.equal(subtitleModel({ tracks: [{ id: 4, url: 'u', name: 'English', language: 'en' }], active_tracks: [4] }).value, '4');
    assert.equal(subtitleModel({ tracks: [{ id: 4, url: 'u', name: 'English', language: 'en' }], active_tracks: [9] }).value, '', 'an unknown id reads as off');
    assert.equal(subtitleModel({ tracks: [], active_tracks: [] }), null);
    assert.equal(subtitleModel({}), null);
  });
});

describe('no TV found', () => {
  function found(patch = {}) {
    const s = store();
    s.setDevices(patch.devices ?? []);
    return { ...s.snapshot(), ...patch };
  }

  it('only once discovery answered with nothing, and nothing chosen, configured or casting', () => {
    assert.equal(noDeviceFound(found()), true);
    assert.equal(noDeviceFound({ ...store().snapshot() }), false, 'not searched yet');
    assert.equal(noDeviceFound(found({ discovering: true })), false);
    assert.equal(noDeviceFound(found({ devices: [{ name: 'TV' }] })), false);
    assert.equal(noDeviceFound(found({ chosenDevice: '10.0.0.9' })), false);
    assert.equal(noDeviceFound(found({ defaultDevice: 'Kitchen' })), false);
    assert.equal(noDeviceFound(found({ casts: [{ device: 'TV' }] })), false);
    assert.equal(noDeviceFound(found({ host: { state: 'disconnected' } })), false);
  });

  it('"Play here" opens the newest torrent the daemon described', () => {
    const s = store();
    s.applyDescribed(described);
    s.applyEvent({ ...events.metadata, torrent: HASH2, name: 'Other' });
    const snap = s.snapshot();
    assert.equal(playHereTorrent(snap).id, HASH, 'the newest has no player page yet');
    const m = torrentModel(snap.torrents[0], snap);
    assert.equal(m.playerUrl, described.player_url);
    assert.equal(m.playHereLabel, 'Play Film here, in this browser');
    assert.equal(torrentModel(snap.torrents[1], snap).playerUrl, null);
    s.applyDescribed({ ...described, torrent: HASH2, name: 'Other', player_url: 'http://127.0.0.1:41231/p/1b2c/other.mkv' });
    assert.equal(playHereTorrent(s.snapshot()).id, HASH2);
    assert.equal(playHereTorrent(store().snapshot()), null);
  });
});

describe('torrent rows', () => {
  it('show progress, speed, peers and the buffer in bytes and seconds', () => {
    const s = store();
    s.applyDescribed(described);
    s.applyEvent(events.metadata);
    s.applyEvent(events.progress());
    s.applyEvent(events.cast());
    const snap = s.snapshot();
    const m = torrentModel(snap.torrents[0], snap);
    assert.equal(m.name, 'Film');
    assert.equal(m.stateLabel, 'Streaming');
    assert.equal(m.percent, '10%');
    assert.equal(m.fraction, 0.1);
    assert.equal(m.size, '70.0 MiB of 700 MiB');
    assert.equal(m.speed, '↓ 2.00 MiB/s  ↑ 0 B/s');
    assert.equal(m.peers, '5 peers');
    assert.equal(m.buffer, '35.0 MiB buffered ahead (≈ 30 s)');
    assert.equal(m.onDevice, 'On Living Room TV');
    assert.equal(m.canCast, false);
    assert.equal(m.fileCount, 2);
  });

  it('without a cast the buffer is in bytes only', () => {
    const s = store();
    s.applyStatus({ torrents: [bare(events.progress({ peers: 1 }))], casts: [] });
    const snap = s.snapshot();
    const m = torrentModel(snap.torrents[0], snap);
    assert.equal(m.buffer, '35.0 MiB buffered ahead');
    assert.equal(m.peers, '1 peer');
    assert.equal(m.name, `Torrent ${HASH.slice(0, 12)}…`);
    assert.equal(m.canCast, true);
  });

  it('name the reason of a stop', () => {
    const s = store();
    s.applyEvent(events.progress({ state: 'finished', reason: 'seed ratio 2 reached', downloaded: 700 * 1024 * 1024 }));
    const snap = s.snapshot();
    const m = torrentModel(snap.torrents[0], snap);
    assert.equal(m.stateLabel, 'Done (seed ratio 2 reached)');
    assert.equal(m.buffer, 'All downloaded');
    assert.equal(m.percent, '100%');
  });

  it('carry the progress warning while it lasts, and offer to lift the cap it is about', () => {
    const s = store();
    const model = () => {
      const snap = s.snapshot();
      return torrentModel(snap.torrents[0], snap);
    };
    s.applyEvent(events.progress({ warning: CAP_WARNING }));
    assert.equal(model().warning, CAP_WARNING);
    assert.equal(model().canLiftCap, true);
    assert.equal(model().error, null, 'a warning is not an error');
    s.applyEvent(events.progress({ warning: 'the TV reports no duration yet' }));
    assert.equal(model().canLiftCap, false, 'only a warning about the download cap offers to lift it');
    s.applyEvent(events.progress());
    assert.equal(model().warning, null);
    assert.equal(model().canLiftCap, false);
  });
});

describe('keeping a torrent', () => {
  const model = (s) => {
    const snap = s.snapshot();
    return torrentModel(snap.torrents[0], snap);
  };

  it('offers Keep while it is in the streaming cache, and marks it Kept afterwards', () => {
    const s = store();
    s.applyEvent(events.metadata);
    s.applyEvent(events.progress());
    assert.deepEqual(Object.fromEntries(['kept', 'canKeep', 'keepLabel'].map((k) => [k, model(s)[k]])), {
      kept: false,
      canKeep: true,
      keepLabel: 'Keep Film in Downloads',
    });
    s.applyEvent(events.progress({ kept: true }));
    assert.equal(model(s).kept, true);
    assert.equal(model(s).canKeep, false);
  });

  it('offers neither before the first progress or while the metadata is fetched', () => {
    const s = store();
    s.applyEvent(events.metadata);
    assert.equal(model(s).canKeep, false);
    assert.equal(model(s).kept, false);
    s.applyEvent(events.progress({ state: 'fetching_metadata', downloaded: 0, total: 0 }));
    assert.equal(model(s).canKeep, false);
  });

  it('says what keep did: moved now, or when playback ends', () => {
    assert.equal(keptNote({ torrent: HASH, path: '/home/ann/Downloads/magnetcast/film.mp4', moving: false }), 'Kept in Downloads: /home/ann/Downloads/magnetcast/film.mp4');
    assert.equal(keptNote({ torrent: HASH, path: '/home/ann/.cache/magnetcast/torrents/c9e1/film.mp4', moving: true }), 'Kept — moves to Downloads when playback ends');
  });
});

describe('device picker', () => {
  it('lists automatic, discovered devices and a typed address', () => {
    const s = store();
    s.setSettings({ default_device: 'Kitchen' });
    s.setDevices([
      { name: 'Living Room TV', model: 'Chromecast Ultra', id: 'a', addr: '10.0.0.2:8009', group: false },
      { name: 'Everywhere', model: null, id: 'b', addr: '10.0.0.3:32187', group: true },
    ]);
    s.setChosenDevice('10.0.0.9');
    assert.deepEqual(deviceOptions(s.snapshot()), [
      { value: '', label: 'Kitchen (default)' },
      { value: 'Living Room TV', label: 'Living Room TV (Chromecast Ultra)' },
      { value: 'Everywhere', label: 'Everywhere (group)' },
      { value: '10.0.0.9', label: '10.0.0.9' },
    ]);
  });

  it('accepts host[:port] addresses only', () => {
    for (const ok of ['192.168.1.40', '192.168.1.40:8009', 'tv.lan', 'tv.lan:8010', '[fe80::1]:8009', 'fe80::1']) assert.ok(isDeviceAddress(ok), ok);
    for (const bad of ['', 'Living Room', 'http://tv', 'tv:port', 'a b']) assert.ok(!isDeviceAddress(bad), bad);
  });
});

describe('a magnet still fetching its metadata', () => {
  it('is labelled so and cannot be cast yet', () => {
    const s = store();
    s.applyList({ total: 1, offset: 0, torrents: [{ torrent: HASH, name: 'Film', state: 'fetching_metadata' }] });
    s.applyEvent(events.progress({ state: 'fetching_metadata', downloaded: 0, total: 0, buffered_ahead: 0 }));
    const snap = s.snapshot();
    const m = torrentModel(snap.torrents[0], snap);
    assert.equal(m.stateLabel, 'Fetching metadata');
    assert.equal(m.canCast, false);
    assert.equal(m.percent, '0%');
    assert.equal(m.size, '');
  });

  it('a torrent known only by id, with no progress yet, is fetching metadata too', () => {
    const s = store();
    s.applyEvent(events.added);
    const snap = s.snapshot();
    assert.equal(torrentModel(snap.torrents[0], snap).stateLabel, 'Fetching metadata');
  });
});

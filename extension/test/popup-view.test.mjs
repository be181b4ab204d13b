// The popup's real HTML in jsdom, driven by store snapshots, clicked like a keyboard or mouse user.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { JSDOM } from 'jsdom';

import { flush } from './helpers/fakes.mjs';
import { CAP_WARNING, HASH, TRANSCODE_REASON, described, events, played } from './helpers/fixtures.mjs';
import { protocolValidators } from './helpers/schema.mjs';
import { StateStore } from '../src/background/store.js';
import { createPopup } from '../src/popup/view.js';
import { request } from '../src/lib/protocol.js';

const HTML = readFileSync(new URL('../src/popup.html', import.meta.url), 'utf8');
const v = protocolValidators();

/**
 * `now` is the clock the view reads (a function, so a test can move it); `answer(method, ...args)`
 * plays the background for the calls a test cares about (null otherwise; throw to fail one).
 */
function popup({ now = () => 10_000, answer = () => null } = {}) {
  const dom = new JSDOM(HTML, { url: 'chrome-extension://phdoiealkcpenjnalbnfnaihbekbpehd/popup.html' });
  const calls = [];
  const copied = [];
  const opened = [];
  const view = createPopup(dom.window.document, {
    call: async (method, ...args) => {
      calls.push([method, ...args]);
      if (method === 'send') assert.ok(v.request(request(1, args[0])), v.errors(v.request));
      if (method === 'chooseDevice') return args[0];
      return answer(method, ...args) ?? null;
    },
    copy: async (text) => copied.push(text),
    openTab: async (url) => opened.push(url),
    now,
  });
  const doc = dom.window.document;
  const visible = (id) => {
    for (let el = doc.getElementById(id); el; el = el.parentElement) if (el.hidden) return false;
    return true;
  };
  return { dom, doc, view, calls, copied, opened, visible, $: (id) => doc.getElementById(id) };
}

function store(host = 'connected') {
  const s = new StateStore({ now: () => 10_000 });
  s.setHost({ state: host, message: host === 'not_installed' ? 'Specified native messaging host not found.' : null, attempts: 1, retryAt: 13_000, trying: false });
  return s;
}

/** A popup showing a cast of Film with no verdict or tracks; `show(event)` applies and renders one. */
function casting(options) {
  const p = popup(options);
  const s = store();
  s.applyDescribed(described);
  const show = (event) => {
    s.applyEvent(event);
    p.view.render(s.snapshot());
  };
  show(events.cast());
  return { p, s, show };
}

describe('popup view', () => {
  it('not installed: shows the command, copies it, and Retry asks for a reconnect', async () => {
    const p = popup();
    p.view.render(store('not_installed').snapshot());
    assert.equal(p.$('app').dataset.state, 'not-installed');
    assert.ok(p.visible('install-command'));
    assert.equal(p.$('install-command').textContent, 'magnetcast install');
    assert.ok(!p.visible('devices') && !p.visible('empty') && !p.visible('player'));
    assert.match(p.$('connection-detail').textContent, /Specified native messaging host not found/);
    assert.equal(p.$('retry-info').textContent, 'Trying again by itself in 3 s.');
    assert.equal(p.$('status').textContent, 'magnetcast is not installed');
    assert.equal(p.$('host-status').textContent, 'Not installed');
    assert.equal(p.$('host-status').dataset.host, 'not-installed');
    p.$('copy-command').click();
    p.$('retry').click();
    await flush();
    assert.deepEqual(p.copied, ['magnetcast install']);
    assert.equal(p.$('copy-command').textContent, 'Copied');
    assert.deepEqual(p.calls.filter((c) => c[0] === 'reconnect'), [['reconnect']]);
  });

  it('connected with nothing: explains how to cast, and looks for devices once', async () => {
    const p = popup();
    const s = store();
    p.view.render(s.snapshot());
    p.view.render(s.snapshot());
    assert.equal(p.$('app').dataset.state, 'empty');
    assert.ok(p.visible('empty'));
    assert.match(p.$('empty').textContent, /Click a magnet link/);
    assert.match(p.$('empty').textContent, /Cast torrent/);
    assert.ok(!p.visible('connection'));
    assert.deepEqual(p.calls.filter((c) => c[0] === 'discoverDevices').length, 1);
    assert.equal(p.$('status').textContent, 'Connected. Nothing is casting.');
    assert.equal(p.$('host-status').textContent, 'Connected');
  });

  it('lists torrents with their progress and updates rows in place', () => {
    const p = popup();
    const s = store();
    s.applyDescribed(described);
    s.applyEvent(events.metadata);
    s.applyEvent(events.progress());
    p.view.render(s.snapshot());
    const rows = p.doc.querySelectorAll('[data-testid="torrent"]');
    assert.equal(rows.length, 1);
    const row = rows[0];
    assert.equal(row.querySelector('.name').textContent, 'Film');
    assert.equal(row.querySelector('progress').value, 0.1);
    assert.equal(row.querySelector('.percent').textContent, '10%');
    assert.equal(row.querySelector('.buffer').textContent, '35.0 MiB buffered ahead');
    assert.ok(!row.querySelector('.file-row').hidden, 'a multi-file torrent offers a file picker');
    assert.deepEqual([...row.querySelectorAll('.file-select option')].map((o) => o.textContent), ['Film/film.mp4 (video)', 'Film/film.srt (subtitle)']);

    s.applyEvent(events.progress({ downloaded: 350 * 1024 * 1024 }));
    p.view.render(s.snapshot());
    assert.equal(p.doc.querySelector('[data-testid="torrent"]'), row, 'same element, updated');
    assert.equal(row.querySelector('.percent').textContent, '50%');

    s.applyEvent(events.removed);
    p.view.render(s.snapshot());
    assert.equal(p.doc.querySelectorAll('[data-testid="torrent"]').length, 0);
  });

  it('plays, pauses, seeks and sets the volume on the cast device', async () => {
    const p = popup();
    const s = store();
    s.applyDescribed(described);
    s.applyEvent(events.progress());
    s.applyEvent(events.cast());
    p.view.render(s.snapshot());
    assert.ok(p.visible('player'));
    assert.equal(p.$('player').dataset.playerState, 'PLAYING');
    assert.equal(p.$('pause').textContent, 'Pause');
    assert.equal(p.$('pause').disabled, false);
    assert.equal(p.$('position').textContent, '1:00');
    assert.equal(p.$('duration').textContent, '10:00');
    assert.equal(p.$('seek').max, '600');
    assert.equal(p.$('volume').value, '50');
    assert.equal(p.$('status').textContent, 'Playing on Living Room TV');

    p.$('pause').click();
    await flush();
    p.$('back30').click();
    p.$('fwd30').click();
    p.$('seek').value = '300';
    p.$('seek').dispatchEvent(new p.dom.window.Event('change'));
    p.$('volume').value = '80';
    p.$('volume').dispatchEvent(new p.dom.window.Event('change'));
    p.$('mute').click();
    p.$('stop').click();
    await flush();
    const sent = p.calls.filter((c) => c[0] === 'send').map((c) => c[1]);
    // The file list of a two-file torrent with no metadata event yet is asked for once.
    assert.deepEqual(sent.filter((b) => b.cmd === 'files'), [{ cmd: 'files', torrent: described.torrent, limit: 100 }]);
    assert.deepEqual(sent.filter((b) => b.cmd !== 'files'), [
      { cmd: 'pause', device: 'Living Room TV' },
      { cmd: 'seek', by: -30, device: 'Living Room TV' },
      { cmd: 'seek', by: 30, device: 'Living Room TV' },
      { cmd: 'seek', seconds: 300, device: 'Living Room TV' },
      { cmd: 'volume', level: 80, device: 'Living Room TV' },
      { cmd: 'volume', muted: true, device: 'Living Room TV' },
      { cmd: 'stop', device: 'Living Room TV' },
    ]);

    s.applyEvent(events.cast({ player_state: 'PAUSED' }));
    p.view.render(s.snapshot());
    assert.equal(p.$('pause').textContent, 'Play');
    assert.equal(p.$('player').dataset.playerState, 'PAUSED');
    p.$('pause').click();
    await flush();
    assert.deepEqual(p.calls.filter((c) => c[0] === 'send').at(-1)[1], { cmd: 'resume', device: 'Living Room TV' });
  });

  it('does not move a slider the user is dragging', () => {
    let now = 10_000;
    const p = popup({ now: () => now });
    const s = store();
    s.applyEvent(events.cast());
    p.view.render(s.snapshot());
    assert.equal(p.$('volume').value, '50');
    p.$('volume').value = '20';
    p.$('volume').dispatchEvent(new p.dom.window.Event('input'));
    assert.equal(p.$('volume-value').textContent, '20%');
    now += 1000;
    p.view.render(s.snapshot());
    assert.equal(p.$('volume').value, '20');
    assert.equal(p.$('volume-value').textContent, '20%');
    now += 5000;
    p.view.render(s.snapshot());
    assert.equal(p.$('volume').value, '50');
    assert.equal(p.$('volume-value').textContent, '50%');
  });

  it('shows the daemon\'s error and lets it be dismissed', async () => {
    const p = popup();
    const s = store();
    s.setError('invalid magnet link: no xt parameter');
    p.view.render(s.snapshot());
    assert.ok(p.visible('error'));
    assert.equal(p.$('error').getAttribute('role'), 'alert');
    assert.equal(p.$('error-message').textContent, 'invalid magnet link: no xt parameter');
    p.$('dismiss-error').click();
    await flush();
    assert.ok(p.calls.some((c) => c[0] === 'dismissError'));
  });

  it('picks a device from the list or by a typed address', async () => {
    const p = popup();
    const s = store();
    s.setDevices([{ name: 'Living Room TV', model: null, id: null, addr: '10.0.0.2:8009', group: false }]);
    p.view.render(s.snapshot());
    assert.deepEqual([...p.$('device').options].map((o) => o.value), ['', 'Living Room TV']);
    p.$('device').value = 'Living Room TV';
    p.$('device').dispatchEvent(new p.dom.window.Event('change'));
    p.$('manual-host').value = 'Living Room';
    p.$('manual-form').dispatchEvent(new p.dom.window.Event('submit', { cancelable: true }));
    await flush();
    assert.match(p.$('manual-error').textContent, /Enter an address/);
    p.$('manual-host').value = '192.168.1.40:8009';
    p.$('manual-form').dispatchEvent(new p.dom.window.Event('submit', { cancelable: true }));
    await flush();
    assert.deepEqual(p.calls.filter((c) => c[0] === 'chooseDevice'), [
      ['chooseDevice', 'Living Room TV'],
      ['chooseDevice', '192.168.1.40:8009'],
    ]);
    assert.equal(p.$('manual-error').textContent, '');
  });

  it('shows a magnet being added once: as its torrent row when the daemon lists it', () => {
    const p = popup();
    const s = store();
    s.addPending('Film', 'magnet', described.torrent);
    s.addPending('other.torrent', 'torrent', null);
    p.view.render(s.snapshot());
    assert.deepEqual([...p.doc.querySelectorAll('[data-testid="pending"]')].map((li) => li.textContent), [
      'Adding Film… (fetching metadata)',
      'Adding other.torrent… (downloading the .torrent)',
    ]);
    s.applyEvent(events.progress({ state: 'fetching_metadata', downloaded: 0, total: 0 }));
    p.view.render(s.snapshot());
    assert.equal(p.doc.querySelectorAll('[data-testid="pending"]').length, 1);
    assert.equal(p.doc.querySelector('[data-testid="torrent"] .state').textContent, 'Fetching metadata');
  });

  it('offers Keep for a torrent in the streaming cache and says what it did', async () => {
    let now = 10_000;
    let release;
    const answered = new Promise((resolve) => (release = resolve));
    const p = popup({
      now: () => now,
      answer: async (method, body) => {
        if (body?.cmd !== 'keep') return null;
        await answered;
        return { torrent: body.torrent, path: '/home/ann/.cache/magnetcast/torrents/c9e1/film.mp4', moving: true };
      },
    });
    const s = store();
    s.applyDescribed(described);
    s.applyEvent(events.progress({ kept: false }));
    p.view.render(s.snapshot());
    const row = p.doc.querySelector('[data-testid="torrent"]');
    const button = row.querySelector('.keep-torrent');
    assert.equal(button.hidden, false);
    assert.equal(button.textContent, 'Keep');
    assert.equal(button.getAttribute('aria-label'), 'Keep Film in Downloads');
    assert.equal(row.querySelector('.kept-mark').hidden, true);

    button.click();
    await flush();
    assert.deepEqual(p.calls.filter((c) => c[1]?.cmd === 'keep').map((c) => c[1]), [{ cmd: 'keep', torrent: described.torrent }]);
    assert.equal(button.disabled, true, 'one keep at a time');
    assert.equal(button.textContent, 'Keeping…');
    release();
    await flush();
    await flush();
    assert.equal(button.disabled, false);
    assert.equal(row.querySelector('.keep-note').textContent, 'Kept — moves to Downloads when playback ends');
    assert.equal(row.querySelector('.keep-note').getAttribute('role'), 'status');
    assert.ok(!p.visible('error'));

    // The daemon's next progress says it is kept: a marker instead of the button.
    s.applyEvent(events.progress({ kept: true }));
    p.view.render(s.snapshot());
    assert.equal(button.hidden, true);
    assert.equal(row.querySelector('.kept-mark').hidden, false);
    assert.equal(row.querySelector('.kept-mark').textContent, 'Kept');

    // The note goes after a few seconds, with the popup's clock.
    now += 7000;
    p.view.tick();
    assert.equal(row.querySelector('.keep-note').textContent, '');
  });

  it('shows why keep failed in the error banner', async () => {
    const p = popup({
      answer: async (method, body) => {
        if (body?.cmd === 'keep') throw new Error('could not keep Film: Permission denied (os error 13)');
        return null;
      },
    });
    const s = store();
    s.applyDescribed(described);
    s.applyEvent(events.progress());
    p.view.render(s.snapshot());
    const row = p.doc.querySelector('[data-testid="torrent"]');
    row.querySelector('.keep-torrent').click();
    await flush();
    await flush();
    assert.ok(p.visible('error'));
    assert.equal(p.$('error-message').textContent, 'could not keep Film: Permission denied (os error 13)');
    assert.equal(row.querySelector('.keep-note').textContent, '');
    assert.equal(row.querySelector('.keep-torrent').disabled, false, 'it can be tried again');
  });

  it('shows a progress warning in its row, once, and takes it away when the progress drops it', () => {
    const p = popup();
    const s = store();
    s.applyDescribed(described);
    s.applyEvent(events.progress());
    p.view.render(s.snapshot());
    const row = p.doc.querySelector('[data-testid="torrent"]');
    const box = row.querySelector('.torrent-warning');
    assert.equal(box.textContent, '');
    assert.equal(row.querySelector('.lift-cap').hidden, true);

    // The daemon says it as an error event first, then in every progress while it lasts.
    s.applyEvent(events.capWarning);
    s.applyEvent(events.progress({ warning: CAP_WARNING }));
    p.view.render(s.snapshot());
    assert.equal(box.textContent, `Warning: ${CAP_WARNING}`);
    assert.equal(box.getAttribute('role'), 'status', 'read out, politely');
    assert.ok(!box.hidden && !box.closest('[hidden]'));
    assert.ok(row.classList.contains('has-warning'));
    assert.ok(!p.visible('error'), 'not also in the error banner');
    assert.equal(row.querySelector('.torrent-error').hidden, true, 'nor as the row\'s error');
    assert.equal(p.doc.body.textContent.split(CAP_WARNING).length - 1, 1, 'said once in the popup');
    assert.equal(row.querySelector('.lift-cap').hidden, false);

    // The same words again (the error event after the progress) change nothing.
    s.applyEvent(events.capWarning);
    p.view.render(s.snapshot());
    assert.ok(!p.visible('error'));

    s.applyEvent(events.progress());
    p.view.render(s.snapshot());
    assert.equal(box.textContent, '');
    assert.ok(!row.classList.contains('has-warning'));
    assert.equal(row.querySelector('.lift-cap').hidden, true);
    assert.ok(!p.visible('error'));
  });

  it('Lift cap asks the daemon to drop the download cap, once at a time, and says so', async () => {
    let release;
    const answered = new Promise((resolve) => (release = resolve));
    const p = popup({
      answer: async (method, body) => {
        if (body?.cmd !== 'settings_set') return null;
        await answered;
        return { download_limit: null };
      },
    });
    const s = store();
    s.applyDescribed(described);
    s.applyEvent(events.progress({ warning: CAP_WARNING }));
    p.view.render(s.snapshot());
    const row = p.doc.querySelector('[data-testid="torrent"]');
    const lift = row.querySelector('.lift-cap');
    assert.equal(lift.getAttribute('aria-label'), 'Lift the download cap');
    lift.click();
    await flush();
    lift.click();
    await flush();
    // popup() checks each body against the schema's Request.
    assert.deepEqual(p.calls.filter((c) => c[1]?.cmd === 'settings_set').map((c) => c[1]), [{ cmd: 'settings_set', settings: { download_limit: null } }]);
    assert.equal(lift.disabled, true);
    assert.equal(lift.textContent, 'Lifting…');
    release();
    await flush();
    await flush();
    assert.equal(lift.disabled, false);
    assert.equal(row.querySelector('.keep-note').textContent, 'Download cap lifted');
    assert.ok(!p.visible('error'));
  });

  it('a failed Lift cap shows in the error banner and keeps the warning', async () => {
    const p = popup({
      answer: async (method, body) => {
        if (body?.cmd === 'settings_set') throw new Error('could not write config.toml: Permission denied (os error 13)');
        return null;
      },
    });
    const s = store();
    s.applyDescribed(described);
    s.applyEvent(events.progress({ warning: CAP_WARNING }));
    p.view.render(s.snapshot());
    const row = p.doc.querySelector('[data-testid="torrent"]');
    row.querySelector('.lift-cap').click();
    await flush();
    await flush();
    assert.ok(p.visible('error'));
    assert.match(p.$('error-message').textContent, /config\.toml/);
    assert.equal(row.querySelector('.torrent-warning').textContent, `Warning: ${CAP_WARNING}`);
    assert.equal(row.querySelector('.keep-note').textContent, '');
    assert.equal(row.querySelector('.lift-cap').disabled, false, 'it can be tried again');
  });

  it('shows how the file reaches the TV under the device line, quietly, and in red when it cannot play', () => {
    const { p, show } = casting();
    assert.ok(!p.visible('player-verdict'), 'no verdict, no line');

    show(events.convertedCast());
    const line = p.$('player-verdict');
    assert.ok(p.visible('player-verdict'));
    assert.equal(line.textContent, `N${TRANSCODE_REASON.slice(1)}`);
    assert.equal(line.dataset.plan, 'transcode');
    assert.equal(line.previousElementSibling.querySelector('#player-device').textContent, 'Living Room TV', 'right under the device line');

    show(events.cast({ verdict: { plan: 'remux', reason: 'needs a remux: Matroska is not a container Cast devices read; its H.264 video and AAC audio are copied into MP4 as it plays' } }));
    assert.match(line.textContent, /^Needs a remux: Matroska/);
    assert.equal(line.dataset.plan, 'remux');

    show(events.cast({ verdict: { plan: 'unplayable', reason: 'cannot play: no Cast device decodes DTS, and ffmpeg, which would convert it, is missing: install ffmpeg (Debian/Ubuntu: sudo apt install ffmpeg)' } }));
    assert.equal(line.dataset.plan, 'unplayable', 'the error style (popup.css: .verdict[data-plan="unplayable"])');
    assert.match(line.textContent, /^Cannot play: no Cast device decodes DTS.*sudo apt install ffmpeg/);
    const css = readFileSync(new URL('../src/popup/popup.css', import.meta.url), 'utf8');
    assert.match(css, /\.verdict\[data-plan="unplayable"\] \{[^}]*var\(--danger\)/);
  });

  it('offers the cast\'s subtitle tracks, sends the choice, and follows active_tracks', async () => {
    let now = 10_000;
    const { p, s, show } = casting({ now: () => now });
    assert.ok(!p.visible('subtitles-row'), 'no tracks, no picker');

    show(events.convertedCast());
    const select = p.$('subtitles');
    assert.ok(p.visible('subtitles-row'));
    assert.equal(p.doc.querySelector('label[for="subtitles"]').textContent, 'Subtitles');
    assert.deepEqual([...select.options].map((o) => [o.value, o.textContent]), [['', 'Off'], ['1', 'film.en.srt'], ['2', 'Français (fr)']]);
    assert.equal(select.value, '1');

    select.value = '2';
    select.dispatchEvent(new p.dom.window.Event('change'));
    select.value = '';
    select.dispatchEvent(new p.dom.window.Event('change'));
    await flush();
    // popup() checks each body against the schema's Request.
    assert.deepEqual(p.calls.filter((c) => c[1]?.cmd === 'subtitles').map((c) => c[1]), [
      { cmd: 'subtitles', track: 2, device: 'Living Room TV' },
      { cmd: 'subtitles', device: 'Living Room TV' },
    ]);
    // Until the daemon says so, the choice stays as made.
    p.view.render(s.snapshot());
    assert.equal(select.value, '');
    now += 2000;
    show(events.convertedCast({ active_tracks: [] }));
    assert.equal(select.value, '');
    // Turned on elsewhere (the command line): the picker follows.
    show(events.convertedCast({ active_tracks: [2] }));
    assert.equal(select.value, '2');
  });

  it('Play here opens the torrent\'s player page in a new tab', async () => {
    const p = popup();
    const s = store();
    s.setDevices([{ name: 'Living Room TV', model: null, id: null, addr: '10.0.0.2:8009', group: false }]);
    s.applyDescribed(described);
    s.applyEvent(events.progress());
    p.view.render(s.snapshot());
    const row = p.doc.querySelector('[data-testid="torrent"]');
    const button = row.querySelector('.play-here');
    assert.equal(button.hidden, false);
    assert.equal(button.textContent, 'Play here');
    assert.equal(button.getAttribute('aria-label'), 'Play Film here, in this browser');
    assert.ok(button.classList.contains('ghost'), 'beside Cast, when there is a TV');
    assert.ok(!p.visible('no-device'));
    button.click();
    await flush();
    assert.deepEqual(p.opened, ['http://127.0.0.1:41231/p/9f2c4e/film.mp4']);
    assert.ok(!p.calls.some((c) => (c[0] === 'send' && c[1].cmd !== 'files') || c[0] === 'playTorrent'), 'nothing asked of the daemon');

    // Not described yet (added from the command line): no button.
    s.applyEvent({ ...events.progress(), torrent: '5340f1b2c91946bb03a3b4be0ba5f565d2de6b3f' });
    p.view.render(s.snapshot());
    assert.equal(p.doc.querySelectorAll('[data-testid="torrent"]')[1].querySelector('.play-here').hidden, true);
  });

  it('with no TV found, says so and puts Play here first', async () => {
    const p = popup();
    const s = store();
    s.setDevices([]);
    p.view.render(s.snapshot());
    assert.ok(p.visible('no-device'), 'also before anything is added');
    assert.match(p.$('no-device').textContent, /No TV found\. Check that the TV is on/);
    assert.ok(!p.visible('play-here'));

    s.applyDescribed(described);
    s.applyEvent(events.progress());
    p.view.render(s.snapshot());
    assert.equal(p.$('app').dataset.state, 'active');
    assert.equal(p.$('no-device-text').textContent, 'Play “Film” in this browser instead, or enter the TV’s address below.');
    const big = p.$('play-here');
    assert.ok(p.visible('play-here'));
    assert.ok(big.classList.contains('primary'));
    assert.equal(big.getAttribute('aria-label'), 'Play Film here, in this browser');
    const rowButton = p.doc.querySelector('[data-testid="torrent"] .play-here');
    assert.ok(rowButton.classList.contains('primary') && !rowButton.classList.contains('ghost'), 'the row\'s Play here stands out too');
    big.click();
    await flush();
    assert.deepEqual(p.opened, [described.player_url]);

    // A TV typed in: casting is back, Play here goes back beside it.
    s.setChosenDevice('192.168.1.40');
    p.view.render(s.snapshot());
    assert.ok(!p.visible('no-device'));
    assert.ok(rowButton.classList.contains('ghost'));
  });

  it('after a play that resumed, says where and Start over seeks to the beginning', async () => {
    const { p, s, show } = casting();
    assert.ok(!p.visible('resume'));
    // What the background does with play's answer (ui-bridge playTorrent → store.applyPlayed).
    s.applyPlayed(HASH, played);
    show(events.convertedCast({ position: 754 }));
    assert.ok(p.visible('resume'));
    assert.equal(p.$('resume-text').textContent, 'Resumed at 12:34');
    p.$('start-over').click();
    await flush();
    assert.deepEqual(p.calls.filter((c) => c[1]?.cmd === 'seek').map((c) => c[1]), [{ cmd: 'seek', seconds: 0, device: 'Living Room TV' }]);
    assert.ok(!p.visible('resume'), 'gone at once');
    s.clearResume('Living Room TV');
    p.view.render(s.snapshot());
    assert.ok(!p.visible('resume'));
  });

  it('every control has an accessible name', () => {
    const p = popup();
    for (const el of p.doc.querySelectorAll('button, input, select')) {
      const named =
        el.textContent.trim() ||
        el.getAttribute('aria-label') ||
        (el.id && p.doc.querySelector(`label[for="${el.id}"]`)) ||
        el.closest('label');
      assert.ok(named, `${el.outerHTML} has no name`);
    }
  });
});

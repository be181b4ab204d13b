// Binds the popup's DOM (popup.html) to state snapshots and user actions. Elements are created once
// and updated in place, so focus, an open <select> or a dragged slider survive the several updates
// a second that progress brings.

import { announcement, appState, connectionModel, connectionText, deviceOptions, isDeviceAddress, keptNote, noDeviceFound, playHereTorrent, playerModel, torrentModel } from './model.js';
import { formatTime } from '../lib/format.js';
import { commands } from '../lib/protocol.js';

/** After the user touches a slider, live updates leave it alone for this long. */
const EDIT_GRACE_MS = 1500;
/** How long a torrent's row says what `keep` (or Lift cap) did. */
const KEPT_NOTE_MS = 6000;
const INSTALL_COMMAND = 'magnetcast install';

/**
 * `call(method, ...args)` reaches the background (see ui-bridge.js); `openOptions()` opens the
 * options page; `openTab(url)` opens a web page in a new tab ("Play here"); `copy(text)` puts text
 * on the clipboard.
 */
export function createPopup(doc, { call, openOptions = () => {}, openTab = async () => {}, copy = async () => {}, now = () => Date.now() }) {
  const $ = (id) => doc.getElementById(id);
  const app = $('app');
  const items = new Map();
  const fileLists = new Map();
  const editedAt = new Map();
  let state = null;
  let localError = null;
  let announced = '';
  let discoveryStarted = false;
  let toggleBusy = false;
  /** Torrents whose `keep` is in flight (their button is disabled until it answers). */
  const keeping = new Set();
  /** What `keep` answered (or that the cap was lifted), by torrent: `{text, until}`. */
  const keptNotes = new Map();
  /** Whether the `settings_set` lifting the download cap is in flight. */
  let liftingCap = false;
  /** The resume offer the user took up (Start over), hidden before the state says it is gone. */
  let startedOver = null;

  const editing = (el) => now() - (editedAt.get(el) ?? -Infinity) < EDIT_GRACE_MS;

  async function run(promise) {
    try {
      return await promise;
    } catch (e) {
      localError = e?.message ?? String(e);
      if (state) render(state);
      return undefined;
    }
  }

  function send(body) {
    return run(call('send', body));
  }

  // Connection problems.
  $('retry').addEventListener('click', () => run(call('reconnect')));
  $('copy-command').addEventListener('click', async () => {
    try {
      await copy(INSTALL_COMMAND);
      $('copy-command').textContent = 'Copied';
    } catch {
      $('copy-command').textContent = 'Select and copy';
    }
  });
  $('open-options').addEventListener('click', () => openOptions());
  $('dismiss-error').addEventListener('click', () => {
    localError = null;
    run(call('dismissError'));
    if (state) render(state);
  });

  // Device choice.
  $('device').addEventListener('change', (e) => run(call('chooseDevice', e.target.value)));
  $('refresh-devices').addEventListener('click', () => run(call('discoverDevices')));
  $('manual-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = $('manual-host');
    if (!isDeviceAddress(input.value)) {
      $('manual-error').textContent = 'Enter an address such as 192.168.1.40 or tv.lan:8009.';
      input.focus();
      return;
    }
    $('manual-error').textContent = '';
    const device = await run(call('chooseDevice', input.value.trim()));
    if (device) {
      input.value = '';
      $('manual').open = false;
      $('device').focus();
    }
  });

  // Playback.
  const player = () => (state ? playerModel(state, now()) : null);
  $('pause').addEventListener('click', async () => {
    const p = player();
    if (!p?.toggleAction) return;
    // Disabled until the daemon answers, so a double click does not pause and resume at once.
    toggleBusy = true;
    $('pause').disabled = true;
    try {
      if (p.toggleAction === 'pause') await send(commands.pause({ device: p.device }));
      else if (p.toggleAction === 'resume') await send(commands.resume({ device: p.device }));
      else await run(call('playTorrent', p.torrent));
    } finally {
      toggleBusy = false;
      if (state) render(state);
    }
  });
  $('back30').addEventListener('click', () => {
    const p = player();
    if (p) send(commands.seek({ by: -30, device: p.device }));
  });
  $('fwd30').addEventListener('click', () => {
    const p = player();
    if (p) send(commands.seek({ by: 30, device: p.device }));
  });
  $('stop').addEventListener('click', () => {
    const p = player();
    if (p) send(commands.stop({ device: p.device }));
  });
  $('seek').addEventListener('input', (e) => {
    editedAt.set(e.target, now());
    $('position').textContent = formatTime(Number(e.target.value));
  });
  $('seek').addEventListener('change', (e) => {
    editedAt.set(e.target, now());
    const p = player();
    if (p) send(commands.seek({ seconds: Number(e.target.value), device: p.device }));
  });
  $('volume').addEventListener('input', (e) => {
    editedAt.set(e.target, now());
    $('volume-value').textContent = `${e.target.value}%`;
  });
  $('volume').addEventListener('change', (e) => {
    editedAt.set(e.target, now());
    const p = player();
    if (p) send(commands.volume({ level: Number(e.target.value), device: p.device }));
  });
  $('mute').addEventListener('click', () => {
    const p = player();
    if (p) send(commands.volume({ muted: !p.muted, device: p.device }));
  });
  $('start-over').addEventListener('click', () => {
    const p = player();
    if (!p) return;
    startedOver = `${p.device}@${p.resumedAt}`;
    $('resume').hidden = true;
    send(commands.seek({ seconds: 0, device: p.device }));
  });
  $('subtitles').addEventListener('change', (e) => {
    const p = player();
    if (!p) return;
    // Left as chosen while the daemon's status catches up; a refusal shows in the banner, and the
    // picker then goes back to the track that is on.
    editedAt.set(e.target, now());
    const value = e.target.value;
    // No track: every subtitle off.
    send(commands.subtitles({ track: value === '' ? undefined : Number(value), device: p.device }));
  });

  /** "Play here": the daemon's player page for the torrent, in a new tab. */
  function playHere(id) {
    const t = state?.torrents.find((x) => x.id === id);
    const url = t ? torrentModel(t, state).playerUrl : null;
    if (url) run((async () => openTab(url))());
  }
  $('play-here').addEventListener('click', (e) => playHere(e.currentTarget.dataset.torrent));

  // Torrents (one delegated listener per kind of action).
  $('torrents').addEventListener('click', (e) => {
    const li = e.target.closest('li[data-torrent]');
    if (!li) return;
    const id = li.dataset.torrent;
    if (e.target.closest('.cast-torrent')) run(call('playTorrent', id));
    else if (e.target.closest('.play-here')) playHere(id);
    else if (e.target.closest('.keep-torrent')) keep(id);
    else if (e.target.closest('.lift-cap')) liftCap(id);
    else if (e.target.closest('.remove-torrent')) send(commands.remove({ torrent: id, deleteFiles: false }));
  });

  /** A failure shows in the error banner (run); success, in the row for a few seconds. */
  async function keep(id) {
    if (keeping.has(id)) return;
    keeping.add(id);
    if (state) renderTorrents(state);
    try {
      const result = await send(commands.keep({ torrent: id }));
      if (result) keptNotes.set(id, { text: keptNote(result), until: now() + KEPT_NOTE_MS });
    } finally {
      keeping.delete(id);
      if (state) render(state);
    }
  }

  /**
   * The download cap is the daemon's setting (config.toml, as `magnetcast limit --down off`), so
   * it is lifted for every torrent. The warning goes with the daemon's next progress; the row says
   * it was done meanwhile. A failure shows in the error banner (run).
   */
  async function liftCap(id) {
    if (liftingCap) return;
    liftingCap = true;
    if (state) renderTorrents(state);
    try {
      const result = await send(commands.settingsSet({ download_limit: null }));
      if (result !== undefined) keptNotes.set(id, { text: 'Download cap lifted', until: now() + KEPT_NOTE_MS });
    } finally {
      liftingCap = false;
      if (state) render(state);
    }
  }

  $('torrents').addEventListener('change', async (e) => {
    if (!e.target.matches('.file-select')) return;
    const id = e.target.closest('li[data-torrent]').dataset.torrent;
    const described = await send(commands.selectFile({ torrent: id, file: Number(e.target.value) }));
    // Switching files mid-cast means loading the new file on the TV.
    if (described && state?.casts.some((c) => c.torrent === id)) run(call('playTorrent', id));
  });

  async function loadFiles(id) {
    fileLists.set(id, 'loading');
    try {
      const result = await call('send', commands.files({ torrent: id, limit: 100 }));
      fileLists.set(id, result?.files ?? []);
    } catch {
      // Not asked again on every update: the row simply shows no file picker.
      fileLists.set(id, []);
    }
    if (state) render(state);
  }

  function renderPanels(s) {
    const current = appState(s);
    app.dataset.state = current;
    for (const panel of doc.querySelectorAll('[data-panel]')) {
      const name = panel.dataset.panel;
      const visible =
        (name === 'connecting' && current === 'connecting') ||
        (name === 'connection' && (current === 'not-installed' || current === 'disconnected')) ||
        (name === 'devices' && (current === 'empty' || current === 'active')) ||
        (name === 'empty' && current === 'empty');
      panel.hidden = !visible;
    }
    $('host-status').textContent = connectionText(s.host).label;
    $('host-status').dataset.host = current;

    if (current === 'not-installed' || current === 'disconnected') {
      const c = connectionModel(s.host, now());
      $('connection-title').textContent = c.title;
      $('connection-message').textContent = c.message;
      $('install-help').hidden = !c.showInstall;
      $('connection-detail').textContent = c.detail ? `Browser says: ${c.detail}` : '';
      $('retry').textContent = c.retryLabel;
      $('retry').disabled = c.retryDisabled;
      $('retry-info').textContent = c.retryInfo;
    }
  }

  function renderError(s) {
    const message = localError ?? s.error?.message ?? null;
    $('error').hidden = !message;
    $('error-message').textContent = message ?? '';
  }

  function renderDevices(s) {
    const select = $('device');
    const options = deviceOptions(s);
    const signature = JSON.stringify(options);
    if (select.dataset.signature !== signature && doc.activeElement !== select) {
      select.replaceChildren(
        ...options.map(({ value, label }) => {
          const option = doc.createElement('option');
          option.value = value;
          option.textContent = label;
          return option;
        }),
      );
      select.dataset.signature = signature;
    }
    if (doc.activeElement !== select) select.value = s.chosenDevice ?? '';
    $('refresh-devices').disabled = s.discovering;
    $('refresh-devices').textContent = s.discovering ? 'Searching…' : 'Find';
    renderNoDevice(s);
  }

  /** No TV found: say so, and put "Play here" first. */
  function renderNoDevice(s) {
    const box = $('no-device');
    box.hidden = !noDeviceFound(s);
    if (box.hidden) return;
    const t = playHereTorrent(s);
    const m = t ? torrentModel(t, s) : null;
    const text = m
      ? `Play “${m.name}” in this browser instead, or enter the TV’s address below.`
      : 'Check that the TV is on and on this network, or enter its address below.';
    if ($('no-device-text').textContent !== text) $('no-device-text').textContent = text;
    const button = $('play-here');
    button.hidden = !m;
    button.dataset.torrent = m?.id ?? '';
    button.setAttribute('aria-label', m?.playHereLabel ?? 'Play here');
  }

  function renderPlayer(s) {
    const p = playerModel(s, now());
    const section = $('player');
    section.hidden = !p || s.host.state !== 'connected';
    if (!p) {
      section.dataset.playerState = '';
      return null;
    }
    section.dataset.playerState = p.playerState;
    $('player-title').textContent = p.title;
    $('player-device').textContent = p.device;
    $('player-state').textContent = p.stateLabel;
    const toggle = $('pause');
    toggle.textContent = p.toggleLabel;
    toggle.dataset.action = p.toggleAction ?? '';
    toggle.setAttribute('aria-label', p.toggleAction === 'pause' ? 'Pause' : 'Play');
    toggle.disabled = toggleBusy || !p.toggleAction;
    $('back30').disabled = !p.canSkip;
    $('fwd30').disabled = !p.canSkip;
    $('stop').disabled = !p.canStop;
    const seek = $('seek');
    seek.disabled = !p.canSeek;
    if (!editing(seek)) {
      seek.max = String(Math.floor(p.duration ?? 0));
      seek.value = String(Math.floor(p.position ?? 0));
      $('position').textContent = formatTime(p.position ?? 0);
    }
    seek.setAttribute('aria-valuetext', `${formatTime(p.position ?? 0)} of ${formatTime(p.duration ?? NaN)}`);
    $('duration').textContent = formatTime(p.duration ?? NaN);
    const volume = $('volume');
    volume.disabled = !p.canVolume || p.volume === null;
    if (!editing(volume) && p.volume !== null) {
      volume.value = String(p.volume);
      $('volume-value').textContent = `${p.volume}%`;
    }
    const mute = $('mute');
    mute.disabled = !p.canVolume;
    mute.textContent = p.muted ? 'Unmute' : 'Mute';
    mute.setAttribute('aria-pressed', String(p.muted));
    renderVerdict(p);
    renderResume(p);
    renderSubtitles(p);
    return p;
  }

  function renderVerdict(p) {
    const line = $('player-verdict');
    line.hidden = !p.verdict;
    line.dataset.plan = p.verdict?.plan ?? '';
    const text = p.verdict?.text ?? '';
    if (line.textContent !== text) line.textContent = text;
  }

  function renderResume(p) {
    const offer = p.resumedAt === null ? null : `${p.device}@${p.resumedAt}`;
    if (offer !== startedOver) startedOver = null;
    $('resume').hidden = offer === null || offer === startedOver;
    $('resume-text').textContent = p.resumedText;
  }

  function renderSubtitles(p) {
    const row = $('subtitles-row');
    const select = $('subtitles');
    row.hidden = !p.subtitles;
    if (!p.subtitles) return;
    select.disabled = !p.canSubtitles;
    const signature = JSON.stringify(p.subtitles.options);
    if (select.dataset.signature !== signature && doc.activeElement !== select) {
      select.replaceChildren(
        ...p.subtitles.options.map(({ value, label }) => {
          const option = doc.createElement('option');
          option.value = value;
          option.textContent = label;
          return option;
        }),
      );
      select.dataset.signature = signature;
    }
    // The daemon's `active_tracks` is the truth, except just after the user chose.
    if (!editing(select)) select.value = p.subtitles.value;
  }

  function renderPending(s) {
    const list = $('pending');
    // A magnet the daemon already lists (fetching its metadata) shows as its torrent row only.
    const shown = s.pending.filter((p) => !p.torrent || !s.torrents.some((t) => t.id === p.torrent));
    list.replaceChildren(
      ...shown.map((p) => {
        const li = doc.createElement('li');
        li.dataset.testid = 'pending';
        li.textContent = `Adding ${p.label}… ${p.kind === 'magnet' ? '(fetching metadata)' : '(downloading the .torrent)'}`;
        return li;
      }),
    );
  }

  function torrentItem(id) {
    let li = items.get(id);
    if (!li) {
      li = $('torrent-template').content.firstElementChild.cloneNode(true);
      li.dataset.torrent = id;
      items.set(id, li);
    }
    return li;
  }

  function renderFiles(li, m) {
    const row = li.querySelector('.file-row');
    row.hidden = !(m.fileCount > 1) || !(state.host.state === 'connected');
    if (row.hidden) return;
    const known = m.files ?? fileLists.get(m.id);
    if (!known) {
      loadFiles(m.id);
      return;
    }
    if (known === 'loading' || known.length === 0) {
      row.hidden = true;
      return;
    }
    const select = li.querySelector('.file-select');
    const signature = `${known.length}:${m.selected}`;
    if (select.dataset.signature !== signature && doc.activeElement !== select) {
      select.replaceChildren(
        ...known.map((f) => {
          const option = doc.createElement('option');
          option.value = String(f.index);
          option.textContent = `${f.path} (${f.kind})`;
          return option;
        }),
      );
      select.dataset.signature = signature;
      if (m.selected !== null && m.selected !== undefined) select.value = String(m.selected);
    }
  }

  function renderKeep(li, m) {
    const button = li.querySelector('.keep-torrent');
    button.hidden = !m.canKeep;
    button.disabled = keeping.has(m.id);
    button.textContent = keeping.has(m.id) ? 'Keeping…' : 'Keep';
    button.setAttribute('aria-label', m.keepLabel);
    li.querySelector('.kept-mark').hidden = !m.kept;
    const note = keptNotes.get(m.id);
    if (note && note.until <= now()) keptNotes.delete(m.id);
    const text = note && note.until > now() ? note.text : '';
    const box = li.querySelector('.keep-note');
    if (box.textContent !== text) box.textContent = text;
  }

  function renderWarning(li, m) {
    li.classList.toggle('has-warning', Boolean(m.warning));
    const text = m.warning ? `Warning: ${m.warning}` : '';
    const box = li.querySelector('.torrent-warning');
    // Set only when it changes: a live region re-announces every write, and progress comes often.
    if (box.textContent !== text) box.textContent = text;
    const lift = li.querySelector('.lift-cap');
    lift.hidden = !m.canLiftCap;
    lift.disabled = liftingCap;
    lift.textContent = liftingCap ? 'Lifting…' : 'Lift cap';
  }

  function renderTorrents(s) {
    const list = $('torrents');
    const wanted = [];
    const noTv = noDeviceFound(s);
    for (const t of s.torrents) {
      const m = torrentModel(t, s);
      const li = torrentItem(t.id);
      li.dataset.torrentState = m.state;
      li.querySelector('.name').textContent = m.name;
      li.querySelector('.name').title = m.name;
      li.querySelector('.state').textContent = m.stateLabel;
      const bar = li.querySelector('.progress');
      bar.value = m.fraction;
      bar.setAttribute('aria-label', `${m.name}: ${m.percent} downloaded`);
      li.querySelector('.percent').textContent = m.percent;
      li.querySelector('.size').textContent = m.size;
      li.querySelector('.speed').textContent = m.speed;
      li.querySelector('.peers').textContent = m.peers;
      li.querySelector('.buffer').textContent = m.buffer;
      const err = li.querySelector('.torrent-error');
      err.hidden = !m.error;
      err.textContent = m.error ?? '';
      li.querySelector('.on-device').textContent = m.onDevice;
      li.querySelector('.cast-torrent').hidden = !m.canCast;
      const playHereButton = li.querySelector('.play-here');
      playHereButton.hidden = !m.playerUrl;
      playHereButton.setAttribute('aria-label', m.playHereLabel);
      // With no TV to cast to, playing here is the way to watch: it gets the prominent look.
      playHereButton.classList.toggle('primary', noTv);
      playHereButton.classList.toggle('ghost', !noTv);
      renderWarning(li, m);
      renderKeep(li, m);
      renderFiles(li, m);
      wanted.push(li);
    }
    for (const [id, li] of items) {
      if (!s.torrents.some((t) => t.id === id)) {
        items.delete(id);
        keptNotes.delete(id);
        li.remove();
      }
    }
    // Re-append only when the order changed, so focus inside an item is not lost.
    const same = wanted.length === list.children.length && wanted.every((li, i) => list.children[i] === li);
    if (!same) list.replaceChildren(...wanted);
  }

  function announce(s, p) {
    const text = announcement(s, p);
    if (text !== announced) {
      announced = text;
      $('status').textContent = text;
    }
  }

  function render(next) {
    state = next;
    renderPanels(next);
    renderError(next);
    renderDevices(next);
    const p = renderPlayer(next);
    renderPending(next);
    renderTorrents(next);
    announce(next, p);
    if (next.host.state === 'connected' && !discoveryStarted && next.devicesAt === null && !next.discovering) {
      discoveryStarted = true;
      run(call('discoverDevices'));
    }
  }

  /** Moves the clock and the retry countdown between snapshots. */
  function tick() {
    if (!state) return;
    renderPlayer(state);
    // A keep note goes when its time is up.
    if (keptNotes.size) renderTorrents(state);
    if (app.dataset.state === 'not-installed' || app.dataset.state === 'disconnected') renderPanels(state);
  }

  return { render, tick };
}

// What the popup shows, derived from the background's state snapshot. Pure functions, so the
// rules (which panel, which labels, what the play/pause button does) are tested without a DOM.

import { bufferInfo, formatBytes, formatDuration, formatPercent, formatSpeed, formatTime } from '../lib/format.js';
import { fileNameOf } from '../lib/links.js';

/** The popup's top-level state, also exposed as `#app[data-state]` for tests and CSS. */
export function appState(state) {
  switch (state.host.state) {
    case 'not_installed':
    case 'forbidden':
      return 'not-installed';
    case 'disconnected':
      return 'disconnected';
    case 'connected':
      return state.torrents.length + state.pending.length + state.casts.length === 0 ? 'empty' : 'active';
    default:
      return 'connecting';
  }
}

/**
 * How each connection state (`host.state`) is put into words, for the popup and the options page:
 * `label` in the popup's header, `announce` in its live region, `page` on the options page (null:
 * "Not connected" with the browser's message), and for the states the connection panel shows, its
 * `title`, `message` and whether it offers the install command.
 */
const CONNECTION_TEXT = Object.freeze({
  __proto__: null,
  connecting: {
    label: 'Connecting…',
    announce: 'Connecting to magnetcast',
    page: 'Connecting to magnetcast…',
  },
  connected: {
    label: 'Connected',
    announce: 'Connected',
    announceEmpty: 'Connected. Nothing is casting.',
    page: null,
  },
  not_installed: {
    label: 'Not installed',
    announce: 'magnetcast is not installed',
    page: 'magnetcast is not installed: run `magnetcast install`, then reopen this page.',
    title: 'magnetcast is not installed',
    message: 'This extension needs the magnetcast program on this computer. Install it, then register it with your browsers by running this in a terminal:',
    showInstall: true,
  },
  forbidden: {
    label: 'Not installed',
    announce: 'magnetcast is not installed',
    page: null,
    title: 'magnetcast does not know this extension yet',
    message: 'magnetcast is installed but does not allow this extension. Run this in a terminal:',
    showInstall: true,
  },
  disconnected: {
    label: 'Not connected',
    announce: 'Not connected to magnetcast',
    page: null,
    title: 'Lost the connection to magnetcast',
    message: 'The magnetcast helper stopped or could not start its background service.',
    showInstall: false,
  },
});

/** The words for a host status; an unknown state reads as connecting, as appState has it. */
export function connectionText(host) {
  return CONNECTION_TEXT[host?.state] ?? CONNECTION_TEXT.connecting;
}

/** The connection panel (host not installed, not allowed, or lost). */
export function connectionModel(host, now = Date.now()) {
  const retryIn = host.retryAt ? Math.max(0, Math.ceil((host.retryAt - now) / 1000)) : null;
  const text = CONNECTION_TEXT[host.state]?.title ? CONNECTION_TEXT[host.state] : CONNECTION_TEXT.disconnected;
  let retryInfo = '';
  if (host.trying) retryInfo = 'Trying to reach magnetcast…';
  else if (retryIn !== null) retryInfo = `Trying again by itself in ${retryIn} s.`;
  return {
    retryLabel: host.trying ? 'Retrying…' : 'Retry',
    retryDisabled: Boolean(host.trying),
    retryInfo,
    showInstall: text.showInstall,
    title: text.title,
    message: text.message,
    detail: host.message ?? '',
  };
}

/** What the popup's live region says: the connection, or what plays where. */
export function announcement(state, player) {
  const text = connectionText(state.host);
  if (state.host.state !== 'connected') return text.announce;
  if (player) return `${player.stateLabel} on ${player.device}`;
  return appState(state) === 'empty' ? text.announceEmpty : text.announce;
}

/** The options page's line about the daemon while it is not connected: `{text, kind}`. */
export function pageStatus(host) {
  const text = CONNECTION_TEXT[host.state]?.page ?? `Not connected to magnetcast${host.message ? `: ${host.message}` : ''}.`;
  return { text, kind: host.state === 'connecting' ? '' : 'error' };
}

const PLAYER_LABELS = {
  PLAYING: 'Playing',
  PAUSED: 'Paused',
  BUFFERING: 'Buffering…',
  LOADING: 'Loading…',
};

const IDLE_LABELS = {
  FINISHED: 'Finished',
  ERROR: 'Playback error',
  CANCELLED: 'Stopped',
  INTERRUPTED: 'Interrupted',
};

/** The cast the controls act on: the chosen device's, else one playing a known torrent. */
export function activeCast(state) {
  return (
    state.casts.find((c) => c.device === state.chosenDevice) ??
    state.casts.find((c) => c.torrent && c.player_state) ??
    state.casts.find((c) => c.torrent) ??
    state.casts[0] ??
    null
  );
}

/** Where the playhead is now: the last reported position plus the time since, while playing. */
export function currentPosition(cast, now = Date.now()) {
  if (!Number.isFinite(cast?.position)) return null;
  let position = cast.position;
  if (cast.player_state === 'PLAYING' && Number.isFinite(cast.receivedAt)) {
    position += Math.max(0, now - cast.receivedAt) / 1000;
  }
  return Number.isFinite(cast.duration) && cast.duration > 0 ? Math.min(position, cast.duration) : position;
}

function playerStateLabel(cast) {
  if (cast.link === 'connecting') return 'Connecting…';
  if (cast.link === 'reconnecting') return `Reconnecting…${cast.reason ? ` (${cast.reason})` : ''}`;
  if (!cast.player_state) return cast.app ? 'Starting…' : 'Connected';
  if (cast.player_state === 'IDLE') return IDLE_LABELS[cast.idle_reason] ?? 'Idle';
  return PLAYER_LABELS[cast.player_state] ?? cast.player_state;
}

/** What the daemon's verdict leads with when its sentence does not say it already. */
const PLAN_LEADS = Object.freeze({
  __proto__: null,
  direct: 'plays directly',
  remux: 'needs a remux',
  transcode: 'needs a transcode',
  unplayable: 'cannot play',
});

/**
 * How the media reaches the device, in the daemon's words (`{plan, reason}`): `{plan, text,
 * error}`, `error` when it cannot play. The daemon's sentences mostly begin with what happens
 * ("needs a remux: Matroska is not…"); one that does not ("the device refused the file…") gets the
 * plan's words in front. Null without a verdict.
 */
export function verdictModel(verdict) {
  if (!verdict || typeof verdict.plan !== 'string') return null;
  const reason = typeof verdict.reason === 'string' ? verdict.reason.trim() : '';
  const lead = PLAN_LEADS[verdict.plan] ?? verdict.plan;
  let text = lead;
  if (/^[a-z]+( [a-z]+){0,3}: /i.test(reason)) text = reason;
  else if (reason) text = `${lead}: ${reason}`;
  return { plan: verdict.plan, text: text.charAt(0).toUpperCase() + text.slice(1), error: verdict.plan === 'unplayable' };
}

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A subtitle track's name in the picker: `English (en)`, `film.srt`, `Track 3`. */
function trackLabel(track) {
  const name = typeof track.name === 'string' && track.name.trim() ? track.name.trim() : `Track ${track.id}`;
  const language = typeof track.language === 'string' ? track.language.trim() : '';
  // `film.en.srt` says its language already; `English`, `Français` do not say the code.
  const named = language && new RegExp(`(^|[^\\p{L}])${escapeRegExp(language)}($|[^\\p{L}])`, 'iu').test(name);
  return language && !named ? `${name} (${language})` : name;
}

/**
 * The subtitle picker for a cast: `Off` and each track the media offers (`options`, values are
 * track ids as text, '' = off), and the one on (`value`). Null when the media has no tracks.
 */
export function subtitleModel(cast) {
  const tracks = Array.isArray(cast?.tracks) ? cast.tracks.filter((t) => Number.isInteger(t?.id)) : [];
  if (tracks.length === 0) return null;
  const on = (cast.active_tracks ?? []).find((id) => tracks.some((t) => t.id === id));
  return {
    options: [{ value: '', label: 'Off' }, ...tracks.map((t) => ({ value: String(t.id), label: trackLabel(t) }))],
    value: on === undefined ? '' : String(on),
  };
}

export function playerModel(state, now = Date.now()) {
  const cast = activeCast(state);
  if (!cast) return null;
  const torrent = state.torrents.find((t) => t.id === cast.torrent) ?? null;
  const linked = cast.link === 'connected';
  const playing = cast.player_state === 'PLAYING' || cast.player_state === 'BUFFERING';
  const paused = cast.player_state === 'PAUSED';
  let toggleAction = null;
  if (linked && playing) toggleAction = 'pause';
  else if (linked && paused) toggleAction = 'resume';
  else if (linked && torrent) toggleAction = 'play';
  const hasMedia = linked && (playing || paused);
  const duration = Number.isFinite(cast.duration) && cast.duration > 0 ? cast.duration : null;
  return {
    device: cast.device,
    torrent: torrent?.id ?? null,
    title: torrent?.name ?? fileNameOf(cast.media_url) ?? cast.app ?? 'Cast device',
    playerState: cast.player_state ?? (linked ? 'CONNECTED' : cast.link.toUpperCase()),
    stateLabel: playerStateLabel(cast),
    toggleLabel: toggleAction === 'pause' ? 'Pause' : 'Play',
    toggleAction,
    position: currentPosition(cast, now),
    duration,
    canSeek: hasMedia && duration !== null,
    canSkip: hasMedia,
    canStop: linked || cast.link === 'reconnecting',
    volume: Number.isFinite(cast.volume) ? Math.round(cast.volume * 100) : null,
    muted: Boolean(cast.muted),
    canVolume: linked,
    verdict: verdictModel(cast.verdict),
    subtitles: subtitleModel(cast),
    canSubtitles: linked,
    // `play` resumed where the viewer left off: offered to start over until a seek or the end.
    resumedAt: cast.resumedAt > 0 ? cast.resumedAt : null,
    resumedText: cast.resumedAt > 0 ? `Resumed at ${formatTime(cast.resumedAt)}` : '',
  };
}

/**
 * No TV to cast to: discovery found none, and nothing chosen, configured or casting. The popup
 * then offers "Play here" (the browser's own player) first.
 */
export function noDeviceFound(state) {
  return (
    state.host.state === 'connected' &&
    !state.discovering &&
    state.devicesAt !== null &&
    state.devices.length === 0 &&
    !state.chosenDevice &&
    !state.defaultDevice &&
    state.casts.length === 0
  );
}

/** The torrent "Play here" in the no-TV notice opens: the newest one that can be played here. */
export function playHereTorrent(state) {
  return state.torrents.findLast((t) => t.playerUrl) ?? null;
}

const TORRENT_LABELS = {
  fetching_metadata: 'Fetching metadata',
  starting: 'Starting',
  initializing: 'Checking files',
  downloading: 'Downloading',
  streaming: 'Streaming',
  seeding: 'Seeding',
  finished: 'Done',
  paused: 'Paused',
  error: 'Error',
  queued: 'Queued',
};

export function torrentModel(t, state) {
  const p = t.progress;
  const cast = state.casts.find((c) => c.torrent === t.id) ?? null;
  const total = p?.total ?? t.file?.length ?? 0;
  const downloaded = p?.downloaded ?? 0;
  const ahead = bufferInfo(p, cast?.duration);
  let buffer = '';
  if (ahead?.complete) buffer = 'All downloaded';
  else if (ahead) buffer = `${formatBytes(ahead.bytes)} buffered ahead${ahead.seconds !== null ? ` (≈ ${formatDuration(ahead.seconds)})` : ''}`;
  // Before its first progress event a torrent with a name has its metadata; one without does not.
  const state_ = p?.state ?? (t.name ? 'starting' : 'fetching_metadata');
  let stateLabel = TORRENT_LABELS[state_] ?? state_;
  if (p?.reason && (state_ === 'finished' || state_ === 'paused' || state_ === 'error')) stateLabel += ` (${p.reason})`;
  const name = t.name ?? `Torrent ${t.id.slice(0, 12)}…`;
  return {
    id: t.id,
    name,
    state: state_,
    stateLabel,
    fraction: total > 0 ? Math.min(1, downloaded / total) : 0,
    percent: formatPercent(downloaded, total),
    size: total > 0 ? `${formatBytes(downloaded)} of ${formatBytes(total)}` : '',
    speed: p ? `↓ ${formatSpeed(p.down_bps)}  ↑ ${formatSpeed(p.up_bps)}` : '',
    peers: p ? `${p.peers} ${p.peers === 1 ? 'peer' : 'peers'}` : '',
    buffer,
    error: t.error ?? null,
    // What stops nothing by itself but the viewer should know; gone when the progress drops it.
    warning: p?.warning ?? null,
    // The daemon words its warnings; the one about the download cap can be lifted from here.
    canLiftCap: typeof p?.warning === 'string' && /\bdownload cap\b/i.test(p.warning),
    onDevice: cast ? `On ${cast.device}` : '',
    // Unknown before the first progress (and nothing to keep before the metadata): neither shows.
    kept: Boolean(p?.kept),
    canKeep: Boolean(p) && !p.kept && state_ !== 'fetching_metadata',
    keepLabel: `Keep ${name} in Downloads`,
    // Nothing to play before the metadata names the files.
    canCast: state_ !== 'fetching_metadata' && (!cast || cast.player_state === 'IDLE' || !cast.player_state),
    // The browser's own player (a page the daemon serves on this computer), for when no TV is at hand.
    playerUrl: t.playerUrl ?? null,
    playHereLabel: `Play ${name} here, in this browser`,
    fileCount: t.fileCount ?? 0,
    files: t.files,
    selected: t.selected,
  };
}

/** What a torrent's row says for a while after `keep` answered (`{torrent, path, moving}`). */
export function keptNote(result) {
  return result?.moving ? 'Kept — moves to Downloads when playback ends' : `Kept in Downloads${result?.path ? `: ${result.path}` : ''}`;
}

/** The device picker's entries: automatic first, then discovered devices, then a manual choice. */
export function deviceOptions(state) {
  const auto = state.defaultDevice ? `${state.defaultDevice} (default)` : 'First device found';
  const options = [{ value: '', label: auto }];
  const seen = new Set(['']);
  for (const d of state.devices) {
    if (seen.has(d.name)) continue;
    seen.add(d.name);
    const extra = [d.model, d.group ? 'group' : null].filter(Boolean).join(', ');
    options.push({ value: d.name, label: extra ? `${d.name} (${extra})` : d.name });
  }
  if (state.chosenDevice && !seen.has(state.chosenDevice)) {
    options.push({ value: state.chosenDevice, label: state.chosenDevice });
  }
  return options;
}

/** A typed device address: `host`, `host:port`, `[v6]`, `[v6]:port`. */
export function isDeviceAddress(text) {
  const value = text.trim();
  return /^[a-z0-9.-]+(:\d{1,5})?$/i.test(value) || /^\[[0-9a-f:.]+\](:\d{1,5})?$/i.test(value) || /^[0-9a-f:]+:[0-9a-f:]*$/i.test(value);
}

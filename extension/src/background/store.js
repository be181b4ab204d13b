// The last known state, kept in the background so a popup opened at any time shows everything at
// once: torrents by id (latest progress and metadata), casts by device, what each device was last
// asked to play, adds still in flight, the last error, and the device choice. It only applies facts; deciding what to do with them
// (notifications, badge) belongs to the modules that subscribe to it.

import { INITIAL_STATUS } from './native-port.js';

export class StateStore {
  #now;
  #listeners = new Set();
  #host = { ...INITIAL_STATUS };
  #torrents = new Map();
  #casts = new Map();
  /** Stream paths (`/s/<token>/<file>`, `/r/…` converted) the daemon gave out, → torrent id. */
  #mediaPaths = new Map();
  /** What `play` (or `add` with a device) answered, by device: `{torrent, url, startAt}`. */
  #played = new Map();
  #pending = new Map();
  #nextPending = 1;
  #error = null;
  #devices = [];
  #devicesAt = null;
  #discovering = false;
  #chosenDevice = null;
  #defaultDevice = null;
  #settingsLoaded = false;

  constructor({ now = Date.now } = {}) {
    this.#now = now;
  }

  subscribe(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed() {
    const snapshot = this.snapshot();
    for (const listener of this.#listeners) listener(snapshot);
  }

  #torrent(id) {
    let t = this.#torrents.get(id);
    if (!t) {
      t = {
        id,
        name: null,
        progress: null,
        files: null,
        fileCount: null,
        selected: null,
        file: null,
        streamPath: null,
        playerUrl: null,
        completed: false,
        error: null,
      };
      this.#torrents.set(id, t);
    }
    return t;
  }

  setHost(status) {
    this.#host = { ...status };
    this.#changed();
  }

  /** One host event message (`{"v":1,"event":…}`). Unknown kinds are ignored, not fatal. */
  applyEvent(message) {
    switch (message.event) {
      case 'added': {
        const t = this.#torrent(message.torrent);
        if (message.name) t.name = message.name;
        break;
      }
      case 'metadata': {
        const t = this.#torrent(message.torrent);
        t.name = message.name;
        t.files = message.files;
        t.fileCount = message.file_count;
        t.selected = message.selected;
        t.file = message.files.find((f) => f.index === message.selected) ?? t.file;
        break;
      }
      case 'progress': {
        const { v: _v, event: _e, ...progress } = message;
        const t = this.#torrent(progress.torrent);
        this.#setProgress(t, progress);
        if (progress.state !== 'error') t.error = null;
        break;
      }
      case 'completed':
        this.#torrent(message.torrent).completed = true;
        break;
      case 'error':
        // A torrent's warning is also said once as an error event (for the notification); the
        // popup shows it as the warning it is, not a second time as an error.
        if (message.torrent && this.#torrents.get(message.torrent)?.progress?.warning === message.message) return;
        if (message.torrent) this.#torrent(message.torrent).error = message.message;
        this.#error = { message: message.message, torrent: message.torrent ?? null, at: this.#now() };
        break;
      case 'removed':
        this.#forget(message.torrent);
        break;
      case 'cast':
        this.#applyCast(message);
        break;
      default:
        return;
    }
    this.#changed();
  }

  #applyCast(message) {
    const { v: _v, event: _e, ...status } = message;
    if (status.link === 'closed') {
      this.#casts.delete(status.device);
      this.#played.delete(status.device);
      return;
    }
    this.#casts.set(status.device, { ...status, receivedAt: this.#now() });
    // Ended, stopped or failed: there is no longer a resumed playback to start over.
    if (status.player_state === 'IDLE' && status.idle_reason) this.clearResume(status.device, { quiet: true });
  }

  #forget(id) {
    this.#torrents.delete(id);
    for (const [path, torrent] of this.#mediaPaths) if (torrent === id) this.#mediaPaths.delete(path);
    for (const [device, played] of this.#played) if (played.torrent === id) this.#played.delete(device);
  }

  /**
   * A torrent's latest progress. Its `warning` (the download cap is below what playback needs) may
   * also have come as an error event just before it: that error goes, here or when the warning
   * does, so the error banner, the row and the badge do not keep saying it.
   */
  #setProgress(t, progress) {
    const before = t.progress?.warning;
    t.progress = progress;
    for (const text of [before, progress.warning]) {
      if (!text) continue;
      if (t.error === text) t.error = null;
      if (this.#error?.torrent === t.id && this.#error.message === text) this.#error = null;
    }
  }

  /** The `status` reply: every torrent's progress and every cast. It replaces what we had. */
  applyStatus(result) {
    const seen = new Set();
    for (const progress of result?.torrents ?? []) {
      seen.add(progress.torrent);
      this.#setProgress(this.#torrent(progress.torrent), progress);
    }
    for (const id of [...this.#torrents.keys()]) {
      if (!seen.has(id)) this.#forget(id);
    }
    this.#casts.clear();
    for (const cast of result?.casts ?? []) this.#applyCast(cast);
    this.#changed();
  }

  /** The `list` reply: names, selected files and stream URLs. */
  applyList(result) {
    for (const entry of result?.torrents ?? []) this.#describe(entry);
    this.#changed();
  }

  /** The reply of `add`, `select_file`: one torrent described. */
  applyDescribed(result) {
    if (result?.torrent) {
      this.#describe(result);
      this.#changed();
    }
  }

  #describe(entry) {
    const t = this.#torrent(entry.torrent);
    if (entry.name) t.name = entry.name;
    if (entry.file) {
      t.file = entry.file;
      t.selected = entry.file.index;
    }
    if (Number.isInteger(entry.file_count)) t.fileCount = entry.file_count;
    const path = pathOf(entry.stream_url);
    if (path) {
      t.streamPath = path;
      this.#mediaPaths.set(path, t.id);
    }
    if (isWebUrl(entry.player_url)) t.playerUrl = entry.player_url;
  }

  /**
   * Whether `add` or `list` described the torrent (its stream and "Play here" addresses), or an
   * `add` of ours for it is under way and will.
   */
  isDescribed(id) {
    const t = this.#torrents.get(id);
    return Boolean(t?.streamPath || t?.playerUrl) || [...this.#pending.values()].some((p) => p.torrent === id);
  }

  /**
   * What `play` answered for `torrent` (`{device, stream_url, start_at, …}`; also `add`'s `cast`).
   * Every `play` publishes the stream under a new token, so its path is what ties the device's
   * cast to the torrent; `start_at` > 0 means the video resumed where it was left.
   */
  applyPlayed(torrent, result) {
    if (!result?.device || typeof torrent !== 'string') return;
    const path = pathOf(result.stream_url);
    if (path && this.#torrents.has(torrent)) this.#mediaPaths.set(path, torrent);
    const startAt = Number.isFinite(result.start_at) && result.start_at > 0 ? result.start_at : 0;
    this.#played.set(result.device, { torrent, url: result.stream_url ?? null, startAt });
    this.#changed();
  }

  /** After a seek (Start over among them) the resume offer goes; no `device`: every device's. */
  clearResume(device, { quiet = false } = {}) {
    let changed = false;
    for (const [name, played] of this.#played) {
      if ((device && name !== device) || !played.startAt) continue;
      played.startAt = 0;
      changed = true;
    }
    if (changed && !quiet) this.#changed();
  }

  /** After `stop` the daemon forgets the device session; it may not send a closing event. */
  removeCast(device) {
    const played = this.#played.delete(device);
    if (this.#casts.delete(device) || played) this.#changed();
  }

  /** `torrent`: the info hash when the link tells it, so the popup can merge the two rows. */
  addPending(label, kind, torrent = null) {
    const key = this.#nextPending++;
    this.#pending.set(key, { key, label, kind, torrent, startedAt: this.#now() });
    this.#changed();
    return key;
  }

  removePending(key) {
    if (this.#pending.delete(key)) this.#changed();
  }

  setError(message, torrent = null) {
    this.#error = { message, torrent, at: this.#now() };
    this.#changed();
  }

  clearError() {
    if (this.#error) {
      this.#error = null;
      this.#changed();
    }
  }

  setDevices(devices) {
    this.#devices = Array.isArray(devices) ? devices : [];
    this.#devicesAt = this.#now();
    this.#changed();
  }

  setDiscovering(discovering) {
    this.#discovering = discovering;
    this.#changed();
  }

  setChosenDevice(name) {
    this.#chosenDevice = name || null;
    this.#changed();
  }

  get chosenDevice() {
    return this.#chosenDevice;
  }

  setSettings(settings) {
    this.#defaultDevice = settings?.default_device || null;
    this.#settingsLoaded = true;
    this.#changed();
  }

  /** Whether defaultDevice reflects the daemon's config (false until settings_get answered). */
  get settingsLoaded() {
    return this.#settingsLoaded;
  }

  get defaultDevice() {
    return this.#defaultDevice;
  }

  /** A torrent's name, or null while it is unknown (or the torrent is). */
  nameOf(id) {
    return this.#torrents.get(id)?.name ?? null;
  }

  /** Which torrent a cast is playing: its media URL has a stream path the daemon gave for it. */
  torrentForMedia(mediaUrl) {
    const path = pathOf(mediaUrl);
    if (!path) return null;
    const known = this.#mediaPaths.get(path);
    if (known && this.#torrents.has(known)) return known;
    for (const t of this.#torrents.values()) {
      if (t.streamPath === path) return t.id;
    }
    return null;
  }

  /**
   * The `play` answer that still describes what `cast` shows: the same stream, or the converted
   * one the daemon switched to when the device refused the file (same token or same file stem).
   */
  #playedFor(cast) {
    const played = this.#played.get(cast.device);
    if (!played || !this.#torrents.has(played.torrent)) return null;
    return !cast.media_url || !played.url || sameMedia(played.url, cast.media_url) ? played : null;
  }

  /** A plain copy for the popup and the other subscribers (it crosses postMessage). */
  snapshot() {
    return {
      host: { ...this.#host },
      torrents: [...this.#torrents.values()].map((t) => ({ ...t })),
      casts: [...this.#casts.values()].map((c) => {
        const played = this.#playedFor(c);
        return {
          ...c,
          torrent: this.torrentForMedia(c.media_url) ?? played?.torrent ?? null,
          // Where `play` resumed it, until a seek, the end, or another video.
          resumedAt: played?.startAt || null,
        };
      }),
      pending: [...this.#pending.values()].map((p) => ({ ...p })),
      error: this.#error ? { ...this.#error } : null,
      devices: this.#devices.map((d) => ({ ...d })),
      devicesAt: this.#devicesAt,
      discovering: this.#discovering,
      chosenDevice: this.#chosenDevice,
      defaultDevice: this.#defaultDevice,
    };
  }
}

function pathOf(url) {
  if (typeof url !== 'string' || !url) return null;
  try {
    return new URL(url).pathname;
  } catch {
    return null;
  }
}

/** Only web addresses are ever opened from the popup. */
function isWebUrl(url) {
  try {
    return /^https?:$/.test(new URL(url).protocol);
  } catch {
    return false;
  }
}

/**
 * Whether two stream URLs serve one video: `/s/<token>/film.mkv`, and `/r/<token2>/film.mp4`
 * when the daemon converts it after the device refused the file.
 */
function sameMedia(a, b) {
  const [pa, pb] = [pathOf(a), pathOf(b)];
  if (!pa || !pb) return false;
  if (pa === pb) return true;
  const [, , tokenA, ...restA] = pa.split('/');
  const [, , tokenB, ...restB] = pb.split('/');
  const stem = (rest) => rest.join('/').replace(/\.[^./]*$/, '');
  return tokenA === tokenB || (stem(restA) !== '' && stem(restA) === stem(restB));
}

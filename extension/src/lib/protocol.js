// The extension's side of the one protocol (native-host/src/protocol.rs; JSON Schema in
// native-host/protocol.schema.json). Builders return a request's body without `v`/`id`; the
// native port adds those. They refuse what the daemon would refuse (its Command enum denies unknown
// fields), so a mistake shows up in the extension's tests rather than as a bad_request at run time.

const PROTOCOL_VERSION = 1;
export const HOST_NAME = 'org.magnetcast.host';

/** Every cmd the daemon knows; the background forwards only these from its own pages. */
export const COMMANDS = Object.freeze([
  'add',
  'list',
  'status',
  'files',
  'select_file',
  'play',
  'pause',
  'resume',
  'seek',
  'volume',
  'stop',
  'subtitles',
  'subtitles_add',
  'set_seeding',
  'keep',
  'remove',
  'devices',
  'settings_get',
  'settings_set',
  'interfaces',
]);

/** Settings the browser may change (config.toml keys). Others stay CLI-only on purpose. */
export const SETTINGS_KEYS = Object.freeze([
  'download_dir',
  'download_limit',
  'upload_limit',
  'seed_ratio',
  'seed_time_secs',
  'bind_interface',
  'default_device',
  'stream_host',
  'cache_dir',
  'cache_limit',
  'stay_awake',
  'subtitle_language',
  'audio_passthrough',
]);

function body(cmd, fields) {
  const out = { cmd };
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function need(condition, message) {
  if (!condition) throw new TypeError(message);
}

const isText = (v) => typeof v === 'string' && v.length > 0;
const optText = (v) => v === undefined || v === null || isText(v);
const isIndex = (v) => Number.isSafeInteger(v) && v >= 0;
/** A subtitle track id (the cast's `tracks[].id`, a u32 in the daemon). */
const isTrack = (v) => isIndex(v) && v <= 0xffffffff;
const optDevice = (device) => {
  need(optText(device), 'device must be a non-empty string');
  return device ?? undefined;
};

export const commands = {
  /** Exactly one of `source` (magnet, info hash, URL) and `torrentBase64`. */
  add({ source, torrentBase64, file, device } = {}) {
    need(isText(source) !== isText(torrentBase64), 'add needs exactly one of source and torrentBase64');
    need(file === undefined || file === null || isText(file) || isIndex(file), 'file must be an index or a name');
    return body('add', {
      source: source || undefined,
      torrent_base64: torrentBase64 || undefined,
      file: file === undefined || file === null ? undefined : String(file),
      device: optDevice(device),
    });
  },
  list({ offset, limit } = {}) {
    need(offset === undefined || isIndex(offset), 'offset must be a non-negative integer');
    need(limit === undefined || isIndex(limit), 'limit must be a non-negative integer');
    return body('list', { offset, limit });
  },
  status({ torrent } = {}) {
    need(optText(torrent), 'torrent must be a non-empty string');
    return body('status', { torrent: torrent ?? undefined });
  },
  files({ torrent, offset, limit } = {}) {
    need(isText(torrent), 'files needs a torrent');
    need(offset === undefined || isIndex(offset), 'offset must be a non-negative integer');
    need(limit === undefined || isIndex(limit), 'limit must be a non-negative integer');
    return body('files', { torrent, offset, limit });
  },
  selectFile({ torrent, file } = {}) {
    need(isText(torrent), 'select_file needs a torrent');
    need(isIndex(file), 'select_file needs a file index');
    return body('select_file', { torrent, file });
  },
  /** `subtitles`: a track id to turn on instead of the one `subtitle_language` would pick. */
  play({ torrent, device, subtitles } = {}) {
    need(isText(torrent), 'play needs a torrent');
    need(subtitles === undefined || subtitles === null || isTrack(subtitles), 'subtitles must be a track id');
    return body('play', { torrent, device: optDevice(device), subtitles: subtitles ?? undefined });
  },
  pause({ device } = {}) {
    return body('pause', { device: optDevice(device) });
  },
  resume({ device } = {}) {
    return body('resume', { device: optDevice(device) });
  },
  /** Exactly one of `seconds` (absolute) and `by` (relative). */
  seek({ seconds, by, device } = {}) {
    const abs = Number.isFinite(seconds);
    const rel = Number.isFinite(by);
    need(abs !== rel, 'seek needs exactly one of seconds and by');
    need(!abs || seconds >= 0, 'seconds must not be negative');
    return body('seek', { seconds: abs ? seconds : undefined, by: rel ? by : undefined, device: optDevice(device) });
  },
  /** `level` 0–100 (clamped, as the daemon does) and/or `muted`. */
  volume({ level, muted, device } = {}) {
    const hasLevel = Number.isFinite(level);
    need(hasLevel || typeof muted === 'boolean', 'volume needs level (0-100) or muted');
    return body('volume', {
      level: hasLevel ? Math.min(100, Math.max(0, level)) : undefined,
      muted: typeof muted === 'boolean' ? muted : undefined,
      device: optDevice(device),
    });
  },
  stop({ device } = {}) {
    return body('stop', { device: optDevice(device) });
  },
  /** Turns subtitle track `track` on, or every track off when it is absent (or null). */
  subtitles({ track, device } = {}) {
    need(track === undefined || track === null || isTrack(track), 'track must be a track id');
    return body('subtitles', { track: track ?? undefined, device: optDevice(device) });
  },
  /** A subtitle file on this computer, offered with a torrent (the daemon reads it by path). */
  subtitlesAdd({ torrent, path } = {}) {
    need(isText(torrent), 'subtitles_add needs a torrent');
    need(isText(path), 'subtitles_add needs a file path');
    return body('subtitles_add', { torrent, path });
  },
  setSeeding({ torrent, ratio, timeSecs, followConfig } = {}) {
    need(isText(torrent), 'set_seeding needs a torrent');
    need(ratio === undefined || ratio === null || (Number.isFinite(ratio) && ratio >= 0), 'ratio must be >= 0');
    need(timeSecs === undefined || timeSecs === null || isIndex(timeSecs), 'timeSecs must be a whole number >= 0');
    return body('set_seeding', {
      torrent,
      ratio: ratio ?? undefined,
      time_secs: timeSecs ?? undefined,
      follow_config: followConfig ? true : undefined,
    });
  },
  /** Moves a torrent out of the streaming cache into download_dir, never to be evicted. */
  keep({ torrent } = {}) {
    need(isText(torrent), 'keep needs a torrent');
    return body('keep', { torrent });
  },
  remove({ torrent, deleteFiles = false } = {}) {
    need(isText(torrent), 'remove needs a torrent');
    return body('remove', { torrent, delete_files: Boolean(deleteFiles) });
  },
  devices({ timeoutSecs } = {}) {
    need(timeoutSecs === undefined || (Number.isFinite(timeoutSecs) && timeoutSecs > 0), 'timeoutSecs must be > 0');
    return body('devices', { timeout_secs: timeoutSecs });
  },
  settingsGet() {
    return body('settings_get', {});
  },
  /** Only the browser-editable keys; `null` clears a key back to its default. */
  settingsSet(settings) {
    need(settings && typeof settings === 'object' && !Array.isArray(settings), 'settings must be an object');
    const unknown = Object.keys(settings).filter((k) => !SETTINGS_KEYS.includes(k));
    need(unknown.length === 0, `not a browser setting: ${unknown.join(', ')}`);
    return body('settings_set', { settings: { ...settings } });
  },
  interfaces() {
    return body('interfaces', {});
  },
};

/** The framed message for a body: what travels over native messaging. */
export function request(id, requestBody) {
  need(Number.isSafeInteger(id) && id > 0, 'request ids are positive integers');
  need(requestBody && COMMANDS.includes(requestBody.cmd), `unknown command ${requestBody?.cmd}`);
  return { v: PROTOCOL_VERSION, id, ...requestBody };
}

/**
 * What a host message is. Replies with id 0 come from the relay itself (the daemon could not be
 * started or went away) and answer no request.
 */
export function classify(message) {
  if (!message || typeof message !== 'object') return { kind: 'invalid' };
  if (typeof message.event === 'string') return { kind: 'event', event: message.event, message };
  if (typeof message.ok === 'boolean' && Number.isSafeInteger(message.id)) {
    return message.id === 0
      ? { kind: 'relay-error', error: message.error ?? { code: 'internal', message: 'the host failed' } }
      : { kind: 'reply', id: message.id, ok: message.ok, result: message.result, error: message.error };
  }
  return { kind: 'invalid' };
}

/** An error reply from the daemon, with its code kept for callers that care. */
export class DaemonError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'DaemonError';
    this.code = code;
  }
}

// Between the daemon's settings (config.toml keys, as settings_get returns them) and the options
// form's fields: text, except checkboxes (booleans). Empty fields mean "unset" (the daemon's
// default, or no limit); only the keys that changed are sent, so a value the form cannot show is
// never overwritten by accident.

import { formatDecimalBytes } from '../lib/format.js';
import { SETTINGS_KEYS } from '../lib/protocol.js';

/** Bytes in the GB the cache limit is shown in (decimal, as the daemon's messages count MB). */
const GB = 1e9;

/** What the daemon uses when config.toml does not set a key, where the form must know it. */
const DEFAULTS = Object.freeze({ stay_awake: true, audio_passthrough: false });

/** The form's fields, from a settings object: strings, and booleans for the checkboxes. */
export function settingsToForm(settings = {}) {
  const text = (v) => (v === null || v === undefined ? '' : String(v));
  const secs = settings.seed_time_secs;
  return {
    download_dir: text(settings.download_dir),
    seed_ratio: text(settings.seed_ratio),
    // Shown in minutes; whole seconds travel.
    seed_time_minutes: secs === null || secs === undefined ? '' : String(Math.round((secs / 60) * 100) / 100),
    bind_interface: text(settings.bind_interface),
    default_device: text(settings.default_device),
    stream_host: text(settings.stream_host),
    // Shown in kB/s (1000 bytes); bytes per second travel.
    download_limit_kbs: kbs(settings.download_limit),
    upload_limit_kbs: kbs(settings.upload_limit),
    cache_dir: text(settings.cache_dir),
    // Shown in GB, exactly (String gives the shortest text that reads back as the same number, so
    // an untouched field sends nothing); bytes travel.
    cache_limit_gb: text(typeof settings.cache_limit === 'number' ? settings.cache_limit / GB : null),
    stay_awake: (settings.stay_awake ?? DEFAULTS.stay_awake) !== false,
    // Empty: subtitles are offered but start off.
    subtitle_language: text(settings.subtitle_language),
    audio_passthrough: (settings.audio_passthrough ?? DEFAULTS.audio_passthrough) === true,
  };
}

function kbs(bps) {
  return bps === null || bps === undefined ? '' : String(Math.round(bps / 10) / 100);
}

const toBps = (kb) => (kb === null || kb === undefined ? kb : kb === 0 ? null : Math.round(kb * 1000));

function optionalNumber(raw, field, errors, message) {
  const value = String(raw ?? '').trim();
  if (value === '') return null;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    errors[field] = message;
    return undefined;
  }
  return n;
}

const optionalText = (raw) => {
  const value = String(raw ?? '').trim();
  return value === '' ? null : value;
};

/** `{settings, errors}` from the form's fields; `errors` maps field names to messages. */
export function formToSettings(form) {
  const errors = {};
  const ratio = optionalNumber(form.seed_ratio, 'seed_ratio', errors, 'Enter a ratio such as 1.5 (0 = do not seed), or leave it empty for no limit.');
  const minutes = optionalNumber(form.seed_time_minutes, 'seed_time_minutes', errors, 'Enter minutes (0 = do not seed), or leave it empty for no limit.');
  const capMessage = 'Enter kB/s such as 500, or leave it empty for no cap.';
  const down = optionalNumber(form.download_limit_kbs, 'download_limit_kbs', errors, capMessage);
  const up = optionalNumber(form.upload_limit_kbs, 'upload_limit_kbs', errors, capMessage);
  const cacheMessage = 'Enter a size in GB such as 20 or 2.5, or leave it empty for the default.';
  const cacheGb = optionalNumber(form.cache_limit_gb, 'cache_limit_gb', errors, cacheMessage);
  // An empty cache could hold nothing to stream.
  const cacheLimit = cacheGb === null || cacheGb === undefined ? cacheGb : Math.round(cacheGb * GB);
  if (cacheLimit === 0) errors.cache_limit_gb = cacheMessage;
  const settings = {
    download_dir: optionalText(form.download_dir),
    // 0 is "no cap", as on the command line.
    download_limit: toBps(down),
    upload_limit: toBps(up),
    seed_ratio: ratio,
    seed_time_secs: minutes === null || minutes === undefined ? minutes : Math.round(minutes * 60),
    bind_interface: optionalText(form.bind_interface),
    default_device: optionalText(form.default_device),
    stream_host: optionalText(form.stream_host),
    cache_dir: optionalText(form.cache_dir),
    cache_limit: cacheLimit === 0 ? undefined : cacheLimit,
    // Left out (not sent) when the form has no such box.
    stay_awake: typeof form.stay_awake === 'boolean' ? form.stay_awake : undefined,
    subtitle_language: optionalText(form.subtitle_language),
    audio_passthrough: typeof form.audio_passthrough === 'boolean' ? form.audio_passthrough : undefined,
  };
  return { settings, errors };
}

/** The browser-editable keys whose value differs from what the daemon has. */
export function changedSettings(next, original = {}) {
  const changes = {};
  for (const key of SETTINGS_KEYS) {
    if (next[key] === undefined) continue;
    const before = original[key] ?? DEFAULTS[key] ?? null;
    if (next[key] !== before) changes[key] = next[key];
  }
  return changes;
}

/** The line about the streaming cache, from `status`'s `cache` (`{dir, used, limit, torrents}`). */
export function cacheUsageText(cache) {
  if (!cache || !Number.isFinite(cache.used) || !Number.isFinite(cache.limit)) return '';
  const count = `${cache.torrents} ${cache.torrents === 1 ? 'torrent' : 'torrents'}`;
  return `Cache: ${formatDecimalBytes(cache.used)} of ${formatDecimalBytes(cache.limit)} (${count}) in ${cache.dir}`;
}

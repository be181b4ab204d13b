// Human-readable numbers for the popup, the badge and the options page. Binary units, as the CLI
// prints progress (indicatif's HumanBytes), so the terminal and the browser show the same figures;
// the streaming cache in decimal ones, as the daemon words its limit.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes) {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  // Three significant digits: "1.50 MiB", "15.0 MiB", "150 MiB".
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/**
 * Decimal units (1000), as the daemon's own messages count sizes ("limit 2.0 MB"): `350 MB`,
 * `1.2 GB`, `20 GB`.
 */
export function formatDecimalBytes(bytes) {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < DECIMAL_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  // "20 GB" rather than "20.0 GB": the options field shows the limit as typed.
  return `${Number(value.toFixed(digits))} ${DECIMAL_UNITS[unit]}`;
}

export function formatSpeed(bytesPerSecond) {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '0 B/s';
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Playback clock: `0:05`, `1:02:03`; unknown → `--:--`. */
export function formatTime(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const total = Math.floor(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A rough duration for buffered media: `45 s`, `3 min`, `1 h 5 min`. */
export function formatDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? `${h} h ${m} min` : `${h} h`;
}

/** Whole percent, never showing 100 before the last byte is there. */
export function formatPercent(done, total) {
  if (!Number.isFinite(done) || !Number.isFinite(total) || total <= 0) return '0%';
  if (done >= total) return '100%';
  return `${Math.min(99, Math.floor((done / total) * 100))}%`;
}

/**
 * How many seconds of playback `bufferedBytes` holds, assuming a constant bitrate over the file.
 * Null when the duration or size is unknown.
 */
export function bufferedSeconds(bufferedBytes, totalBytes, durationSeconds) {
  if (!(totalBytes > 0) || !(durationSeconds > 0) || !Number.isFinite(bufferedBytes)) return null;
  return (Math.max(0, bufferedBytes) / totalBytes) * durationSeconds;
}

/**
 * What a torrent's progress says about its buffer: whether every byte is there (`complete`),
 * how many bytes are downloaded ahead of the playhead (`bytes`), and how many seconds of playback
 * that is (`seconds`, null without the cast's duration). Null without progress.
 */
export function bufferInfo(progress, castDuration) {
  if (!progress) return null;
  return {
    complete: progress.total > 0 && progress.downloaded >= progress.total,
    bytes: progress.buffered_ahead,
    seconds: bufferedSeconds(progress.buffered_ahead, progress.total, castDuration),
  };
}

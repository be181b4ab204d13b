// The toolbar badge: how far the video has come and whether the TV has enough buffered, or a
// red mark when something needs the user. Colours say buffer health; the tooltip says the rest.

import { bufferInfo, formatBytes, formatDuration, formatPercent, formatSpeed } from '../lib/format.js';

export const COLORS = Object.freeze({
  error: '#d93025',
  healthy: '#1e8e3e',
  low: '#e37400',
  idle: '#5f6368',
});

/** Enough ahead of the playhead that a short stall in the swarm does not reach the TV. */
const HEALTHY_SECONDS = 30;
/** When the duration is unknown: a few MiB is a few seconds even of high-bitrate video. */
const HEALTHY_BYTES = 16 * 1024 * 1024;

const DONE_STATES = new Set(['seeding', 'finished']);

/** The torrent the badge is about: the one on the TV, else the newest one still downloading. */
function focusTorrent(snapshot) {
  const cast = snapshot.casts.find((c) => c.torrent);
  if (cast) {
    const t = snapshot.torrents.find((x) => x.id === cast.torrent);
    if (t) return { torrent: t, cast };
  }
  const active = snapshot.torrents.filter((t) => t.progress && !DONE_STATES.has(t.progress.state) && !t.completed);
  const t = active.at(-1);
  return t ? { torrent: t, cast: null } : null;
}

/** `{text, color, title}` for a store snapshot. */
export function badgeFor(snapshot) {
  const host = snapshot.host;
  if (host.state === 'not_installed' || host.state === 'forbidden') {
    return { text: '!', color: COLORS.error, title: 'magnetcast: the helper program is not installed (open the popup)' };
  }
  if (snapshot.error) {
    return { text: '!', color: COLORS.error, title: `magnetcast: ${snapshot.error.message}` };
  }
  if (host.state === 'disconnected' && host.attempts > 1) {
    return { text: '!', color: COLORS.idle, title: `magnetcast: not connected (${host.message ?? 'retrying'})` };
  }
  const focus = focusTorrent(snapshot);
  if (!focus) {
    if (snapshot.pending.length > 0) return { text: '…', color: COLORS.idle, title: 'magnetcast: adding a torrent' };
    return { text: '', color: COLORS.idle, title: 'magnetcast' };
  }
  const { torrent, cast } = focus;
  const p = torrent.progress;
  const name = torrent.name ?? torrent.id;
  if (!p || !(p.total > 0)) {
    const what = p?.state === 'fetching_metadata' ? 'fetching metadata' : 'starting';
    return { text: '…', color: COLORS.idle, title: `magnetcast — ${name}: ${what}` };
  }
  const { complete, bytes, seconds } = bufferInfo(p, cast?.duration);
  const healthy = complete || (seconds !== null ? seconds >= HEALTHY_SECONDS : bytes >= HEALTHY_BYTES);
  const parts = [formatPercent(p.downloaded, p.total)];
  if (!complete) {
    parts.push(`${formatBytes(bytes)}${seconds !== null ? ` (${formatDuration(seconds)})` : ''} buffered`);
    parts.push(formatSpeed(p.down_bps));
  }
  return {
    text: complete ? '' : formatPercent(p.downloaded, p.total),
    color: healthy ? COLORS.healthy : COLORS.low,
    title: `magnetcast — ${name}: ${parts.join(' · ')}`,
  };
}

/** Applies badges, skipping calls when nothing changed (progress arrives several times a second). */
export class Badge {
  #action;
  #last = { text: null, color: null, title: null };

  constructor(action) {
    this.#action = action;
  }

  show(snapshot) {
    const next = badgeFor(snapshot);
    const calls = [];
    if (next.text !== this.#last.text) calls.push(this.#action?.setBadgeText({ text: next.text }));
    if (next.color !== this.#last.color) calls.push(this.#action?.setBadgeBackgroundColor({ color: next.color }));
    if (next.title !== this.#last.title) calls.push(this.#action?.setTitle({ title: next.title }));
    this.#last = next;
    return Promise.allSettled(calls);
  }
}

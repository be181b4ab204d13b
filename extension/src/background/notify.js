// System notifications for the moments a person is not looking at the popup: the video is on the
// TV, the download finished, magnetcast removed a torrent by itself (evicted from the streaming
// cache, with the daemon's reason), or something failed (with the daemon's own words).

import { fileNameOf } from '../lib/links.js';

export class Notifier {
  #notifications;
  #iconUrl;
  /** Media already announced as playing, by `device|media_url`: a pause/resume is no news. */
  #announced = new Set();

  constructor({ notifications, iconUrl }) {
    this.#notifications = notifications;
    this.#iconUrl = iconUrl;
  }

  /**
   * Called with the casts of a fresh `status` reply (e.g. after the service worker restarted), so
   * a video that was already playing is not announced a second time.
   */
  seed(casts) {
    for (const cast of casts ?? []) {
      if (cast.player_state === 'PLAYING' && cast.media_url) this.#announced.add(mediaKey(cast));
    }
  }

  /** `nameOf(torrentId)` and `torrentForMedia(url)` come from the store. */
  onEvent(message, { nameOf = () => null, torrentForMedia = () => null } = {}) {
    const note = this.decide(message, { nameOf, torrentForMedia });
    if (note) this.show(note);
  }

  /** What to show for a host event, or null. Kept apart from `show` so tests can read it. */
  decide(message, { nameOf = () => null, torrentForMedia = () => null } = {}) {
    switch (message.event) {
      case 'cast': {
        if (message.player_state !== 'PLAYING' || !message.media_url) return null;
        const key = mediaKey(message);
        if (this.#announced.has(key)) return null;
        this.#announced.add(key);
        const name = nameOf(torrentForMedia(message.media_url)) ?? fileNameOf(message.media_url) ?? message.media_url;
        return { id: `playing:${key}`, title: `Playing on ${message.device}`, message: name };
      }
      case 'completed': {
        const name = nameOf(message.torrent) ?? message.torrent;
        return { id: `completed:${message.torrent}`, title: 'Download finished', message: name };
      }
      case 'removed': {
        // Only removals the user did not ask for carry a reason.
        if (!message.reason) return null;
        const name = nameOf(message.torrent) ?? `Torrent ${message.torrent.slice(0, 12)}…`;
        return { id: `removed:${message.torrent}`, title: 'Removed by magnetcast', message: `${name}: ${message.reason}` };
      }
      case 'error':
        return {
          id: `error:${message.torrent ?? 'daemon'}`,
          title: 'magnetcast error',
          message: message.message,
        };
      default:
        return null;
    }
  }

  error(message) {
    this.show({ id: 'error:extension', title: 'magnetcast error', message });
  }

  info(title, message) {
    this.show({ id: `info:${title}`, title, message });
  }

  show({ id, title, message }) {
    // A notification that cannot be shown (permission revoked, OS setting) must not break casting.
    Promise.resolve()
      .then(() =>
        this.#notifications?.create(id, {
          type: 'basic',
          iconUrl: this.#iconUrl,
          title,
          message: String(message ?? ''),
        }),
      )
      .catch(() => {});
  }
}

/**
 * The background's handling of one host event: notify, then apply it to the store. In this order
 * because the notification names the torrent from the store, which forgets a removed one.
 */
export function handleHostEvent(message, { store, notifier }) {
  notifier.onEvent(message, {
    nameOf: (id) => store.nameOf(id),
    torrentForMedia: (url) => store.torrentForMedia(url),
  });
  store.applyEvent(message);
}

function mediaKey(cast) {
  return `${cast.device}|${cast.media_url}`;
}

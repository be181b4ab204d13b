// Which links the extension accepts. The content script, the context menu and the Firefox protocol
// handler all funnel into the background's castLink(), which checks again with these rules:
// a page can send the background anything, and context-menu URL patterns are only a hint.

/** The daemon caps magnet URIs too; refusing absurd ones here keeps them out of native messages. */
export const MAX_MAGNET_LENGTH = 16 * 1024;

export function isMagnet(url) {
  return (
    typeof url === 'string' &&
    url.length <= MAX_MAGNET_LENGTH &&
    /^magnet:\?/i.test(url.trim())
  );
}

/** An http(s) URL whose path (not its query) ends in `.torrent`. */
export function isTorrentUrl(url) {
  if (typeof url !== 'string') return false;
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (
    (parsed.protocol === 'http:' || parsed.protocol === 'https:') &&
    parsed.pathname.toLowerCase().endsWith('.torrent')
  );
}

/** 'magnet', 'torrent' or null. */
export function linkKind(url) {
  if (isMagnet(url)) return 'magnet';
  if (isTorrentUrl(url)) return 'torrent';
  return null;
}

/**
 * The file name a URL ends in: the last segment of its path, percent-decoded (left as it is when
 * the escapes are broken), without the query or fragment (which may hold a passkey). Null when
 * the URL does not parse or its path ends in `/`.
 */
export function fileNameOf(url) {
  let path;
  try {
    path = new URL(url).pathname;
  } catch {
    return null;
  }
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (!name) return null;
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/** A short label for a link while it is being added: the magnet's dn, or the file name. */
export function linkLabel(url) {
  if (!isMagnet(url)) return fileNameOf(url) ?? String(url);
  const params = new URLSearchParams(url.trim().slice('magnet:?'.length));
  const dn = params.get('dn');
  if (dn) return dn;
  const xt = params.get('xt') ?? '';
  const hash = xt.split(':').pop();
  return hash ? `torrent ${hash.slice(0, 12)}…` : 'magnet link';
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * The v1 info hash of a magnet link as the daemon names torrents (40 lowercase hex digits), from
 * `xt=urn:btih:` in hex or base32; null when there is none.
 */
export function magnetInfoHash(url) {
  if (!isMagnet(url)) return null;
  for (const xt of new URLSearchParams(url.trim().slice('magnet:?'.length)).getAll('xt')) {
    const m = /^urn:btih:([0-9a-z]+)$/i.exec(xt);
    if (!m) continue;
    const id = m[1].toLowerCase();
    if (/^[0-9a-f]{40}$/.test(id)) return id;
    if (/^[a-z2-7]{32}$/.test(id)) {
      let bits = '';
      for (const c of id) bits += BASE32.indexOf(c).toString(2).padStart(5, '0');
      return bits.match(/.{4}/g).map((b) => parseInt(b, 2).toString(16)).join('');
    }
  }
  return null;
}

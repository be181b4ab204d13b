// Fetching a `.torrent` for the context menu. The background fetches it rather than handing the
// URL to the daemon because private trackers serve the file only to a logged-in browser: the
// request must carry the site's cookies (`credentials: "include"`, allowed by the host permission).

import { formatBytes } from '../lib/format.js';
import { fileNameOf, isTorrentUrl } from '../lib/links.js';

/**
 * The native host accepts frames of at most 16 MiB and the file travels base64-encoded (4/3 the
 * size) inside JSON: 12 MB of torrent becomes 16,000,000 bytes, which leaves room for the rest of
 * the message. Real .torrent files are far smaller; anything bigger is not one.
 */
export const MAX_TORRENT_BYTES = 12_000_000;
const FETCH_TIMEOUT_MS = 30_000;

export class TorrentFetchError extends Error {
  constructor(message) {
    super(message);
    this.name = 'TorrentFetchError';
  }
}

/** Bencoded torrents are dictionaries: `d…e`. A login page or an error page is not. */
export function looksLikeBencode(bytes) {
  return bytes.length >= 2 && bytes[0] === 0x64 && bytes[bytes.length - 1] === 0x65;
}

export async function fetchTorrentFile(url, { fetch = globalThis.fetch, maxBytes = MAX_TORRENT_BYTES, timeoutMs = FETCH_TIMEOUT_MS } = {}) {
  if (!isTorrentUrl(url)) throw new TorrentFetchError(`not a .torrent link: ${url}`);
  const name = fileNameOf(url) ?? url;
  let response;
  try {
    response = await fetch(url, {
      credentials: 'include',
      cache: 'no-store',
      redirect: 'follow',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    throw new TorrentFetchError(`could not download ${name}: ${e.name === 'TimeoutError' ? 'timed out' : e.message}`);
  }
  if (!response.ok) {
    const hint = response.status === 401 || response.status === 403 ? ' (log in to the site first)' : '';
    throw new TorrentFetchError(`could not download ${name}: HTTP ${response.status}${hint}`);
  }
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) throw tooLarge(name, maxBytes);
  const bytes = await readCapped(response, maxBytes, name);
  if (!looksLikeBencode(bytes)) {
    throw new TorrentFetchError(`${name} is not a torrent file (the site may have sent a login or error page)`);
  }
  return bytes;
}

function tooLarge(name, maxBytes) {
  return new TorrentFetchError(`${name} is larger than ${formatBytes(maxBytes)}: not a torrent file`);
}

/** Reads the body but stops as soon as it passes the cap (Content-Length may be absent or lie). */
async function readCapped(response, maxBytes, name) {
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(name, maxBytes);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

export function toBase64(bytes) {
  // btoa takes a binary string; building it in slices keeps the argument list of
  // String.fromCharCode within engine limits for multi-megabyte files.
  let binary = '';
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + step));
  }
  return btoa(binary);
}

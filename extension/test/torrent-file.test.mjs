import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MAX_TORRENT_BYTES, TorrentFetchError, fetchTorrentFile, looksLikeBencode, toBase64 } from '../src/background/torrent-file.js';

const TORRENT = new TextEncoder().encode('d4:infod6:lengthi1e4:name1:aee');
const URL_ = 'https://tracker.example/private/file.torrent';

function fakeFetch(response) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, init });
    return typeof response === 'function' ? response() : response;
  };
  return { fetch, calls };
}

describe('fetching .torrent files', () => {
  it('sends the site\'s cookies and returns the bytes', async () => {
    const { fetch, calls } = fakeFetch(new Response(TORRENT, { headers: { 'content-type': 'application/x-bittorrent' } }));
    const bytes = await fetchTorrentFile(URL_, { fetch });
    assert.deepEqual(bytes, TORRENT);
    assert.equal(calls[0].url, URL_);
    assert.equal(calls[0].init.credentials, 'include');
    assert.ok(calls[0].init.signal instanceof AbortSignal);
  });

  it('explains a refusal by the site', async () => {
    const { fetch } = fakeFetch(new Response('log in first', { status: 403 }));
    await assert.rejects(fetchTorrentFile(URL_, { fetch }), /could not download file\.torrent: HTTP 403 \(log in to the site first\)/);
  });

  it('refuses pages that are not bencoded torrents', async () => {
    const { fetch } = fakeFetch(new Response('<html>login</html>'));
    await assert.rejects(fetchTorrentFile(URL_, { fetch }), /not a torrent file \(the site may have sent a login or error page\)/);
  });

  it('refuses a declared size over the cap without reading it', async () => {
    let pulled = 0;
    const body = new ReadableStream({ pull: (c) => { pulled++; c.enqueue(new Uint8Array(10)); } });
    const { fetch } = fakeFetch(new Response(body, { headers: { 'content-length': String(MAX_TORRENT_BYTES + 1) } }));
    await assert.rejects(fetchTorrentFile(URL_, { fetch }), TorrentFetchError);
    assert.ok(pulled <= 1);
  });

  it('stops reading a body that grows past the cap when no size was declared', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x64);
    let sent = 0;
    const body = new ReadableStream({
      pull(controller) {
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const { fetch } = fakeFetch(new Response(body));
    await assert.rejects(fetchTorrentFile(URL_, { fetch, maxBytes: 256 * 1024 }), /larger than 256 KiB: not a torrent file/);
    assert.ok(sent <= 256 * 1024 + 2 * chunk.length, `read ${sent} bytes`);
  });

  it('only fetches http(s) .torrent URLs', async () => {
    const { fetch, calls } = fakeFetch(new Response(TORRENT));
    await assert.rejects(fetchTorrentFile('file:///etc/passwd.torrent', { fetch }), /not a \.torrent link/);
    await assert.rejects(fetchTorrentFile('https://example.org/index.html', { fetch }), /not a \.torrent link/);
    assert.equal(calls.length, 0);
  });

  it('reports network failures and timeouts plainly', async () => {
    const failing = async () => {
      throw Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });
    };
    await assert.rejects(fetchTorrentFile(URL_, { fetch: failing }), /could not download file\.torrent: timed out/);
  });

  it('fits the cap to the native host\'s 16 MiB frame once base64-encoded', () => {
    const base64 = Math.ceil(MAX_TORRENT_BYTES / 3) * 4;
    const envelope = JSON.stringify({ v: 1, id: Number.MAX_SAFE_INTEGER, cmd: 'add', torrent_base64: '', device: 'x'.repeat(200) }).length;
    assert.ok(base64 + envelope < 16 * 1024 * 1024, `${base64 + envelope} bytes`);
  });

  it('checks the bencode shape and encodes base64 like Buffer does', () => {
    assert.ok(looksLikeBencode(TORRENT));
    assert.ok(!looksLikeBencode(new TextEncoder().encode('li1ee')));
    assert.ok(!looksLikeBencode(new Uint8Array()));
    const big = new Uint8Array(100_000).map((_, i) => (i * 7) & 0xff);
    assert.equal(toBase64(big), Buffer.from(big).toString('base64'));
    assert.equal(toBase64(TORRENT), Buffer.from(TORRENT).toString('base64'));
  });
});

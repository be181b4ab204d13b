import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MAX_MAGNET_LENGTH, fileNameOf, isMagnet, isTorrentUrl, linkKind, linkLabel } from '../src/lib/links.js';

describe('links', () => {
  it('accepts magnet URIs only with a query', () => {
    assert.ok(isMagnet('magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056'));
    assert.ok(isMagnet('MAGNET:?xt=urn:btih:abc'));
    assert.ok(isMagnet('  magnet:?xt=urn:btih:abc  '));
    assert.ok(!isMagnet('magnet:'));
    assert.ok(!isMagnet('https://example.org/?magnet:?xt'));
    assert.ok(!isMagnet(`magnet:?xt=${'a'.repeat(MAX_MAGNET_LENGTH)}`));
    assert.ok(!isMagnet(undefined));
  });

  it('recognises .torrent URLs by their path, on http(s) only', () => {
    assert.ok(isTorrentUrl('https://tracker.example/dl/film.torrent'));
    assert.ok(isTorrentUrl('http://127.0.0.1:8080/private/file.torrent?passkey=abc'));
    assert.ok(isTorrentUrl('https://example.org/FILM.TORRENT'));
    assert.ok(!isTorrentUrl('https://example.org/download.php?file=film.torrent'));
    assert.ok(!isTorrentUrl('https://example.org/film.torrent.html'));
    assert.ok(!isTorrentUrl('ftp://example.org/film.torrent'));
    assert.ok(!isTorrentUrl('file:///home/u/film.torrent'));
    assert.ok(!isTorrentUrl('javascript:alert(1)//.torrent'));
    assert.ok(!isTorrentUrl('not a url'));
  });

  it('classifies links', () => {
    assert.equal(linkKind('magnet:?xt=urn:btih:abc'), 'magnet');
    assert.equal(linkKind('https://a.example/b.torrent'), 'torrent');
    assert.equal(linkKind('https://a.example/b.html'), null);
  });

  it('labels a link by its display name or file name', () => {
    assert.equal(linkLabel('magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056&dn=Big+Buck+Bunny'), 'Big Buck Bunny');
    assert.equal(linkLabel('magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056'), 'torrent c9e15763f722…');
    assert.equal(linkLabel('https://a.example/dl/My%20Film.torrent?x=1'), 'My Film.torrent');
    assert.equal(linkLabel('https://a.example/'), 'https://a.example/');
  });

  it('take the file name from a URL: decoded, without query or fragment', () => {
    assert.equal(fileNameOf('http://192.168.1.10:41231/s/9f2c4e/film.mp4'), 'film.mp4');
    assert.equal(fileNameOf('https://t.example/private/My%20Film%20%E2%80%94%20Cut.torrent?passkey=s3cret&x=/y.torrent#top'), 'My Film — Cut.torrent');
    assert.equal(fileNameOf('https://t.example/a+b%2Bc.torrent'), 'a+b+c.torrent');
    assert.equal(fileNameOf('https://t.example/100%.torrent'), '100%.torrent', 'broken escapes stay as they are');
    assert.equal(fileNameOf('https://t.example/dir/'), null);
    assert.equal(fileNameOf('not a url'), null);
    assert.equal(fileNameOf(null), null);
  });
});

describe('magnetInfoHash', () => {
  const HEX = 'c9e15763f722f23e98a29decdfae341b98d53056';
  // RFC 4648 base32 of the same 20 bytes.
  const toBase32 = (hex) => {
    const bits = [...Buffer.from(hex, 'hex')].map((b) => b.toString(2).padStart(8, '0')).join('');
    return bits.match(/.{5}/g).map((b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[parseInt(b, 2)]).join('');
  };

  it('reads hex and base32 btih as the daemon\'s lowercase hex id', async () => {
    const { magnetInfoHash } = await import('../src/lib/links.js');
    assert.equal(magnetInfoHash(`magnet:?xt=urn:btih:${HEX.toUpperCase()}&dn=x`), HEX);
    assert.equal(magnetInfoHash(`magnet:?dn=x&xt=urn:btih:${toBase32(HEX)}`), HEX);
    assert.equal(magnetInfoHash('magnet:?xt=urn:btmh:1220abcd'), null);
    assert.equal(magnetInfoHash('https://example.org/a.torrent'), null);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MAX_MAGNET_LENGTH, isMagnet, isTorrentUrl, linkKind, linkLabel } from '../src/lib/links.js';

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
  });
});

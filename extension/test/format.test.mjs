import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { bufferInfo, bufferedSeconds, formatBytes, formatDuration, formatPercent, formatSpeed, formatTime } from '../src/lib/format.js';

describe('format', () => {
  it('bytes in binary units with three significant digits', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1024), '1.00 KiB');
    assert.equal(formatBytes(1536 * 1024), '1.50 MiB');
    assert.equal(formatBytes(15 * 1024 * 1024), '15.0 MiB');
    assert.equal(formatBytes(734003200), '700 MiB');
    assert.equal(formatBytes(5 * 1024 ** 4), '5.00 TiB');
    assert.equal(formatBytes(-1), '—');
    assert.equal(formatBytes(NaN), '—');
  });

  it('speeds', () => {
    assert.equal(formatSpeed(0), '0 B/s');
    assert.equal(formatSpeed(2.5 * 1024 * 1024), '2.50 MiB/s');
  });

  it('playback clock', () => {
    assert.equal(formatTime(0), '0:00');
    assert.equal(formatTime(5.9), '0:05');
    assert.equal(formatTime(62), '1:02');
    assert.equal(formatTime(3723), '1:02:03');
    assert.equal(formatTime(null), '--:--');
    assert.equal(formatTime(NaN), '--:--');
  });

  it('rough durations', () => {
    assert.equal(formatDuration(45.4), '45 s');
    assert.equal(formatDuration(180), '3 min');
    assert.equal(formatDuration(3900), '1 h 5 min');
    assert.equal(formatDuration(7200), '2 h');
  });

  it('percent never claims 100 before the end', () => {
    assert.equal(formatPercent(0, 0), '0%');
    assert.equal(formatPercent(999, 1000), '99%');
    assert.equal(formatPercent(1000, 1000), '100%');
    assert.equal(formatPercent(421, 1000), '42%');
  });

  it('buffered seconds from bytes, size and duration', () => {
    assert.equal(bufferedSeconds(50, 1000, 600), 30);
    assert.equal(bufferedSeconds(-5, 1000, 600), 0);
    assert.equal(bufferedSeconds(50, 0, 600), null);
    assert.equal(bufferedSeconds(50, 1000, null), null);
  });

  it('buffer info from progress and the cast duration', () => {
    const progress = { downloaded: 100, total: 1000, buffered_ahead: 50 };
    assert.deepEqual(bufferInfo(progress, 600), { complete: false, bytes: 50, seconds: 30 });
    assert.deepEqual(bufferInfo(progress, undefined), { complete: false, bytes: 50, seconds: null });
    assert.equal(bufferInfo({ ...progress, downloaded: 1000 }, 600).complete, true);
    assert.equal(bufferInfo({ downloaded: 0, total: 0, buffered_ahead: 0 }).complete, false, 'no size yet is not complete');
    assert.equal(bufferInfo(null, 600), null);
  });
});

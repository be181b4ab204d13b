import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { BACKOFF_CAP_MS, backoffDelay } from '../src/background/backoff.js';

const middle = () => 0.5;

describe('backoff', () => {
  it('doubles from half a second up to the cap', () => {
    const schedule = Array.from({ length: 9 }, (_, i) => backoffDelay(i, middle));
    assert.deepEqual(schedule, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('spreads by ±20 % without passing the cap', () => {
    assert.equal(backoffDelay(0, () => 0), 400);
    assert.equal(backoffDelay(0, () => 1), 600);
    assert.equal(backoffDelay(10, () => 1), BACKOFF_CAP_MS);
    assert.equal(backoffDelay(1000, () => 0), 24000);
  });

  it('treats odd attempt numbers sanely', () => {
    assert.equal(backoffDelay(-3, middle), 500);
    assert.equal(backoffDelay(2.7, middle), 2000);
  });
});

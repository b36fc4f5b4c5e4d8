import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextCheckDelayMs } from './item-outcomes.js';

test('polling slows down for long jobs, within bounds', () => {
  assert.equal(nextCheckDelayMs(5000, 0), 5000);
  assert.equal(nextCheckDelayMs(5000, 160_000), 10_000);
  assert.equal(nextCheckDelayMs(5000, 3_600_000), 20_000);
});

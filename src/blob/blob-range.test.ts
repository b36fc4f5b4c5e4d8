import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RangeNotSatisfiableError } from './blob-errors.js';
import { resolveRange } from './blob-range.js';

test('resolveRange follows HTTP Range: inclusive, end clamped, start past the end unsatisfiable', () => {
  assert.equal(resolveRange({}, 100), undefined);
  assert.equal(resolveRange({}, 0), undefined);
  assert.deepEqual(resolveRange({ start: 0 }, 100), { start: 0, end: 99 });
  assert.deepEqual(resolveRange({ start: 10, end: 19 }, 100), { start: 10, end: 19 });
  assert.deepEqual(resolveRange({ end: 9 }, 100), { start: 0, end: 9 });
  assert.deepEqual(resolveRange({ start: 99, end: 99 }, 100), { start: 99, end: 99 });
  assert.deepEqual(resolveRange({ start: 90, end: 1000 }, 100), { start: 90, end: 99 });
  assert.throws(() => resolveRange({ start: 100 }, 100), (e: unknown) => e instanceof RangeNotSatisfiableError && e.size === 100);
  assert.throws(() => resolveRange({ start: 0 }, 0), RangeNotSatisfiableError);
  assert.throws(() => resolveRange({ end: 0 }, 0), RangeNotSatisfiableError);
});

test('resolveRange rejects malformed ranges', () => {
  for (const range of [{ start: 5, end: 4 }, { start: -1 }, { end: -1 }, { start: 0.5 }, { start: Number.NaN }, { end: Infinity }]) {
    assert.throws(() => resolveRange(range, 100), RangeNotSatisfiableError, JSON.stringify(range));
  }
});

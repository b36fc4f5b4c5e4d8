import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contiguousFromStart, stagedOffset, stagedPartKey, strideOf } from './part-slots.js';

const P = 'v1/multipart/UP1/';
const staged = (n: number, offset: number, size: number) => ({ part_number: n, blob_key: stagedPartKey(P, n, offset), size });
const blob = (n: number, size: number) => ({ part_number: n, blob_key: `${P}${n}-abcd1234`, size });

test('a staged part key names its offset; a blob key names none', () => {
  assert.equal(stagedPartKey(P, 3, 16_777_216), 'v1/multipart/UP1/staged-3-at-16777216');
  assert.equal(stagedOffset(stagedPartKey(P, 3, 16_777_216)), 16_777_216);
  assert.equal(stagedOffset(`${P}3-abcd1234`), undefined);
  assert.equal(stagedOffset(`${P}staged-3-at-`), undefined);
});

test('the stride comes back from any staged part n > 1, else from a staged part 1', () => {
  assert.equal(strideOf([blob(1, 10), staged(3, 2 * 8192, 8192)]), 8192);
  assert.equal(strideOf([staged(1, 0, 5000)]), 5000);
  assert.equal(strideOf([blob(1, 10), blob(2, 10)]), undefined);
  assert.equal(strideOf([]), undefined);
});

test('parts lie end to end from 0 only when each starts where the one before ends', () => {
  assert.ok(contiguousFromStart([staged(1, 0, 100), staged(2, 100, 100), staged(3, 200, 7)]));
  assert.ok(!contiguousFromStart([staged(1, 0, 100), staged(3, 200, 7)])); // part 2 left out
  assert.ok(!contiguousFromStart([staged(1, 0, 90), staged(2, 100, 100)])); // a short middle part
  assert.ok(!contiguousFromStart([staged(1, 0, 100), blob(2, 100)]));
  assert.ok(!contiguousFromStart([]));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isoSeconds } from './time.js';

/** What isoSeconds must return: toISOString without the milliseconds. */
const viaDate = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

test('isoSeconds formats as toISOString does, without the milliseconds, across leap days, centuries and the range ends', () => {
  const edges = [
    0, 999, 1000, Date.UTC(2000, 1, 29, 23, 59, 59, 999), Date.UTC(2000, 2, 1), Date.UTC(2100, 1, 28, 12), Date.UTC(2100, 2, 1),
    Date.UTC(2024, 11, 31, 23, 59, 59), Date.UTC(2025, 0, 1), Date.UTC(9999, 11, 31, 23, 59, 59, 999), 1_765_000_000_123, 0.5, 1999.9,
  ];
  for (const ms of edges) assert.equal(isoSeconds(ms), viaDate(ms), String(ms));
  let state = 12345;
  const next = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 200_000; i++) {
    const ms = Math.floor(next() * 253_402_300_800_000);
    assert.equal(isoSeconds(ms), viaDate(ms), String(ms));
  }
});

test('isoSeconds outside 1970–9999 keeps toISOString\'s form, and refuses what it refuses', () => {
  assert.equal(isoSeconds(-1), '1969-12-31T23:59:59Z');
  assert.equal(isoSeconds(Date.UTC(-1, 0, 1)), '-000001-01-01T00:00:00Z');
  assert.equal(isoSeconds(253_402_300_800_000), '+010000-01-01T00:00:00Z');
  assert.throws(() => isoSeconds(Number.NaN), RangeError);
});

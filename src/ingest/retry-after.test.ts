import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRetryAfter } from './retry-after.js';

const NOW = Date.parse('2030-01-01T00:00:00Z');

test('delay-seconds', () => {
  assert.equal(parseRetryAfter('1', NOW), 1000);
  assert.equal(parseRetryAfter(' 120 ', NOW), 120_000);
  assert.equal(parseRetryAfter('0', NOW), 0);
  assert.equal(parseRetryAfter(['7', '9'], NOW), 7000);
});

test('HTTP-date (IMF-fixdate, RFC 850, asctime); the past means now', () => {
  assert.equal(parseRetryAfter('Tue, 01 Jan 2030 00:00:42 GMT', NOW), 42_000);
  assert.equal(parseRetryAfter('Tuesday, 01-Jan-30 00:01:00 GMT', NOW), 60_000);
  assert.equal(parseRetryAfter('Tue Jan  1 00:00:05 2030', NOW), 5_000);
  assert.equal(parseRetryAfter('Mon, 31 Dec 2029 23:00:00 GMT', NOW), 0);
});

test('absent or garbage → undefined', () => {
  for (const v of [undefined, '', '-1', '1.5', 'soon', '2030-01-01', 'Tue, 99 Foo 2030 00:00:00 GMT']) {
    assert.equal(parseRetryAfter(v, NOW), undefined, String(v));
  }
});

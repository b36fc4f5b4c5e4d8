import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { NonceIndex } from './nonce-index.js';

const randomKey = () => {
  const b = randomBytes(8);
  return { hi: b.readInt32BE(0), lo: b.readInt32BE(4) };
};

test('a key is held until its expiry, inclusive, and a later add moves the expiry', () => {
  const index = new NonceIndex();
  const k = randomKey();
  assert.equal(index.has(k.hi, k.lo, 0), false);
  index.add(k.hi, k.lo, 1000, 0);
  assert.equal(index.has(k.hi, k.lo, 1000), true);
  assert.equal(index.has(k.hi, k.lo, 1001), false);
  assert.equal(index.has(k.hi, k.lo ^ 1, 0), false, 'keys differ in either half');
  assert.equal(index.has(k.hi ^ 1, k.lo, 0), false);
  index.add(k.hi, k.lo, 500, 0); // an earlier expiry never shortens a key's hold
  assert.equal(index.has(k.hi, k.lo, 1000), true);
  index.add(k.hi, k.lo, 3000, 1500);
  assert.equal(index.has(k.hi, k.lo, 3000), true);
});

test('keys that share their low bits (one slot) are kept apart', () => {
  const index = new NonceIndex();
  const keys = Array.from({ length: 300 }, (_, i) => ({ hi: i, lo: 7 }));
  for (const k of keys) index.add(k.hi, k.lo, 10_000, 0);
  for (const k of keys) assert.equal(index.has(k.hi, k.lo, 0), true);
  assert.equal(index.has(300, 7, 0), false);
});

test('a hundred thousand keys over many generations: every live key is held, no expired one, and memory follows the live count', () => {
  const index = new NonceIndex();
  const ttl = 10_000;
  const live: Array<{ k: { hi: number; lo: number }; exp: number }> = [];
  let maxSize = 0;
  for (let now = 1; now <= 100_000; now++) {
    const k = randomKey();
    index.add(k.hi, k.lo, now + ttl, now);
    live.push({ k, exp: now + ttl });
    maxSize = Math.max(maxSize, index.size);
    if (now % 9_973 === 0) {
      for (const e of live.slice(-3 * ttl)) assert.equal(index.has(e.k.hi, e.k.lo, now), e.exp >= now, `key expiring at ${e.exp}, now ${now}`);
    }
  }
  // At most two generations, each of at most about one TTL's worth of keys.
  assert.ok(maxSize <= 2 * ttl + 2, `index held ${maxSize} keys for ${ttl} live`);
});

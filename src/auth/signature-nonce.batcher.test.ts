import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { NonceBatcher, type NonceWriter } from './signature-nonce.batcher.js';
import type { NonceClaim, NonceOutcome } from '../store/nonce-store.js';

/** A writer that remembers every nonce it was given, like the table does. */
function memoryWriter() {
  const seen = new Set<string>();
  const calls: Array<{ claims: NonceClaim[]; nowMs: number }> = [];
  const write: NonceWriter = async (claims, nowMs) => {
    calls.push({ claims: [...claims], nowMs });
    return claims.map((c): NonceOutcome => {
      const key = `${c.accessKeyId}\n${c.nonce}`;
      if (seen.has(key)) return 'used';
      seen.add(key);
      return 'fresh';
    });
  };
  return { write, calls };
}

test('claims made in one turn go out in one write, each answered', async () => {
  const w = memoryWriter();
  const b = new NonceBatcher(w.write);
  const answers = await Promise.all([b.claim('k', 'a', 1000), b.claim('k', 'b', 1002), b.claim('j', 'a', 1001)]);
  assert.deepEqual(answers, ['fresh', 'fresh', 'fresh']);
  assert.equal(w.calls.length, 1);
  assert.deepEqual(w.calls[0]?.claims, [{ accessKeyId: 'k', nonce: 'a' }, { accessKeyId: 'k', nonce: 'b' }, { accessKeyId: 'j', nonce: 'a' }]);
  assert.equal(w.calls[0]?.nowMs, 1000, 'the batch uses the oldest clock reading');
  // A later turn is a new batch, and sees what the first one wrote.
  assert.deepEqual(await Promise.all([b.claim('k', 'a', 2000), b.claim('k', 'c', 2000)]), ['used', 'fresh']);
  assert.equal(w.calls.length, 2);
});

test('a nonce repeated within one batch: the first claim is written, the others are used', async () => {
  const w = memoryWriter();
  const b = new NonceBatcher(w.write);
  const answers = await Promise.all([b.claim('k', 'x', 1), b.claim('k', 'x', 1), b.claim('k', 'y', 1), b.claim('k', 'x', 1)]);
  assert.deepEqual(answers, ['fresh', 'used', 'fresh', 'used']);
  assert.deepEqual(w.calls[0]?.claims.map((c) => c.nonce), ['x', 'y']);
});

test('no claim is answered before its write has finished', async () => {
  let finish: (outcomes: NonceOutcome[]) => void = () => {};
  const b = new NonceBatcher(() => new Promise((resolve) => (finish = resolve)));
  let answered = false;
  const claim = b.claim('k', 'n', 1).then((o) => {
    answered = true;
    return o;
  });
  for (let i = 0; i < 5; i++) await nextTurn();
  assert.equal(answered, false);
  finish(['fresh']);
  assert.equal(await claim, 'fresh');
});

test('a failed write fails every claim of its batch, and only those', async () => {
  let fail = true;
  const b = new NonceBatcher(async (claims) => {
    if (fail) throw new Error('database is locked');
    return claims.map((): NonceOutcome => 'fresh');
  });
  const first = await Promise.allSettled([b.claim('k', 'a', 1), b.claim('k', 'b', 1)]);
  assert.deepEqual(first.map((r) => r.status), ['rejected', 'rejected']);
  fail = false;
  assert.equal(await b.claim('k', 'c', 2), 'fresh');
});

test('a writer that throws synchronously or answers the wrong count fails the batch', async () => {
  const throwing = new NonceBatcher(() => {
    throw new Error('boom');
  });
  await assert.rejects(throwing.claim('k', 'a', 1), /boom/);
  const short = new NonceBatcher(async () => ['fresh']);
  const settled = await Promise.allSettled([short.claim('k', 'a', 1), short.claim('k', 'b', 1)]);
  assert.deepEqual(settled.map((r) => r.status), ['rejected', 'rejected']);
});

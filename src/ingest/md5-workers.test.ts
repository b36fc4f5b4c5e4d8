import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { MAX_SHARED_RING_BYTES, RING_BYTES, type RunningMd5, runningMd5, sharedRingBytesInUse } from './md5-workers.js';

const md5 = (...parts: Uint8Array[]): string => {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

test('many hashes at once, in chunks of every size, each the MD5 of its own bytes', async () => {
  const inputs = Array.from({ length: 12 }, (_, i) => Array.from({ length: 20 }, (_, j) => randomBytes((i * 7919 + j * 104729) % 300_000)));
  const digests = await Promise.all(inputs.map(async (chunks) => {
    const h = runningMd5();
    for (const c of chunks) await h.update(c);
    const hex = await h.digest();
    h.forget();
    return hex;
  }));
  assert.deepEqual(digests, inputs.map((chunks) => md5(...chunks)));
});

test('a digest mid-way leaves the hash going on; reset starts over; a chunk is the caller\'s again once taken', async () => {
  const a = randomBytes(1000);
  const b = randomBytes(5000);
  const h = runningMd5();
  await h.update(a);
  assert.equal(await h.digest(), md5(a));
  await h.update(b);
  assert.equal(await h.digest(), md5(a, b));
  h.reset();
  assert.equal(await h.digest(), md5());
  await h.update(b);
  assert.equal(await h.digest(), md5(b));
  // Once its update has resolved, the chunk is the caller's again: changing it changes nothing.
  const c = Buffer.from(b);
  await h.update(c);
  c.fill(0);
  assert.equal(await h.digest(), md5(b, b));
  h.forget();
  await assert.rejects(h.digest(), /forgotten/);
  await assert.rejects(h.update(a), /forgotten/);
});

test('updates not awaited still hash in order; past the ring the caller is made to wait', async () => {
  const chunks = Array.from({ length: 40 }, () => randomBytes(512 * 1024)); // 20 MiB > RING_BYTES
  const h = runningMd5();
  let settledEarly = 0;
  const updates = chunks.map((c) => {
    const p = h.update(c);
    void p.then(() => settledEarly++);
    return p;
  });
  // Microtasks only: the worker's answers (messages) cannot arrive in between.
  for (let i = 0; i < 200; i++) await Promise.resolve();
  // What fits in the ring is taken at once; the rest waits for the worker to free room.
  assert.equal(settledEarly, RING_BYTES / (512 * 1024), `${settledEarly} updates resolved before any was hashed`);
  await Promise.all(updates);
  assert.equal(await h.digest(), md5(...chunks));
  h.forget();
});

test('chunks at every byte offset and of odd sizes, across several turns of the ring, hash exactly their bytes', async () => {
  // The ring copy starts where the destination has the source's alignment and skips the bytes in
  // between: every offset mod 8, and chunks that end a few bytes short of the ring's end.
  const source = randomBytes(3 * RING_BYTES + 4096);
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < source.length - 8; i++) {
    const offset = at + (i % 8);
    const length = Math.min(source.length - offset, [1, 7, 8, 13, 4093, 65_537, 262_139, RING_BYTES - 5][i % 8] as number);
    chunks.push(source.subarray(offset, offset + length));
    at = offset + length;
  }
  const h = runningMd5();
  for (const c of chunks) await h.update(c);
  // Not awaited one by one as well: the ring fills, the caller waits, the order holds.
  await Promise.all(chunks.map((c) => h.update(c)));
  assert.equal(await h.digest(), md5(...chunks, ...chunks));
  h.forget();
});

test('past MAX_SHARED_RING_BYTES a hash runs on the calling thread, just as right; a forgotten one makes room again', async () => {
  const before = sharedRingBytesInUse();
  const ringBytes = 8 * 1024 * 1024;
  const onWorkers: RunningMd5[] = [];
  while (sharedRingBytesInUse() + ringBytes <= MAX_SHARED_RING_BYTES) onWorkers.push(runningMd5({ ringBytes }));
  assert.ok(onWorkers.every((h) => h.on === 'worker'));
  assert.equal(sharedRingBytesInUse(), before + onWorkers.length * ringBytes);

  const local = runningMd5({ ringBytes });
  assert.equal(local.on, 'caller');
  const a = randomBytes(3 * 1024 * 1024 + 5);
  const b = randomBytes(77);
  await local.update(a);
  assert.equal(await local.digest(), md5(a));
  await local.update(b);
  assert.equal(await local.digest(), md5(a, b));
  local.reset();
  await local.update(b);
  assert.equal(await local.digest(), md5(b));
  local.forget();
  await assert.rejects(local.digest(), /forgotten/);
  await assert.rejects(local.update(a), /forgotten/);
  assert.equal(sharedRingBytesInUse(), before + onWorkers.length * ringBytes, 'a hash on the calling thread holds no ring');

  // The ones on the workers hash as before, and their rings count until they are forgotten.
  await Promise.all(onWorkers.map((h) => h.update(a)));
  assert.deepEqual(await Promise.all(onWorkers.map((h) => h.digest())), onWorkers.map(() => md5(a)));
  onWorkers.pop()?.forget();
  const again = runningMd5({ ringBytes });
  assert.equal(again.on, 'worker');
  await again.update(b);
  assert.equal(await again.digest(), md5(b));
  again.forget();
  for (const h of onWorkers) h.forget();
  assert.equal(sharedRingBytesInUse(), before);
});

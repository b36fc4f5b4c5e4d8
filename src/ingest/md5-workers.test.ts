import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { nativeLanes, setNativeMd5 } from './md5-native.js';
import { type LaneKernel, MAX_SHARED_RING_BYTES, RING_BYTES, type RunningMd5, runningMd5, sharedRingBytesInUse } from './md5-workers.js';

const md5 = (...parts: Uint8Array[]): string => {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

const hasNative = nativeLanes() !== undefined;

// Every behaviour holds with either lanes kernel: the native eight-lane one (where it was built
// and the CPU has AVX2) and WebAssembly's four lanes.
for (const kernel of ['native', 'webassembly'] as LaneKernel[]) {
describe(`with the ${kernel} lanes`, { skip: kernel === 'native' && !hasNative ? 'the native kernel is not built here, or this CPU has no AVX2' : false }, () => {
  before(() => setNativeMd5(kernel === 'native'));
  after(() => setNativeMd5(true));

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

  test('hashes beside others go through the lanes: odd chunks at every offset, digests mid-way, a reset', async () => {
    // The worker's first hash is OpenSSL's, even asked for the lanes, where the lanes are
    // WebAssembly's, and in the lanes with the native kernel; those asking opened beside it run in
    // the kernel's lanes; one not asking stays with OpenSSL.
    const first = runningMd5({ lanes: true });
    // Nine: more than either kernel's lanes, so that full groups and a remainder both occur.
    const others = Array.from({ length: 9 }, () => runningMd5({ ringBytes: 1024 * 1024, lanes: true }));
    const plain = runningMd5();
    assert.equal(first.lanes, kernel === 'native' ? 'native' : false);
    assert.equal(plain.lanes, false);
    plain.forget();
    assert.ok(others.every((h) => h.on === 'worker' && h.lanes === kernel), `the hashes opened beside the first are in the ${kernel} lanes`);
    const sizes = [1, 7, 8, 13, 63, 64, 65, 4093, 65_536, 65_537, 262_139, 700_001];
    const source = randomBytes(2 * 1024 * 1024);
    const given: Buffer[][] = [first, ...others].map(() => []);
    const give = async (i: number, chunk: Buffer): Promise<void> => {
      given[i]?.push(chunk);
      await [first, ...others][i]?.update(chunk);
    };
    for (let round = 0; round < 24; round++) {
      // Every hash gets a chunk in the same turn, of a different size and source offset.
      await Promise.all([first, ...others].map((_, i) => {
        const length = sizes[(round + i) % sizes.length] as number;
        const offset = (round * 131 + i * 17) % (source.length - length);
        return give(i, source.subarray(offset, offset + length));
      }));
      if (round === 10) {
        assert.equal(await others[1]?.digest(), md5(...(given[2] as Buffer[])), 'a digest mid-way');
        others[2]?.reset();
        given[3] = [];
      }
    }
    const digests = await Promise.all([first, ...others].map((h) => h.digest()));
    assert.deepEqual(digests, given.map((chunks) => md5(...chunks)));
    for (const h of [first, ...others]) h.forget();
  });

  test('a hash in the lanes whose neighbours send nothing still goes on: its bytes wait only a moment', async () => {
    const first = runningMd5();
    const idle = runningMd5({ lanes: true });
    const busy = runningMd5({ lanes: true });
    assert.ok(idle.lanes && busy.lanes);
    // Four rings' worth, not awaited: the caller waits for room, so the worker must hash while the
    // neighbour sends nothing at all.
    const chunks = Array.from({ length: 32 }, () => randomBytes(512 * 1024));
    await Promise.all(chunks.map((c) => busy.update(c)));
    assert.equal(await busy.digest(), md5(...chunks));
    // A few bytes, short of a block and of the lanes' batch: the digest does not wait for more.
    await idle.update(chunks[0]?.subarray(0, 10) as Buffer);
    assert.equal(await idle.digest(), md5(chunks[0]?.subarray(0, 10) as Buffer));
    for (const h of [first, idle, busy]) h.forget();
  });

  test('a digest covers exactly the bytes given before it, though more are given before its answer comes', async () => {
    // The worker is kept busy hashing a big chunk of another hash while the messages below queue up
    // behind it, so that it finds them all at once.
    const blocker = runningMd5(); // the worker's first: OpenSSL's
    const plain = runningMd5();
    const laned = runningMd5({ lanes: true });
    assert.ok(!plain.lanes && laned.lanes);
    const big = randomBytes(3 * 1024 * 1024);
    for (const h of [plain, laned]) {
      const a = randomBytes(300_001);
      const b = randomBytes(200_003);
      const busy = blocker.update(big);
      // Posted to the worker in this order, no answer awaited in between: update, digest, update, digest.
      const updates = [h.update(a)];
      const mid = h.digest();
      updates.push(h.update(b));
      const end = h.digest();
      await Promise.all([busy, ...updates]);
      assert.equal(await mid, md5(a), `${h.lanes ? 'lanes' : 'OpenSSL'}: the first digest`);
      assert.equal(await end, md5(a, b), `${h.lanes ? 'lanes' : 'OpenSSL'}: the second digest`);
    }
    for (const h of [blocker, plain, laned]) h.forget();
  });

  test('lent stretches (native only): filled in place and given back piece by piece, the hash takes them without a copy, round the ring and back, waiting for room', async () => {
    // In the lanes (a URL pull's hash is), beside a neighbour that sends nothing.
    const neighbour = runningMd5({ lanes: true });
    const h = runningMd5({ ringBytes: 4 * 1024 * 1024, lanes: true });
    assert.ok(h.lanes);
    if (kernel === 'webassembly') {
      // Without the native copy to fill it, a stretch is not worth lending.
      assert.equal(h.lend(1024 * 1024, 4096), undefined);
      h.forget();
      neighbour.forget();
      return;
    }
    const given: Buffer[] = [];
    const source = randomBytes(11 * 1024 * 1024);
    let at = 0;
    // Eleven 1 MiB stretches through a 4 MiB ring: it goes round almost three times, and lends
    // must wait for the worker to hash what was given.
    for (let i = 0; i < 11; i++) {
      const block = await h.lend(1024 * 1024, 4096);
      assert.ok(block !== undefined && block.length === 1024 * 1024);
      assert.equal(block.byteOffset % 4096, 0, 'aligned in memory');
      block.set(source.subarray(at, at + block.length));
      // Given in three pieces, the last one short: what is not given is dropped at unlend.
      const cuts = [0, 100_003, 700_001, i === 10 ? 900_000 : block.length];
      for (let c = 0; c + 1 < cuts.length; c++) {
        const piece = block.subarray(cuts[c], cuts[c + 1]);
        given.push(Buffer.from(piece));
        await h.update(piece);
      }
      h.unlend();
      at += block.length;
    }
    // A copy given after a stretch is taken as any chunk is.
    const extra = randomBytes(5000);
    await h.update(extra);
    given.push(extra);
    assert.equal(await h.digest(), md5(...given));
    // Out of order within a stretch: refused.
    const block = (await h.lend(64 * 1024, 4096)) as Uint8Array;
    await h.update(block.subarray(4096, 8192));
    await assert.rejects(h.update(block.subarray(0, 4096)), /out of order/);
    h.forget();
    neighbour.forget();
    // No stretch where the ring is under twice the size asked for.
    const small = runningMd5({ ringBytes: 1024 * 1024 });
    assert.equal(small.lend(1024 * 1024, 4096), undefined);
    small.forget();
  });
});
}

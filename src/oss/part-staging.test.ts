// The staging file on a real filesystem: slots, what is refused a slot, restart
// recovery, the Complete hand-over and the sweep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { link, mkdtemp, readFile, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PartStaging, type StagingSlot } from './part-staging.js';
import type { StagedPartRow } from './part-slots.js';

const ID = '0123456789ABCDEF0123456789ABCDEF';
const upload = { uploadId: ID, prefix: 'v1/multipart/x/' };
const noRows = async (): Promise<StagedPartRow[]> => [];
async function* chunks(b: Buffer, size = 1000): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

async function put(s: PartStaging, n: number, body: Buffer, rows = noRows): Promise<StagingSlot> {
  const slot = await s.claim(upload, n, body.length, rows);
  assert.ok(slot, `part ${n} gets a slot`);
  await slot.write(chunks(body));
  slot.recorded();
  slot.release();
  return slot;
}

test('parts land at their slots in any order; the file is then the object', async () => {
  const s = new PartStaging(await mkdtemp(join(tmpdir(), 'staging-')));
  const parts = [randomBytes(4096), randomBytes(4096), randomBytes(4096), randomBytes(1234)];
  for (const n of [2, 4, 1, 3]) await put(s, n, parts[n - 1] as Buffer);
  const object = Buffer.concat(parts);
  assert.equal(await s.size(ID), object.length);
  assert.deepEqual(await readFile(s.pathOf(ID)), object);
  await s.remove(ID);
  assert.equal(await s.size(ID), undefined);
});

test('no slot: a part larger than the stride, one being written, one recorded, no length', async () => {
  const s = new PartStaging(await mkdtemp(join(tmpdir(), 'staging-')));
  const first = await s.claim(upload, 1, 1000, noRows);
  assert.ok(first);
  assert.equal(await s.claim(upload, 2, 1001, noRows), undefined, 'larger than the stride');
  assert.equal(await s.claim(upload, 1, 1000, noRows), undefined, 'being written');
  await first.write(chunks(randomBytes(1000)));
  first.recorded();
  assert.equal(await s.claim(upload, 1, 1000, noRows), undefined, 'recorded: never rewritten');
  assert.equal(await s.claim(upload, 3, undefined, noRows), undefined, 'unknown length');
  const smaller = await s.claim(upload, 2, 10, noRows);
  assert.equal(smaller?.offset, 1000);
  smaller?.release();
});

test('a failed write frees its slot for the next attempt; a body past its size is refused', async () => {
  const s = new PartStaging(await mkdtemp(join(tmpdir(), 'staging-')));
  const body = randomBytes(3000);
  const slot = await s.claim(upload, 1, 3000, noRows);
  assert.ok(slot);
  async function* failing(): AsyncGenerator<Buffer> {
    yield body.subarray(0, 1000);
    throw new Error('client went away');
  }
  await assert.rejects(slot.write(failing()), /client went away/);
  slot.release();
  const again = await s.claim(upload, 1, 3000, noRows);
  assert.ok(again);
  await assert.rejects(again.write(chunks(Buffer.concat([body, Buffer.from('x')]))), RangeError);
  again.release();
  await put(s, 1, body);
  assert.deepEqual(await readFile(s.pathOf(ID)), body);
});

test('after a restart the layout comes back from the recorded rows', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'staging-'));
  const a = new PartStaging(dir);
  const p1 = randomBytes(2048);
  const p2 = randomBytes(2048);
  const s1 = await put(a, 1, p1);
  const s2 = await put(a, 2, p2);
  const rows = async (): Promise<StagedPartRow[]> => [
    { part_number: 1, blob_key: s1.key, size: 2048 }, { part_number: 2, blob_key: s2.key, size: 2048 },
  ];
  const b = new PartStaging(dir); // a new process
  assert.equal(await b.claim(upload, 2, 2048, rows), undefined, 'recorded before the restart');
  const p3 = randomBytes(100);
  const s3 = await b.claim(upload, 3, 100, rows);
  assert.equal(s3?.offset, 4096);
  await s3?.write(chunks(p3));
  s3?.recorded();
  assert.deepEqual(await readFile(b.pathOf(ID)), Buffer.concat([p1, p2, p3]));
});

test('quiesce waits for writes in flight and refuses slots until resumed; a second link refuses them too', async () => {
  const s = new PartStaging(await mkdtemp(join(tmpdir(), 'staging-')));
  const slot = await s.claim(upload, 1, 500, noRows);
  assert.ok(slot);
  let quiet = false;
  const quiescing = s.quiesce(ID).then(() => (quiet = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(quiet, false, 'waits for the write in flight');
  assert.equal(await s.claim(upload, 2, 500, noRows), undefined);
  await slot.write(chunks(randomBytes(500)));
  slot.recorded();
  await quiescing;
  s.resume(ID);
  const linked = await s.linkForCommit(ID);
  assert.equal((await stat(s.pathOf(ID))).nlink, 2);
  assert.equal(await s.claim(upload, 2, 500, noRows), undefined, 'a Complete holds the file');
  await s.unlinkQuietly(linked);
  const later = await s.claim(upload, 2, 500, noRows);
  assert.ok(later);
  later.release();
});

test('sweep removes old staging files of ended uploads and stray commit links, and keeps live ones', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'staging-'));
  const s = new PartStaging(dir);
  const other = { uploadId: 'FEDCBA9876543210FEDCBA9876543210', prefix: 'v2/multipart/y/' };
  await put(s, 1, randomBytes(10));
  const slot = await s.claim(other, 1, 10, noRows);
  await slot?.write(chunks(randomBytes(10)));
  slot?.release();
  await link(s.pathOf(ID), `${s.pathOf(ID)}.commit-abcdef`);
  const old = new Date(Date.now() - 3_600_000);
  for (const p of [s.pathOf(ID), s.pathOf(other.uploadId)]) await utimes(p, old, old);
  const fresh = new PartStaging(dir); // knows no upload in memory
  const removed = await fresh.sweep(async (id) => id === ID, 60_000, Date.now());
  assert.equal(removed, 2); // the other upload's file, and the commit link
  assert.ok(await fresh.size(ID));
  assert.equal(await fresh.size(other.uploadId), undefined);
});

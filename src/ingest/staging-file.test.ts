// The staging file: appends of several chunks at once, the hash of exactly the bytes taken,
// one append at a time, and where a reopened file goes on from.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStagingFile } from './staging-file.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'openvod-staging-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('chunks appended in batches land in order, and the MD5 covers exactly them; a reopen keeps only the trusted prefix and goes on from it', async () => {
  const chunks = Array.from({ length: 30 }, (_, i) => randomBytes(1 + ((i * 7919) % 90_000)));
  const path = join(dir, 'a.part');
  const file = await openStagingFile(path, 0, new AbortController().signal);
  await file.append(chunks.slice(0, 1));
  await file.append(chunks.slice(1, 17));
  await file.append([]);
  await file.append(chunks.slice(17));
  const all = Buffer.concat(chunks);
  assert.equal(file.bytes(), all.length);
  assert.equal(await file.md5(), createHash('md5').update(all).digest('hex'));
  await file.close();
  assert.deepEqual(await readFile(path), all);

  // A file that ends inside a 4 KiB block goes on from exactly where it ends.
  const trusted = 12_345;
  const again = await openStagingFile(path, trusted, new AbortController().signal);
  assert.equal(again.bytes(), trusted);
  assert.equal(await again.md5(), createHash('md5').update(all.subarray(0, trusted)).digest('hex'));
  await again.close();
  assert.deepEqual(await readFile(path), all.subarray(0, trusted));
  const last = await openStagingFile(path, trusted, new AbortController().signal);
  await last.append([all.subarray(trusted)]);
  assert.equal(await last.md5(), createHash('md5').update(all).digest('hex'));
  await last.close();
  assert.deepEqual(await readFile(path), all);
  const none = await openStagingFile(path, 0, new AbortController().signal);
  assert.equal(none.bytes(), 0);
  await none.remove();
});

test('one append at a time; idle() and close() wait for the running one, so bytes() is what the file holds', async () => {
  const path = join(dir, 'b.part');
  const file = await openStagingFile(path, 0, new AbortController().signal);
  const big = randomBytes(8 * 1024 * 1024);
  const first = file.append([big]);
  await assert.rejects(file.append([Buffer.from('x')]), /while another append is running/);
  // What a fetch attempt does when its pipeline rejects mid-write: wait, then read the count.
  await file.idle();
  assert.equal(file.bytes(), big.length);
  await first;
  const second = file.append([Buffer.from('tail')]);
  await file.close(); // without waiting for `second` first
  await second;
  const onDisk = await readFile(path);
  assert.equal(onDisk.length, big.length + 4);
  assert.equal(onDisk.subarray(big.length).toString(), 'tail');
  await assert.doesNotReject(file.idle());
});

// The staging file against real writer threads: bytes, MD5, resume, reset, background
// writeback, cancellation and a disk that fills up (/dev/full).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { FetchError } from './fetch-errors.js';
import { openStagingFile } from './staging-file.js';
import { createStagingPool, defaultStagingThreads } from './staging-pool.js';

const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');
const bytesOf = (n: number, seed = 1): Buffer => {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 11)) & 0xff;
  return b;
};

async function setup(t: TestContext, threads = 2) {
  const dir = await mkdtemp(join(tmpdir(), 'openvod-staging-'));
  const pool = createStagingPool(threads);
  t.after(async () => {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, pool, signal: new AbortController().signal };
}

test('appended chunks of any size land in order; bytes, MD5 and the file agree; onWritten follows the writes', async (t) => {
  const { dir, pool, signal } = await setup(t);
  const data = bytesOf(5 * 1024 * 1024 + 12_345);
  const written: number[] = [];
  const f = await openStagingFile(join(dir, 'a'), 0, signal, { pool, onWritten: (n) => written.push(n) });
  // Network-sized chunks through the fast path, and one batch bigger than the whole ring.
  let at = 0;
  for (; at < 1024 * 1024; at += 65_536) if (!f.tryAppend(data.subarray(at, at + 65_536))) await f.append([data.subarray(at, at + 65_536)]);
  await f.append([data.subarray(at, at + 10), data.subarray(at + 10)]);
  await f.flush();
  assert.equal(f.bytes(), data.length);
  assert.equal(await f.md5(), md5(data));
  await f.close();
  await f.close(); // idempotent
  assert.deepEqual(await readFile(join(dir, 'a')), data);
  assert.equal(written.at(-1), data.length);
  assert.ok(written.every((n, i) => i === 0 || n > written[i - 1]!), 'onWritten only grows');
});

test('resume: the trusted prefix is kept and re-hashed, bytes past it are cut off', async (t) => {
  const { dir, pool, signal } = await setup(t);
  const data = bytesOf(9 * 1024 * 1024 + 7, 2); // more than one read-back block
  const path = join(dir, 'r');
  await writeFile(path, Buffer.concat([data.subarray(0, 6_000_000), Buffer.alloc(1000, 0xee)]));
  const f = await openStagingFile(path, 6_000_000, signal, { pool });
  assert.equal(f.bytes(), 6_000_000);
  await f.append([data.subarray(6_000_000)]);
  assert.equal(await f.md5(), md5(data));
  await f.close();
  assert.deepEqual(await readFile(path), data);
  // A file shorter than the trusted count keeps what it has.
  const g = await openStagingFile(join(dir, 'short'), 500, signal, { pool });
  assert.equal(g.bytes(), 0);
  await g.close();
});

test('reset truncates and starts a new hash; remove deletes the file', async (t) => {
  const { dir, pool, signal } = await setup(t);
  const f = await openStagingFile(join(dir, 'x'), 0, signal, { pool });
  await f.append([Buffer.from('old bytes')]);
  await f.reset();
  assert.equal(f.bytes(), 0);
  await f.append([Buffer.from('new')]);
  assert.equal(await f.md5(), md5(Buffer.from('new')));
  assert.equal((await stat(join(dir, 'x'))).size, 3);
  await f.remove();
  assert.equal(existsSync(join(dir, 'x')), false);
});

test('background writeback every syncEveryBytes does not disturb the bytes or the hash', async (t) => {
  const { dir, pool, signal } = await setup(t, 1);
  const data = bytesOf(3 * 1024 * 1024, 3);
  const f = await openStagingFile(join(dir, 's'), 0, signal, { pool, syncEveryBytes: 256 * 1024 });
  for (let at = 0; at < data.length; at += 100_000) await f.append([data.subarray(at, at + 100_000)]);
  assert.equal(await f.md5(), md5(data));
  await f.close();
  assert.deepEqual(await readFile(join(dir, 's')), data);
});

test('a full disk fails the write with DownloadFailed.StagingFile, and every later write too', { skip: !existsSync('/dev/full') }, async (t) => {
  const { pool, signal } = await setup(t);
  const f = await openStagingFile('/dev/full', 0, signal, { pool });
  await f.append([Buffer.alloc(1000)]).catch(() => {}); // handed over; the failure may show here or later
  const err = await f.flush().then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof FetchError && err.code === 'DownloadFailed.StagingFile', String(err));
  assert.match(err.message, /ENOSPC|no space/i);
  await assert.rejects(f.append([Buffer.alloc(10)]), (e: unknown) => e instanceof FetchError && e.code === 'DownloadFailed.StagingFile');
  assert.equal(f.bytes(), 0);
  await f.close();
});

test('a signal aborted while a long re-hash runs cancels the open promptly', async (t) => {
  const { dir, pool } = await setup(t, 1);
  const path = join(dir, 'big');
  await writeFile(path, Buffer.alloc(64 * 1024 * 1024, 1));
  const ac = new AbortController();
  const opening = openStagingFile(path, 64 * 1024 * 1024, ac.signal, { pool });
  setImmediate(() => ac.abort(new Error('job cancelled')));
  const err = await opening.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof FetchError && err.code === 'Cancelled', String(err));
  // The thread is free for other files afterwards.
  const f = await openStagingFile(join(dir, 'next'), 0, new AbortController().signal, { pool });
  await f.append([Buffer.from('ok')]);
  assert.equal(await f.md5(), md5(Buffer.from('ok')));
  await f.close();
});

test('an unusable path fails the open with DownloadFailed.StagingFile', async (t) => {
  const { dir, pool, signal } = await setup(t);
  const err = await openStagingFile(join(dir, 'no', 'such', 'dir'), 0, signal, { pool }).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof FetchError && err.code === 'DownloadFailed.StagingFile', String(err));
});

test('many files share a pool of threads; a closed pool refuses new files', async (t) => {
  const { dir, pool, signal } = await setup(t, 2);
  const datas = Array.from({ length: 6 }, (_, i) => bytesOf(300_000 + i, i));
  const files = await Promise.all(datas.map((_, i) => openStagingFile(join(dir, `m${i}`), 0, signal, { pool })));
  await Promise.all(files.map((f, i) => f.append([datas[i]!])));
  assert.deepEqual(await Promise.all(files.map((f) => f.md5())), datas.map(md5));
  await Promise.all(files.map((f) => f.close()));
  await pool.close();
  await assert.rejects(openStagingFile(join(dir, 'late'), 0, signal, { pool }), /closed/);
});

test('default thread count: one per core, 2 to 4', () => {
  assert.deepEqual([1, 2, 3, 8, 64].map((c) => defaultStagingThreads(c)), [2, 2, 3, 4, 4]);
});

// The file MD5 worker against node:crypto on real files: sizes around the direct-read block and
// the worker's 64 MiB slice, files on which direct reads are refused, several files at once,
// cancellation, and a missing file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileMd5 } from './file-md5.js';

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const MiB = 1024 * 1024;

test('the MD5 and size of files around 4 KiB, 1 MiB and the 64 MiB slice', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'file-md5-'));
  const hasher = new FileMd5();
  try {
    for (const size of [0, 1, 4095, 4096, 4097, MiB - 1, MiB + 13, 64 * MiB, 64 * MiB + 4097]) {
      const bytes = randomBytes(size);
      const path = join(dir, `f${size}`);
      await writeFile(path, bytes);
      assert.deepEqual(await hasher.hash(path), { md5: md5(bytes), size }, `${size} bytes`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('several files at once, each its own answer', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'file-md5-'));
  const hasher = new FileMd5();
  try {
    const files = await Promise.all([3 * MiB + 1, 70 * MiB, 12345].map(async (size, i) => {
      const bytes = randomBytes(size);
      const path = join(dir, `f${i}`);
      await writeFile(path, bytes);
      return { path, expected: { md5: md5(bytes), size } };
    }));
    const got = await Promise.all(files.map((f) => hasher.hash(f.path)));
    assert.deepEqual(got, files.map((f) => f.expected));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('aborting rejects with the reason, and the worker goes on serving', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'file-md5-'));
  const hasher = new FileMd5();
  try {
    const big = join(dir, 'big');
    await writeFile(big, randomBytes(256 * MiB));
    const ac = new AbortController();
    const pending = hasher.hash(big, ac.signal);
    const reason = new Error('job lease lost');
    ac.abort(reason);
    await assert.rejects(pending, (e) => e === reason);
    await assert.rejects(hasher.hash(big, ac.signal), (e) => e === reason, 'an aborted signal is refused at once');
    const small = randomBytes(5000);
    await writeFile(join(dir, 'small'), small);
    assert.deepEqual(await hasher.hash(join(dir, 'small')), { md5: md5(small), size: 5000 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a missing file rejects with the error, not a digest', async () => {
  await assert.rejects(new FileMd5().hash(join(tmpdir(), `missing-${randomBytes(6).toString('hex')}`)), /file MD5: .*ENOENT/);
});

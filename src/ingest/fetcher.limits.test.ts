// Size limits, cancellation and per-host concurrency.
import assert from 'node:assert/strict';
import { access, stat, writeFile } from 'node:fs/promises';
import { test } from 'node:test';
import { generatedBytes, generatedMd5, md5Hex } from '../../test/helpers/origin.js';
import { setupKit } from './fetch.test-support.js';

const CONTENT = generatedBytes(500_000);
const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

test('Content-Length over maxBytes → FileSizeExceeded before the body is read', async (t) => {
  const kit = await setupKit(t);
  kit.origin.serveBytes('/big', CONTENT);
  const err = await kit.fail('/big', { limits: { maxBytes: 100_000 } });
  assert.equal(err.code, 'FileSizeExceeded');
  assert.equal(err.retryable, false);
  assert.match(err.message, /500000 bytes/);
  assert.equal(kit.origin.requests('/big').length, 1);
  assert.equal(await exists(kit.file()), false, 'no partial file is left to count');
});

test('streaming past maxBytes (chunked, no Content-Length) → FileSizeExceeded, partial file removed', async (t) => {
  const kit = await setupKit(t);
  kit.origin.serveBytes('/big', CONTENT, { chunked: true });
  let maxReported = 0;
  const err = await kit.fail('/big', { limits: { maxBytes: 100_000 }, onProgress: (p) => (maxReported = Math.max(maxReported, p.bytes)) });
  assert.equal(err.code, 'FileSizeExceeded');
  assert.ok(maxReported <= 100_000, `never holds more than the limit (reported ${maxReported})`);
  assert.equal(await exists(kit.file()), false);
  assert.equal(kit.origin.requests('/big').length, 1, 'not retried');
});

test('a resumed source whose Content-Range total is over maxBytes → FileSizeExceeded', async (t) => {
  const kit = await setupKit(t);
  const { etag } = kit.origin.serveBytes('/big', CONTENT);
  await writeFile(kit.file(), CONTENT.subarray(0, 10));
  const err = await kit.fail('/big', { resume: { bytes: 10, etag }, limits: { maxBytes: 100_000 } });
  assert.equal(err.code, 'FileSizeExceeded');
});

test('exactly maxBytes is fine', async (t) => {
  const kit = await setupKit(t);
  kit.origin.serveBytes('/v', CONTENT, { chunked: true });
  const r = await kit.fetch('/v', { limits: { maxBytes: CONTENT.length } });
  assert.equal(r.size, CONTENT.length);
});

test('aborting the signal mid-transfer → Cancelled promptly; the staging file is kept and resumes later', async (t) => {
  const kit = await setupKit(t);
  const { etag } = kit.origin.serveBytes('/v', CONTENT);
  kit.origin.fault('/v', { kind: 'drip', bytesPerTick: 4096, intervalMs: 5, times: 1 });
  const ac = new AbortController();
  let persisted = 0;
  const err = await kit.fail('/v', {
    signal: ac.signal,
    onProgress: (p) => {
      persisted = p.bytes;
      if (p.bytes >= 40_000) ac.abort(new Error('job cancelled'));
    },
  });
  assert.equal(err.code, 'Cancelled');
  assert.equal(kit.origin.requests('/v').length, 1, 'no retry after a cancel');
  assert.equal((await stat(kit.file())).size, persisted, 'the file holds exactly the reported bytes');
  // A later run resumes from what was persisted.
  const r = await kit.fetch('/v', { resume: { bytes: persisted, etag } });
  assert.equal(r.md5, md5Hex(CONTENT));
  assert.equal(r.resumedFromBytes, persisted);
  assert.equal(kit.origin.requests('/v')[1]!.range, `bytes=${persisted}-`);
});

test('a signal aborted before the call → Cancelled, nothing requested', async (t) => {
  const kit = await setupKit(t);
  kit.origin.serveBytes('/v', CONTENT);
  const err = await kit.fail('/v', { signal: AbortSignal.abort() });
  assert.equal(err.code, 'Cancelled');
  assert.equal(kit.origin.requests().length, 0);
});

test('aborting during the backoff wait → Cancelled', async (t) => {
  const kit = await setupKit(t);
  kit.origin.fault('/v', { kind: 'status', status: 500, times: Infinity });
  const ac = new AbortController();
  const err = await kit.fail('/v', {
    signal: ac.signal,
    sleep: (_ms, signal) => {
      ac.abort();
      return Promise.reject(signal.reason as Error);
    },
  });
  assert.equal(err.code, 'Cancelled');
  assert.equal(kit.origin.requests('/v').length, 1);
});

test('aborting during a stall → Cancelled (the watchdog is not needed)', async (t) => {
  const kit = await setupKit(t);
  kit.origin.serveBytes('/v', CONTENT);
  kit.origin.fault('/v', { kind: 'stall', afterBytes: 1000, times: Infinity });
  const ac = new AbortController();
  const err = await kit.fail('/v', {
    signal: ac.signal,
    limits: { stallTimeoutMs: 600_000 },
    onProgress: (p) => {
      if (p.bytes >= 1000) setTimeout(() => ac.abort(), 20);
    },
  });
  assert.equal(err.code, 'Cancelled');
});

test('host limiter: perHost 2, 5 parallel fetches to one host → never more than 2 at the origin', async (t) => {
  const kit = await setupKit(t, { perHost: 2 });
  const size = 64 * 1024;
  for (let i = 0; i < 5; i++) {
    kit.origin.serveGenerated(`/f${i}`, size);
    kit.origin.fault(`/f${i}`, { kind: 'drip', bytesPerTick: 16 * 1024, intervalMs: 20 });
  }
  const results = await Promise.all([0, 1, 2, 3, 4].map((i) => kit.fetch(`/f${i}`, { file: kit.file(`f${i}.bin`) })));
  for (const r of results) assert.equal(r.md5, generatedMd5(size));
  assert.ok(kit.origin.stats().maxConcurrent <= 2, `max concurrent at the origin: ${kit.origin.stats().maxConcurrent}`);
  assert.equal(kit.hostLimiter.active().total, 0, 'every slot was released');
});

test('slots are released after failures too', async (t) => {
  const kit = await setupKit(t, { perHost: 1 });
  kit.origin.fault('/gone', { kind: 'status', status: 404, times: Infinity });
  kit.origin.fault('/err', { kind: 'status', status: 500, times: Infinity });
  await kit.fail('/gone');
  await kit.fail('/err', { limits: { maxAttempts: 2 } });
  assert.equal(kit.hostLimiter.active().total, 0);
});

// fetchToFile retries: dropped connections resume with Range, 5xx/429 back off (Retry-After
// honoured), 4xx fail at once, stalls are caught by the watchdog. Backoff waits are recorded by
// the kit's `sleep`, never slept.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { generatedBytes, md5Hex } from '../../test/helpers/origin.js';
import { setupKit } from './fetch.test-support.js';

const CONTENT = generatedBytes(800_000);
const MD5 = md5Hex(CONTENT);

test('connection reset mid-body, then OK: one call succeeds, the retry asks for bytes=N-', async (t) => {
  const kit = await setupKit(t);
  const { etag } = kit.origin.serveBytes('/v', CONTENT);
  kit.origin.fault('/v', { kind: 'reset', afterBytes: 262_144 });
  const r = await kit.fetch('/v');
  assert.equal(r.md5, MD5);
  assert.deepEqual([r.attempts, r.rangeRequests, r.restarts], [2, 1, 0]);
  const reqs = kit.origin.requests('/v');
  assert.equal(reqs.length, 2);
  assert.equal(reqs[1]!.range, 'bytes=262144-');
  assert.equal(reqs[1]!.ifRange, etag);
  assert.equal(kit.sleeps.length, 1, 'one backoff between the attempts');
  assert.deepEqual(await readFile(kit.file()), CONTENT);
});

test('a body cut short of its Content-Length (clean close) resumes with Range', async (t) => {
  const kit = await setupKit(t);
  kit.origin.serveBytes('/v', CONTENT);
  kit.origin.fault('/v', { kind: 'close', afterBytes: 100_000 });
  const r = await kit.fetch('/v');
  assert.equal(r.md5, MD5);
  assert.equal(kit.origin.requests('/v')[1]!.range, 'bytes=100000-');
});

test('declared length longer than the body, on every attempt → LengthMismatch after the retries', async (t) => {
  const kit = await setupKit(t);
  kit.origin.serveBytes('/v', CONTENT);
  kit.origin.fault('/v', { kind: 'close', afterBytes: 100_000, times: Infinity });
  const err = await kit.fail('/v', { limits: { maxAttempts: 3 } });
  assert.equal(err.code, 'DownloadFailed.LengthMismatch');
  assert.equal(err.retryable, true);
  assert.match(err.message, /gave up after 3 attempts/);
  // Each retry resumed where the last one stopped.
  assert.deepEqual(kit.origin.requests('/v').map((q) => q.range), [undefined, 'bytes=100000-', 'bytes=200000-']);
});

test('Content-Length that overstates the body: the short body is resumed and confirmed by 416', async (t) => {
  const kit = await setupKit(t);
  kit.origin.serveBytes('/v', CONTENT);
  kit.origin.fault('/v', { kind: 'declareMore', extraBytes: 1000 });
  const r = await kit.fetch('/v');
  assert.equal(r.md5, MD5);
  assert.equal(r.size, CONTENT.length);
  assert.equal(kit.origin.requests('/v')[1]!.range, `bytes=${CONTENT.length}-`);
});

test('a 206 body longer than its Content-Range → LengthMismatch, not retried', async (t) => {
  const kit = await setupKit(t);
  const { etag } = kit.origin.serveBytes('/v', CONTENT);
  kit.origin.fault('/v', { kind: 'sendMore', extraBytes: 5000 });
  await writeFile(kit.file(), CONTENT.subarray(0, 1000));
  const err = await kit.fail('/v', { resume: { bytes: 1000, etag } });
  assert.equal(err.code, 'DownloadFailed.LengthMismatch');
  assert.equal(err.retryable, false);
  assert.equal(kit.origin.requests('/v').length, 1);
});

test('bytes after a short Content-Length are not part of the body and never stored', async (t) => {
  const kit = await setupKit(t);
  kit.origin.serveBytes('/v', CONTENT);
  kit.origin.fault('/v', { kind: 'sendMore', extraBytes: 5000 });
  const r = await kit.fetch('/v');
  assert.equal(r.size, CONTENT.length - 5000);
  assert.equal(r.md5, md5Hex(CONTENT.subarray(0, CONTENT.length - 5000)));
});

test('500 twice, then OK', async (t) => {
  const kit = await setupKit(t);
  kit.origin.serveBytes('/v', CONTENT);
  kit.origin.fault('/v', { kind: 'status', status: 500, times: 2 });
  const r = await kit.fetch('/v', { limits: { retryBaseMs: 100, retryCapMs: 10_000 } });
  assert.equal(r.md5, MD5);
  assert.equal(r.attempts, 3);
  assert.equal(kit.origin.requests('/v').length, 3);
  // Full jitter with random() = 0.5: half of min(cap, base·2^(n-1)).
  assert.deepEqual(kit.sleeps, [50, 100]);
});

test('5xx on every attempt → HttpServerError with the status', async (t) => {
  const kit = await setupKit(t);
  kit.origin.fault('/v', { kind: 'status', status: 502, times: Infinity });
  const err = await kit.fail('/v', { limits: { maxAttempts: 4 } });
  assert.equal(err.code, 'DownloadFailed.HttpServerError');
  assert.equal(err.httpStatus, 502);
  assert.match(err.message, /HTTP 502/);
  assert.equal(kit.origin.requests('/v').length, 4);
});

for (const status of [401, 403, 404, 410, 400, 451]) {
  test(`HTTP ${status} is not retried: exactly one request`, async (t) => {
    const kit = await setupKit(t);
    kit.origin.fault('/v', { kind: 'status', status, times: Infinity });
    const err = await kit.fail('/v');
    assert.equal(err.code, 'DownloadFailed.HttpClientError');
    assert.equal(err.httpStatus, status);
    assert.equal(err.retryable, false);
    assert.match(err.message, new RegExp(`HTTP ${status}`));
    assert.equal(kit.origin.requests('/v').length, 1);
    assert.deepEqual(kit.sleeps, []);
  });
}

test('408 is retried', async (t) => {
  const kit = await setupKit(t);
  kit.origin.serveBytes('/v', CONTENT);
  kit.origin.fault('/v', { kind: 'status', status: 408 });
  const r = await kit.fetch('/v');
  assert.equal(r.attempts, 2);
});

test('429 with Retry-After: 1 → waits exactly 1 s, then succeeds', async (t) => {
  const kit = await setupKit(t);
  kit.origin.serveBytes('/v', CONTENT);
  kit.origin.fault('/v', { kind: 'status', status: 429, headers: { 'retry-after': '1' } });
  const r = await kit.fetch('/v');
  assert.equal(r.md5, MD5);
  assert.deepEqual(kit.sleeps, [1000]);
});

test('503 with an HTTP-date Retry-After is honoured', async (t) => {
  const kit = await setupKit(t);
  kit.origin.serveBytes('/v', CONTENT);
  const now = Date.parse('2030-01-01T00:00:00Z');
  kit.origin.fault('/v', { kind: 'status', status: 503, headers: { 'retry-after': 'Tue, 01 Jan 2030 00:00:42 GMT' } });
  await kit.fetch('/v', { now: () => now });
  assert.deepEqual(kit.sleeps, [42_000]);
});

test('Retry-After longer than the fetcher waits → Throttled at once, carrying the wish', async (t) => {
  const kit = await setupKit(t);
  kit.origin.fault('/v', { kind: 'status', status: 503, headers: { 'retry-after': '3600' }, times: Infinity });
  const err = await kit.fail('/v');
  assert.equal(err.code, 'DownloadFailed.Throttled');
  assert.equal(err.retryAfterMs, 3_600_000);
  assert.equal(err.httpStatus, 503);
  assert.equal(kit.origin.requests('/v').length, 1);
});

test('429 on every attempt → Throttled', async (t) => {
  const kit = await setupKit(t);
  kit.origin.fault('/v', { kind: 'status', status: 429, times: Infinity });
  const err = await kit.fail('/v', { limits: { maxAttempts: 3 } });
  assert.equal(err.code, 'DownloadFailed.Throttled');
  assert.equal(err.httpStatus, 429);
  assert.equal(kit.origin.requests('/v').length, 3);
});

test('stall mid-body → watchdog aborts, retries resume, then Stalled', async (t) => {
  const kit = await setupKit(t);
  kit.origin.serveBytes('/v', CONTENT);
  kit.origin.fault('/v', { kind: 'stall', afterBytes: 1000, times: Infinity });
  const err = await kit.fail('/v', { limits: { stallTimeoutMs: 300, maxAttempts: 3 } });
  assert.equal(err.code, 'DownloadFailed.Stalled');
  assert.equal(err.retryable, true);
  assert.deepEqual(kit.origin.requests('/v').map((q) => q.range), [undefined, 'bytes=1000-', 'bytes=2000-']);
});

test('a stall then a healthy answer: the stalled bytes are kept', async (t) => {
  const kit = await setupKit(t);
  kit.origin.serveBytes('/v', CONTENT);
  kit.origin.fault('/v', { kind: 'stall', afterBytes: 70_000 });
  const r = await kit.fetch('/v', { limits: { stallTimeoutMs: 300 } });
  assert.equal(r.md5, MD5);
  assert.equal(kit.origin.requests('/v')[1]!.range, 'bytes=70000-');
});

test('no response headers within the headers timeout → Stalled', async (t) => {
  const kit = await setupKit(t);
  kit.origin.serveBytes('/v', CONTENT);
  kit.origin.fault('/v', { kind: 'stall', afterBytes: 0, times: Infinity });
  const err = await kit.fail('/v', { limits: { headersTimeoutMs: 300, maxAttempts: 2 } });
  assert.equal(err.code, 'DownloadFailed.Stalled');
  assert.match(err.message, /no response headers/);
});

test('connection refused → Connect after the retries', async (t) => {
  const kit = await setupKit(t);
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
  const err = await kit.fail(`http://127.0.0.1:${port}/v`, { limits: { maxAttempts: 3 } });
  assert.equal(err.code, 'DownloadFailed.Connect');
  assert.equal(kit.sleeps.length, 2);
});

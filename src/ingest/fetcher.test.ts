// fetchToFile against a real loopback origin: plain downloads and resuming from a previous run.
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { test } from 'node:test';
import { generatedBytes, md5Hex } from '../../test/helpers/origin.js';
import { setupKit } from './fetch.test-support.js';
import type { FetchProgress } from './fetcher.js';

const CONTENT = generatedBytes(1_000_003);
const MD5 = md5Hex(CONTENT);

test('downloads a file: size, whole-file MD5, validators, content type', async (t) => {
  const kit = await setupKit(t);
  const { etag } = kit.origin.serveBytes('/v.mp4', CONTENT, { contentType: 'video/mp4' });
  const progress: FetchProgress[] = [];
  const r = await kit.fetch('/v.mp4', { onProgress: (p) => progress.push(p) });
  assert.equal(r.size, CONTENT.length);
  assert.equal(r.md5, MD5);
  assert.equal(r.contentType, 'video/mp4');
  assert.equal(r.etag, etag);
  assert.equal(r.lastModified, 'Wed, 21 Oct 2015 07:28:00 GMT');
  assert.equal(r.finalUrl, kit.origin.url('/v.mp4'));
  assert.deepEqual([r.attempts, r.rangeRequests, r.restarts, r.resumedFromBytes], [1, 0, 0, 0]);
  assert.deepEqual(await readFile(kit.file()), CONTENT);
  const reqs = kit.origin.requests('/v.mp4');
  assert.equal(reqs.length, 1);
  assert.equal(reqs[0]!.range, undefined);
  assert.equal(reqs[0]!.headers['accept-encoding'], 'identity');
  // Progress: monotonic, ends at the size, carries the total and the validator to persist.
  const last = progress.at(-1)!;
  assert.equal(last.bytes, CONTENT.length);
  assert.equal(last.total, CONTENT.length);
  assert.equal(last.validator.etag, etag);
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i]!.bytes >= progress[i - 1]!.bytes);
});

test('chunked body without Content-Length', async (t) => {
  const kit = await setupKit(t);
  kit.origin.serveBytes('/c', CONTENT, { chunked: true });
  const r = await kit.fetch('/c');
  assert.equal(r.md5, MD5);
  assert.equal(r.size, CONTENT.length);
});

test('resumes a persisted partial file with Range + If-Range and fetches only the rest', async (t) => {
  const kit = await setupKit(t);
  const { etag } = kit.origin.serveBytes('/v.mp4', CONTENT);
  const have = 400_000;
  await writeFile(kit.file(), CONTENT.subarray(0, have));
  const r = await kit.fetch('/v.mp4', { resume: { bytes: have, etag } });
  assert.equal(r.md5, MD5, 'the MD5 covers the whole file, the resumed prefix included');
  assert.equal(r.size, CONTENT.length);
  assert.deepEqual([r.resumedFromBytes, r.rangeRequests, r.restarts, r.attempts], [have, 1, 0, 1]);
  const reqs = kit.origin.requests('/v.mp4');
  assert.equal(reqs.length, 1, 'the bytes already held were not fetched again');
  assert.equal(reqs[0]!.range, `bytes=${have}-`);
  assert.equal(reqs[0]!.ifRange, etag);
  assert.deepEqual(await readFile(kit.file()), CONTENT);
});

test('bytes past the persisted point are cut off and fetched again', async (t) => {
  const kit = await setupKit(t);
  const { etag } = kit.origin.serveBytes('/v.mp4', CONTENT);
  const persisted = 300_000;
  // 100 kB of garbage after the point the caller persisted (a crash between write and persist).
  await writeFile(kit.file(), Buffer.concat([CONTENT.subarray(0, persisted), Buffer.alloc(100_000, 0xee)]));
  const r = await kit.fetch('/v.mp4', { resume: { bytes: persisted, etag } });
  assert.equal(r.md5, MD5);
  assert.equal(kit.origin.requests('/v.mp4')[0]!.range, `bytes=${persisted}-`);
});

test('a staging file shorter than the persisted count resumes from what is there', async (t) => {
  const kit = await setupKit(t);
  const { etag } = kit.origin.serveBytes('/v.mp4', CONTENT);
  await writeFile(kit.file(), CONTENT.subarray(0, 1000));
  const r = await kit.fetch('/v.mp4', { resume: { bytes: 5000, etag } });
  assert.equal(r.md5, MD5);
  assert.equal(r.resumedFromBytes, 1000);
  assert.equal(kit.origin.requests('/v.mp4')[0]!.range, 'bytes=1000-');
});

test('a weak ETag is never sent as If-Range; Last-Modified is used instead', async (t) => {
  const kit = await setupKit(t);
  kit.origin.serveBytes('/w', CONTENT, { etag: 'W/"weak"' });
  await writeFile(kit.file(), CONTENT.subarray(0, 1000));
  const r = await kit.fetch('/w', { resume: { bytes: 1000, etag: 'W/"weak"', lastModified: 'Wed, 21 Oct 2015 07:28:00 GMT' } });
  assert.equal(r.md5, MD5);
  assert.equal(kit.origin.requests('/w')[0]!.ifRange, 'Wed, 21 Oct 2015 07:28:00 GMT');
  assert.equal(r.resumedFromBytes, 1000);
});

test('origin ignoring Range (200) → the file starts over from byte 0', async (t) => {
  const kit = await setupKit(t);
  const { etag } = kit.origin.serveBytes('/v.mp4', CONTENT);
  kit.origin.fault('/v.mp4', { kind: 'ignoreRange' });
  await writeFile(kit.file(), Buffer.alloc(5000, 0x41)); // not even the right bytes: must not survive
  const progress: number[] = [];
  const r = await kit.fetch('/v.mp4', { resume: { bytes: 5000, etag }, onProgress: (p) => progress.push(p.bytes) });
  assert.equal(r.md5, MD5);
  assert.equal(r.size, CONTENT.length);
  assert.deepEqual([r.restarts, r.resumedFromBytes, r.rangeRequests], [1, 0, 1]);
  assert.equal(progress[0], 0, 'the restart is reported, so the caller persists it');
  assert.deepEqual(await readFile(kit.file()), CONTENT);
});

test('validator changed at the origin → If-Range fails → start over with the new content', async (t) => {
  const kit = await setupKit(t);
  const old = generatedBytes(2_000_000).subarray(1_000_000);
  const oldEtag = kit.origin.serveBytes('/v.mp4', old).etag;
  await writeFile(kit.file(), old.subarray(0, 500_000));
  kit.origin.serveBytes('/v.mp4', CONTENT); // replaced: new ETag
  const r = await kit.fetch('/v.mp4', { resume: { bytes: 500_000, etag: oldEtag } });
  assert.equal(r.md5, MD5);
  assert.equal(r.restarts, 1);
  assert.equal(kit.origin.requests('/v.mp4')[0]!.ifRange, oldEtag);
  assert.notEqual(r.etag, oldEtag);
});

test('ETag changing between requests: the retry after a reset starts over', async (t) => {
  const kit = await setupKit(t);
  kit.origin.serveBytes('/v.mp4', CONTENT);
  kit.origin.fault('/v.mp4', { kind: 'changeEtag' });
  kit.origin.fault('/v.mp4', { kind: 'reset', afterBytes: 200_000 });
  const r = await kit.fetch('/v.mp4');
  assert.equal(r.md5, MD5);
  const reqs = kit.origin.requests('/v.mp4');
  assert.equal(reqs.length, 2);
  assert.match(reqs[1]!.range ?? '', /^bytes=\d+-$/);
  assert.match(reqs[1]!.ifRange ?? '', /-v1"$/, 'asked with the first ETag');
  assert.equal(r.restarts, 1);
  assert.match(r.etag ?? '', /-v2"$/);
});

test('416 when the file already holds the whole resource → done, nothing transferred', async (t) => {
  const kit = await setupKit(t);
  const { etag } = kit.origin.serveBytes('/v.mp4', CONTENT);
  await writeFile(kit.file(), CONTENT);
  const r = await kit.fetch('/v.mp4', { resume: { bytes: CONTENT.length, etag } });
  assert.equal(r.md5, MD5);
  assert.equal(r.size, CONTENT.length);
  assert.deepEqual([r.attempts, r.restarts, r.resumedFromBytes], [1, 0, CONTENT.length]);
  assert.equal(kit.origin.requests('/v.mp4').length, 1);
});

test('416 that contradicts the size we hold → download the whole resource again', async (t) => {
  const kit = await setupKit(t);
  const { etag } = kit.origin.serveBytes('/v.mp4', CONTENT);
  await writeFile(kit.file(), Buffer.concat([CONTENT, Buffer.alloc(10, 1)])); // longer than the source
  const r = await kit.fetch('/v.mp4', { resume: { bytes: CONTENT.length + 10, etag } });
  assert.equal(r.md5, MD5);
  assert.equal(r.restarts, 1);
  const reqs = kit.origin.requests('/v.mp4');
  assert.deepEqual(reqs.map((q) => q.range), [`bytes=${CONTENT.length + 10}-`, undefined]);
  assert.equal((await stat(kit.file())).size, CONTENT.length);
});

test('resuming a download whose origin had declared more bytes than it holds: its 416 is not taken as complete', async (t) => {
  // An earlier run (another worker, before a crash) heard Content-Length 1000 bytes larger than the
  // body it got. The origin now answers 416 for "the rest": that contradicts what it declared,
  // so the file is fetched again from the start rather than trusted.
  const kit = await setupKit(t);
  const { etag } = kit.origin.serveBytes('/v.mp4', CONTENT);
  await writeFile(kit.file(), CONTENT);
  const r = await kit.fetch('/v.mp4', { resume: { bytes: CONTENT.length, total: CONTENT.length + 1000, etag } });
  assert.equal(r.md5, MD5);
  assert.equal(r.restarts, 1);
  assert.deepEqual(kit.origin.requests('/v.mp4').map((q) => q.range), [`bytes=${CONTENT.length}-`, undefined]);
});

test('an HTML page answered with 200 is downloaded as is, with its content type', async (t) => {
  const kit = await setupKit(t);
  kit.origin.fault('/page', { kind: 'html' });
  const r = await kit.fetch('/page');
  assert.match(r.contentType ?? '', /^text\/html/);
  assert.match(await readFile(kit.file(), 'utf8'), /<html>/);
});

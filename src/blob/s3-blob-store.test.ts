import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { startS3rver } from '../../test/helpers/s3rver.js';
import type { S3rverInstance } from '../../test/helpers/s3rver.js';
import { BlobAbortedError, BlobNotFoundError, BlobSourceError, BlobStorageError, BlobStoreClosedError, BlobTooLargeError, InvalidBlobKeyError } from './blob-errors.js';
import { blobStoreConformance } from './blob-store.conformance.js';
import type { BlobListEntry } from './blob-store.js';
import { bodyOf, failingBody, gatedBody, generatedBuffer, generatedBytes, md5Hex, md5OfGenerated, readAll, writeGeneratedFile } from './blob-test-data.js';
import { attachMd5, copyRanges } from './s3-attach-md5.js';
import { createS3BlobStore } from './s3-blob-store.js';
import type { S3BlobStore, S3BlobStoreOptions } from './s3-blob-store.js';
import { addContentMd5 } from './s3-client.js';

const MiB = 1024 * 1024;

let server: S3rverInstance;
let admin: S3Client;
let buckets = 0;

before(async () => {
  server = await startS3rver({ buckets: ['shared'] });
  admin = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
});

after(async () => {
  admin?.destroy();
  await server?.stop();
});

async function newBucket(): Promise<string> {
  const name = `bucket-${++buckets}`;
  await admin.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}

/** A store with the smallest part size S3 allows, so that a few MiB already go multipart. */
function storeOn(bucket: string, extra: Partial<S3BlobStoreOptions> = {}): S3BlobStore {
  return createS3BlobStore({
    endpoint: server.endpoint,
    region: server.region,
    bucket,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    forcePathStyle: true,
    partSizeBytes: 5 * MiB,
    ...extra,
  });
}

async function pendingUploads(bucket: string): Promise<string[]> {
  const out = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (out.Uploads ?? []).map((u) => `${u.Key ?? '?'} ${u.UploadId ?? '?'}`);
}

async function rawKeys(bucket: string): Promise<string[]> {
  const out = await admin.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (out.Contents ?? []).map((o) => o.Key ?? '?');
}

/** Empties and removes a bucket; fails if a multipart upload was left behind. */
async function dropBucket(bucket: string): Promise<void> {
  const pending = await pendingUploads(bucket);
  for (;;) {
    const keys = await rawKeys(bucket);
    if (keys.length === 0) break;
    await admin.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
  }
  await admin.send(new DeleteBucketCommand({ Bucket: bucket }));
  assert.deepEqual(pending, [], 'multipart uploads were left behind');
}

// A fresh bucket per test. Copy parts of 64 MiB make the 200 MB test's MD5 copy take 4 parts.
blobStoreConformance('s3 (s3rver)', async () => {
  const bucket = await newBucket();
  return { store: storeOn(bucket, { copyPartSizeBytes: 64 * MiB }), cleanup: () => dropBucket(bucket) };
});

/** A test with its own bucket and store (5 MiB parts), closed and dropped afterwards. */
function s3Test(title: string, fn: (store: S3BlobStore, bucket: string) => Promise<void>, extra: Partial<S3BlobStoreOptions> = {}): void {
  test(title, { timeout: 60_000 }, async () => {
    const bucket = await newBucket();
    const store = storeOn(bucket, extra);
    try {
      await fn(store, bucket);
    } finally {
      await store.close();
      await dropBucket(bucket);
    }
  });
}

const head = (bucket: string, key: string) => admin.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
const keysOf = async (entries: AsyncIterable<BlobListEntry>): Promise<string[]> => {
  const keys: string[] = [];
  for await (const entry of entries) keys.push(entry.key);
  return keys;
};

describe('s3 blob store', () => {
  s3Test('stores a streamed multipart object with its MD5 as etag (the raw S3 ETag is a multipart one)', async (store, bucket) => {
    const size = 12 * MiB + 5;
    const info = await store.put('v1/source.mp4', generatedBytes(1, size), { contentType: 'video/mp4' });
    assert.equal(info.etag, md5OfGenerated(1, size));
    assert.deepEqual(await store.stat('v1/source.mp4'), info);
    const raw = await head(bucket, 'v1/source.mp4');
    assert.match(raw.ETag ?? '', /^"[0-9a-f]{32}-\d+"$/);
    assert.equal(raw.Metadata?.['openvod-md5'], info.etag);
    assert.equal(raw.ContentType, 'video/mp4');
    assert.equal(raw.ContentLength, size);
    assert.ok((await readAll(await store.get('v1/source.mp4'))).equals(generatedBuffer(1, size)));
    assert.deepEqual(await pendingUploads(bucket), []);
    assert.equal(store.kind, 's3');
  });

  s3Test('putFile hashes a multipart file first: the MD5 is in the metadata from the start, no copy', async (store, bucket) => {
    const dir = await mkdtemp(join(tmpdir(), 'openvod-s3-src-'));
    try {
      const size = 12 * MiB + 5;
      const path = join(dir, 'download.mp4');
      await writeGeneratedFile(path, 2, size);
      const info = await store.putFile('v1/source.mp4', path, { move: true });
      assert.equal(info.etag, md5OfGenerated(2, size));
      // Three 5 MiB parts as uploaded: the ETag of a later copy would have one part.
      assert.match((await head(bucket, 'v1/source.mp4')).ETag ?? '', /-3"$/);
      assert.deepEqual(await store.stat('v1/source.mp4'), info);

      // A wrong md5Hex is caught before the upload completes: nothing stored, nothing pending.
      const other = join(dir, 'other.mp4');
      await writeGeneratedFile(other, 3, size);
      await assert.rejects(store.putFile('v1/other.mp4', other, { md5Hex: md5Hex(Buffer.from('wrong')), move: true }), BlobSourceError);
      assert.equal(await store.stat('v1/other.mp4'), null);
      assert.deepEqual(await pendingUploads(bucket), []);
      assert.deepEqual(await keysOf(store.list('')), ['v1/source.mp4']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  s3Test('putFile with skipMd5 neither hashes a multipart file first nor copies it after: its etag is the S3 ETag', async (store, bucket) => {
    const dir = await mkdtemp(join(tmpdir(), 'openvod-s3-src-'));
    try {
      const size = 12 * MiB + 5;
      const path = join(dir, 'upload.mp4');
      await writeGeneratedFile(path, 12, size);
      const info = await store.putFile('v1/source.mp4', path, { move: true, skipMd5: true, contentType: 'video/mp4' });
      const raw = await head(bucket, 'v1/source.mp4');
      // Either MD5 step would have put the MD5 in the metadata; a copy would also leave one part.
      assert.equal(raw.Metadata?.['openvod-md5'], undefined);
      assert.match(info.etag, /^[0-9a-f]{32}-3$/);
      assert.equal(info.etag, raw.ETag?.replace(/"/g, ''));
      assert.equal(info.contentType, 'video/mp4');
      assert.deepEqual(await store.stat('v1/source.mp4'), info);
      assert.ok((await readAll(await store.get('v1/source.mp4'))).equals(generatedBuffer(12, size)));

      // One part is one PutObject, which sends the MD5 (Content-MD5) anyway: it stays the etag.
      const small = join(dir, 'small.bin');
      await writeGeneratedFile(small, 13, 1000);
      const one = await store.putFile('v1/small.bin', small, { skipMd5: true });
      assert.equal(one.etag, md5OfGenerated(13, 1000));
      assert.deepEqual(await store.stat('v1/small.bin'), one);
      assert.deepEqual(await pendingUploads(bucket), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  s3Test('reports objects written by other clients with their S3 ETag', async (store, bucket) => {
    const data = Buffer.from('written with a plain PutObject');
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'ext/plain.txt', Body: data, ContentType: 'text/plain' }));
    const plain = await store.stat('ext/plain.txt');
    assert.ok(plain);
    assert.equal(plain.etag, md5Hex(data), 'a single-part ETag is the MD5');
    assert.equal(plain.size, data.length);
    assert.equal(plain.contentType, 'text/plain');

    const { UploadId } = await admin.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'ext/multi.bin' }));
    const part = await admin.send(new UploadPartCommand({ Bucket: bucket, Key: 'ext/multi.bin', UploadId, PartNumber: 1, Body: Buffer.from('one part') }));
    await admin.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'ext/multi.bin', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    const multi = await store.stat('ext/multi.bin');
    assert.ok(multi);
    assert.match(multi.etag, /^[0-9a-f]{32}-1$/);
    assert.equal(multi.etag, (await head(bucket, 'ext/multi.bin')).ETag?.replace(/"/g, ''));
    assert.equal((await readAll(await store.get('ext/multi.bin'))).toString(), 'one part');
  });

  test('the prefix option isolates stores sharing a bucket', { timeout: 60_000 }, async () => {
    const bucket = await newBucket();
    const a = storeOn(bucket, { prefix: 'media/a/' });
    const b = storeOn(bucket, { prefix: 'media/b/' });
    const all = storeOn(bucket);
    try {
      assert.equal(a.prefix, 'media/a/');
      assert.equal(a.bucket, bucket);
      await a.put('v1/source.mp4', bodyOf(Buffer.from('from a')));
      await b.put('v1/source.mp4', bodyOf(Buffer.from('from b')));
      await b.put('v1/cover.jpg', bodyOf(Buffer.from('cover b')));
      assert.equal((await readAll(await a.get('v1/source.mp4'))).toString(), 'from a');
      assert.equal((await readAll(await b.get('v1/source.mp4'))).toString(), 'from b');
      assert.deepEqual(await keysOf(a.list('')), ['v1/source.mp4']);
      assert.deepEqual(await keysOf(b.list('v1/')), ['v1/cover.jpg', 'v1/source.mp4']);
      assert.deepEqual(await keysOf(all.list('')), ['media/a/v1/source.mp4', 'media/b/v1/cover.jpg', 'media/b/v1/source.mp4']);
      await a.deletePrefix('v1/');
      assert.equal(await a.stat('v1/source.mp4'), null);
      assert.deepEqual(await keysOf(b.list('')), ['v1/cover.jpg', 'v1/source.mp4']);
      await b.delete('v1/cover.jpg');
      assert.deepEqual(await rawKeys(bucket), ['media/b/v1/source.mp4']);
      // The prefix counts towards S3's 1024-byte key limit; checked before any request.
      const longest = `${`${'k'.repeat(250)}/`.repeat(4)}${'k'.repeat(20)}`; // 1024 bytes: a valid key
      await assert.rejects(a.put(longest, bodyOf()), InvalidBlobKeyError);
      await assert.rejects(a.stat(longest), InvalidBlobKeyError);
    } finally {
      await Promise.all([a.close(), b.close(), all.close()]);
      await dropBucket(bucket);
    }
  });

  s3Test('presignGet gives a URL that a plain fetch can GET, whole or a range', async (store) => {
    const data = generatedBuffer(4, 10_000);
    await store.put('v1/cover.jpg', bodyOf(data), { contentType: 'image/jpeg' });
    const url = await store.presignGet('v1/cover.jpg', 600);
    assert.match(url, /X-Amz-Signature=/);
    const whole = await fetch(url);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-type'), 'image/jpeg');
    assert.ok(Buffer.from(await whole.arrayBuffer()).equals(data));
    const part = await fetch(url, { headers: { Range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), 'bytes 100-199/10000');
    assert.ok(Buffer.from(await part.arrayBuffer()).equals(data.subarray(100, 200)));
    await assert.rejects(store.presignGet('v1/cover.jpg', 0), RangeError);
    await assert.rejects(store.presignGet('../x', 60), InvalidBlobKeyError);
  });

  s3Test('a put past maxBytes after parts were uploaded leaves no object and no multipart upload', async (store, bucket) => {
    const old = await store.put('f/obj', bodyOf(Buffer.from('old')));
    await assert.rejects(store.put('f/obj', generatedBytes(5, 13 * MiB), { maxBytes: 11 * MiB }), (e: unknown) => e instanceof BlobTooLargeError && e.maxBytes === 11 * MiB);
    assert.deepEqual(await store.stat('f/obj'), old);
    assert.deepEqual(await pendingUploads(bucket), []);
  });

  s3Test('an abort or close during a multipart upload leaves no object and no multipart upload', async (store, bucket) => {
    const controller = new AbortController();
    const reason = new Error('user cancelled');
    // 12 MiB, then the body hangs: the upload has started and can't finish.
    const aborted = gatedBody(6, 14 * MiB, 12 * MiB);
    const writing = store.put('a/aborted', aborted.body, { signal: controller.signal });
    await waitFor(async () => (await pendingUploads(bucket)).length === 1);
    controller.abort(reason);
    await assert.rejects(writing, (e: unknown) => e instanceof BlobAbortedError && e.cause === reason);
    assert.equal(await store.stat('a/aborted'), null);
    assert.deepEqual(await pendingUploads(bucket), []);

    const closed = gatedBody(7, 14 * MiB, 12 * MiB);
    const outcome = store.put('a/closed', closed.body).then(
      () => 'stored',
      (e: unknown) => e,
    );
    await waitFor(async () => (await pendingUploads(bucket)).length === 1);
    await store.close();
    assert.ok((await outcome) instanceof BlobStoreClosedError);
    assert.deepEqual(await rawKeys(bucket), []);
    assert.deepEqual(await pendingUploads(bucket), []);
  });

  s3Test('rejects with the body’s own error when a multipart body fails, leaving nothing', async (store, bucket) => {
    const broken = new Error('source connection reset');
    await assert.rejects(store.put('f/new', failingBody(9, 12 * MiB, broken)), (e: unknown) => e === broken);
    assert.equal(await store.stat('f/new'), null);
    assert.deepEqual(await pendingUploads(bucket), []);
  });

  s3Test('stores a body of exactly one part with one PutObject, one byte more as a multipart upload', async (store, bucket) => {
    const one = await store.put('p/one', generatedBytes(10, 5 * MiB));
    assert.match((await head(bucket, 'p/one')).ETag ?? '', /^"[0-9a-f]{32}"$/);
    assert.equal(one.etag, md5OfGenerated(10, 5 * MiB));
    const more = await store.put('p/more', generatedBytes(11, 5 * MiB + 1));
    assert.match((await head(bucket, 'p/more')).ETag ?? '', /-1"$/, 'multipart, then the MD5 copy');
    assert.equal(more.etag, md5OfGenerated(11, 5 * MiB + 1));
    assert.deepEqual(await store.stat('p/more'), more);
  });

  s3Test('the MD5 copy never overwrites a newer version written meanwhile', async (store, bucket) => {
    const first = Buffer.alloc(6 * MiB, 1);
    const target = { client: admin, bucket, objectKey: 'race/obj' };
    const { UploadId } = await admin.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'race/obj' }));
    const part = await admin.send(new UploadPartCommand({ Bucket: bucket, Key: 'race/obj', UploadId, PartNumber: 1, Body: first }));
    const written = await admin.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'race/obj', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    assert.ok(written.ETag);
    // Another writer replaces the object before the MD5 is attached.
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'race/obj', Body: Buffer.from('newer') }));
    const spec = { size: first.length, etag: written.ETag, md5Hex: md5Hex(first), contentType: undefined, copyPartSizeBytes: 5 * MiB, queueSize: 2 };
    assert.equal(await attachMd5(target, spec), undefined);
    assert.equal((await readAll(await store.get('race/obj'))).toString(), 'newer');
    assert.equal((await store.stat('race/obj'))?.etag, md5Hex(Buffer.from('newer')));
    assert.deepEqual(await pendingUploads(bucket), []);
  });

  s3Test('copies the MD5 onto a large object in several ranged parts', async (store, bucket) => {
    const size = 11 * MiB + 3;
    const info = await store.put('big/obj', generatedBytes(8, size), { contentType: 'video/mp4' });
    assert.equal(info.etag, md5OfGenerated(8, size));
    assert.match((await head(bucket, 'big/obj')).ETag ?? '', /-3"$/, 'copied in three 5 MiB parts');
    assert.deepEqual(await store.stat('big/obj'), info);
    assert.ok((await readAll(await store.get('big/obj'))).equals(generatedBuffer(8, size)));
    assert.deepEqual(copyRanges(10, 4), [{ start: 0, end: 3 }, { start: 4, end: 7 }, { start: 8, end: 9 }]);
  }, { copyPartSizeBytes: 5 * MiB });

  s3Test('skips keys no blob key can name when listing; deletePrefix removes them too', async (store, bucket) => {
    await store.put('v1/source.mp4', bodyOf(Buffer.from('x')));
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'v1/folder/', Body: Buffer.alloc(0) }));
    assert.deepEqual(await keysOf(store.list('')), ['v1/source.mp4']);
    await store.deletePrefix('v1/');
    assert.deepEqual(await rawKeys(bucket), []);
  });

  s3Test('deletes more than 1000 objects under a prefix, in batches', async (store, bucket) => {
    const keys = Array.from({ length: 1105 }, (_, i) => `many/${String(i).padStart(4, '0')}`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((Key) => admin.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Buffer.from(Key) }))));
    }
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'other/keep', Body: Buffer.from('keep') }));
    assert.equal((await keysOf(store.list('many/'))).length, keys.length, 'the listing pages past 1000 keys');
    await store.deletePrefix('many/');
    assert.deepEqual(await rawKeys(bucket), ['other/keep']);
  });

  s3Test('a missing object is not found; a missing bucket is a storage error', async (store) => {
    await assert.rejects(store.get('nope'), BlobNotFoundError);
    const lost = storeOn('no-such-bucket');
    try {
      await assert.rejects(lost.get('x'), BlobStorageError);
      await assert.rejects(lost.put('x', bodyOf(Buffer.from('x'))), BlobStorageError);
      await assert.rejects(keysOf(lost.list('')), BlobStorageError);
    } finally {
      await lost.close();
    }
  });

  test('checks its options', () => {
    const base = { region: 'us-east-1', bucket: 'b' };
    assert.throws(() => createS3BlobStore({ ...base, partSizeBytes: MiB }), /partSizeBytes/);
    assert.throws(() => createS3BlobStore({ ...base, queueSize: 0, bucket: '' }), /bucket.*queueSize|queueSize.*bucket/);
    assert.throws(() => createS3BlobStore({ ...base, prefix: '/abs/' }), /prefix/);
    assert.throws(() => createS3BlobStore({ ...base, accessKeyId: 'only-the-id' }), /secretAccessKey/);
  });

  test('adds Content-MD5 to serialized request bodies that lack one', () => {
    const request = { headers: {} as Record<string, string>, body: '<Delete><Object><Key>a</Key></Object></Delete>' };
    addContentMd5(request);
    assert.equal(request.headers['content-md5'], Buffer.from(md5Hex(Buffer.from(request.body)), 'hex').toString('base64'));
    const streamed = { headers: {} as Record<string, string>, body: generatedBytes(1, 10) };
    addContentMd5(streamed);
    assert.deepEqual(streamed.headers, {});
  });
});

describe('startS3rver', () => {
  test('the server goes away with the test process that started it, even on SIGKILL', { timeout: 60_000 }, async () => {
    const helper = pathToFileURL(fileURLToPath(new URL('../../test/helpers/s3rver.ts', import.meta.url))).href;
    const script = `
      const { startS3rver } = await import(${JSON.stringify(helper)});
      const s = await startS3rver();
      process.stdout.write(JSON.stringify({ endpoint: s.endpoint, directory: s.directory }) + '\\n');
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const started = await new Promise<{ endpoint: string; directory: string }>((resolve, reject) => {
      let out = '';
      parent.stdout.on('data', (data: Buffer) => {
        out += data.toString();
        if (out.includes('\n')) resolve(JSON.parse(out) as { endpoint: string; directory: string });
      });
      parent.on('exit', () => reject(new Error('the test process exited early')));
    });
    const port = Number(new URL(started.endpoint).port);
    try {
      assert.equal(await accepts(port), true);
      const exited = new Promise((resolve) => parent.on('exit', resolve));
      parent.kill('SIGKILL');
      await exited;
      await waitFor(async () => !(await accepts(port)));
    } finally {
      parent.kill('SIGKILL');
      await rm(started.directory, { recursive: true, force: true });
    }
  });

  test('reports why the server could not start', async () => {
    // A bucket name the filesystem refuses makes s3rver fail while configuring it.
    await assert.rejects(startS3rver({ buckets: ['bad\u0000name'] }), /s3rver did not start: it exited[\s\S]*s3rver failed to start/);
  });
});

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Polls `condition` until it holds; fails after `limitMs` (a bound against hangs, not a timing claim). */
async function waitFor(condition: () => Promise<boolean>, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    assert.ok(Date.now() < deadline, 'condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

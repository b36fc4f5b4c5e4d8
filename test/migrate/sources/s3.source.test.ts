// The s3: source against a real S3-compatible server (s3rver in a child process).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { MigrateUsageError } from '../../../src/migrate/migrate.errors.js';
import type { MigrationSource, SourceItem } from '../../../src/migrate/source.js';
import { openSource, SourceItemError, type SourceOptions } from '../../../src/migrate/sources/index.js';
import { createS3Source } from '../../../src/migrate/sources/s3.source.js';
import { buildItemFilter } from '../../../src/migrate/sources/source-spec.js';
import { type S3rverInstance, startS3rver } from '../../helpers/s3rver.js';

let s3: S3rverInstance;
let client: S3Client;
let options: SourceOptions;
const bodyA = randomBytes(50_000);
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const startedAt = new Date(Date.now() - 60_000);

before(async () => {
  s3 = await startS3rver({ buckets: ['media', 'empty'] });
  client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
  // No s3ForcePathStyle: an IP-address endpoint gets path style by default.
  options = { s3Endpoint: s3.endpoint, s3Region: s3.region, s3AccessKeyId: s3.accessKeyId, s3SecretAccessKey: s3.secretAccessKey };
  const put = (Key: string, Body: Buffer | string) => client.send(new PutObjectCommand({ Bucket: 'media', Key, Body }));
  await put('videos/a.mp4', bodyA);
  await put('videos/B.MOV', 'mov bytes');
  await put('videos/sub/c.mp3', 'mp3');
  await put('videos/notes.txt', 'not media');
  await put('videos/folder/', '');
  await put('videos/space name #1.mp4', 'spaced');
  await put('videos-old/x.mp4', 'sibling prefix');
  await put('other/y.mp4', 'elsewhere');
  for (let i = 0; i < 25; i++) await put(`many/${String(i).padStart(2, '0')}.mp4`, `item ${i}`);
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: 'media', Key: 'videos/multi.mp4' }));
  const part = await client.send(new UploadPartCommand({ Bucket: 'media', Key: 'videos/multi.mp4', UploadId, PartNumber: 1, Body: 'one part' }));
  await client.send(new CompleteMultipartUploadCommand({ Bucket: 'media', Key: 'videos/multi.mp4', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
});
after(async () => {
  client?.destroy();
  await s3?.stop();
});

async function list(source: MigrationSource, signal?: AbortSignal): Promise<SourceItem[]> {
  const items: SourceItem[] = [];
  for await (const item of source.list(signal)) items.push(item);
  return items;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('listing', () => {
  test('the prefix as given, placeholders and non-media skipped, metadata from the listing', async () => {
    const source = openSource('s3://media/videos/', options);
    try {
      assert.equal(source.kind, 's3');
      assert.equal(source.defaultMethod, 'pull');
      assert.deepEqual(source.methods, ['pull', 'push', 'register']);
      const items = await list(source);
      assert.deepEqual(items.map((i) => i.id), ['videos/B.MOV', 'videos/a.mp4', 'videos/multi.mp4', 'videos/space name #1.mp4', 'videos/sub/c.mp3']);
      const a = items.find((i) => i.id === 'videos/a.mp4');
      assert.equal(a?.fileName, 'a.mp4');
      assert.equal(a?.size, bodyA.length);
      assert.equal(a?.md5, md5(bodyA));
      assert.ok(a?.lastModified && new Date(a.lastModified) >= new Date(startedAt.getTime()));
      assert.deepEqual(a?.extra, {});
      assert.equal(items.find((i) => i.id === 'videos/multi.mp4')?.md5, undefined, 'a multipart ETag is not an MD5');
      assert.equal(items.find((i) => i.id === 'videos/sub/c.mp3')?.fileName, 'c.mp3');
      // Without the trailing slash the prefix also matches the sibling "videos-old/".
      assert.deepEqual((await list(openSource('s3://media/videos', options))).map((i) => i.id).filter((id) => !id.startsWith('videos/')), ['videos-old/x.mp4']);
      // The whole bucket, and an empty one.
      assert.equal((await list(openSource('s3://media', options))).length, 5 + 1 + 1 + 25);
      assert.deepEqual(await list(openSource('s3://empty/', options)), []);
    } finally {
      await source.close();
    }
  });

  test('filters: extension, size, modification time', async () => {
    const ids = async (o: SourceOptions) => (await list(openSource('s3://media/videos/', { ...options, ...o }))).map((i) => i.id);
    assert.deepEqual(await ids({ extensions: ['mov', 'mp3'] }), ['videos/B.MOV', 'videos/sub/c.mp3']);
    assert.deepEqual(await ids({ minSize: 8, maxSize: 9 }), ['videos/B.MOV', 'videos/multi.mp4']);
    assert.deepEqual(await ids({ minSize: 1000 }), ['videos/a.mp4']);
    assert.deepEqual(await ids({ modifiedAfter: new Date(Date.now() + 3_600_000) }), []);
    assert.equal((await ids({ modifiedAfter: startedAt, modifiedBefore: new Date(Date.now() + 3_600_000) })).length, 5);
  });

  test('pages through ListObjectsV2 continuation tokens in a stable order', async () => {
    const source = createS3Source('s3://media/many/', { bucket: 'media', prefix: 'many/', filter: buildItemFilter({}), options, pageSize: 7 });
    try {
      const first = await list(source);
      assert.deepEqual(first.map((i) => i.id), Array.from({ length: 25 }, (_, i) => `many/${String(i).padStart(2, '0')}.mp4`));
      assert.deepEqual((await list(source)).map((i) => i.id), first.map((i) => i.id));
      const ac = new AbortController();
      const seen: string[] = [];
      for await (const item of source.list(ac.signal)) {
        seen.push(item.id);
        if (seen.length === 9) ac.abort();
      }
      assert.equal(seen.length, 9);
    } finally {
      await source.close();
    }
  });

  test('a missing bucket or wrong keys are usage errors', async () => {
    await assert.rejects(list(openSource('s3://nope/', options)), (e: unknown) => e instanceof MigrateUsageError && /does not exist/.test(e.message));
    await assert.rejects(
      list(openSource('s3://media/', { ...options, s3AccessKeyId: 'WRONG', s3SecretAccessKey: 'WRONG' })),
      (e: unknown) => e instanceof MigrateUsageError && /InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied/.test(e.message),
    );
  });
});

describe('methods', () => {
  test('pull: a presigned GET made at call time, fetchable with plain fetch, expiry as asked (≤ 7 days)', async () => {
    const source = openSource('s3://media/videos/', options);
    try {
      const items = await list(source);
      const a = items.find((i) => i.id === 'videos/a.mp4');
      assert.ok(a && source.sourceUrl);
      const url = await source.sourceUrl(a, { expiresInS: 900 });
      assert.equal(new URL(url).searchParams.get('X-Amz-Expires'), '900');
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), bodyA);
      const long = await source.sourceUrl(a, { expiresInS: 30 * 86_400 });
      assert.equal(new URL(long).searchParams.get('X-Amz-Expires'), '604800');
      const spaced = items.find((i) => i.id === 'videos/space name #1.mp4');
      assert.ok(spaced);
      const r2 = await fetch(await source.sourceUrl(spaced, { expiresInS: 60 }));
      assert.equal(await r2.text(), 'spaced');
    } finally {
      await source.close();
    }
  });

  test('register: the OSS-style name with a storage location, else s3://bucket/key', () => {
    const source = openSource('s3://media/videos/', options);
    const item: SourceItem = { id: 'videos/space name #1.mp4', fileName: 'space name #1.mp4', extra: {} };
    assert.equal(source.registerUrl?.(item, { storageLocation: undefined }), 's3://media/videos/space%20name%20%231.mp4');
    // The source endpoint is http, so is the storage URL.
    assert.equal(source.registerUrl?.(item, { storageLocation: 'media-store' }), 'http://media-store/videos/space%20name%20%231.mp4');
    const oss = openSource('s3://media/', { s3Endpoint: 'https://s3.oss-cn-hangzhou.aliyuncs.com', s3Region: 'oss-cn-hangzhou' });
    assert.equal(oss.registerUrl?.({ id: 'a.mp4', fileName: 'a.mp4', extra: {} }, { storageLocation: 'media.oss-cn-hangzhou.aliyuncs.com' }), 'https://media.oss-cn-hangzhou.aliyuncs.com/a.mp4');
  });

  test('push: open() streams GetObject with its size; a vanished key is an item error', async () => {
    const source = openSource('s3://media/videos/', options);
    try {
      assert.ok(source.open);
      const body = await source.open({ id: 'videos/a.mp4', fileName: 'a.mp4', extra: {} });
      assert.equal(body.size, bodyA.length);
      assert.deepEqual(await readAll(body.stream), bodyA);
      await assert.rejects(source.open({ id: 'videos/gone.mp4', fileName: 'gone.mp4', extra: {} }), (e: unknown) => e instanceof SourceItemError && e.code === 'Source.NotFound');
    } finally {
      await source.close();
      await source.close();
    }
  });
});

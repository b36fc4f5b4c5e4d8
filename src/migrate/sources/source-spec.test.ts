import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MigrateUsageError } from '../migrate.errors.js';
import { buildItemFilter, checkOptionsFit, parseSourceSpec } from './source-spec.js';
import { passesFilter } from './source-filter.js';

const usage = (pattern: RegExp) => (e: unknown) => e instanceof MigrateUsageError && pattern.test(e.message);

test('parseSourceSpec: the four forms', () => {
  assert.deepEqual(parseSourceSpec('urls:list.csv'), { kind: 'urls', file: 'list.csv' });
  assert.deepEqual(parseSourceSpec('urls:C:/x.txt'), { kind: 'urls', file: 'C:/x.txt' });
  assert.deepEqual(parseSourceSpec('dir:/media/in'), { kind: 'dir', path: '/media/in' });
  assert.deepEqual(parseSourceSpec('s3://bucket'), { kind: 's3', bucket: 'bucket', prefix: '' });
  assert.deepEqual(parseSourceSpec('s3://bucket/'), { kind: 's3', bucket: 'bucket', prefix: '' });
  assert.deepEqual(parseSourceSpec('s3://my.bucket-1/videos/2024/'), { kind: 's3', bucket: 'my.bucket-1', prefix: 'videos/2024/' });
  assert.deepEqual(parseSourceSpec('vod:http://127.0.0.1:8080'), { kind: 'vod', endpoint: 'http://127.0.0.1:8080' });
  assert.deepEqual(parseSourceSpec('vod:https://vod.cn-shanghai.aliyuncs.com/'), { kind: 'vod', endpoint: 'https://vod.cn-shanghai.aliyuncs.com' });
  assert.deepEqual(parseSourceSpec('vod:vod.cn-shanghai.aliyuncs.com'), { kind: 'vod', endpoint: 'https://vod.cn-shanghai.aliyuncs.com' });
});

test('parseSourceSpec: bad specs are usage errors', () => {
  assert.throws(() => parseSourceSpec('list.csv'), usage(/is not a source; use `urls:<file>`/));
  assert.throws(() => parseSourceSpec('ftp:x'), usage(/is not a source/));
  assert.throws(() => parseSourceSpec('urls:'), usage(/names no file/));
  assert.throws(() => parseSourceSpec('dir:'), usage(/names no directory/));
  assert.throws(() => parseSourceSpec('s3://'), usage(/is not a bucket name/));
  assert.throws(() => parseSourceSpec('s3:bucket/x'), usage(/write S3 sources as s3:\/\//));
  assert.throws(() => parseSourceSpec('vod:'), usage(/endpoint/));
  assert.throws(() => parseSourceSpec('vod:ftp://h'), usage(/must be an http\(s\) URL/));
  assert.throws(() => parseSourceSpec('vod:http://k:s@h'), usage(/no query, fragment or credentials/));
});

test('checkOptionsFit: every misfit reported together; undefined means not given', () => {
  const s3 = parseSourceSpec('s3://b/p');
  checkOptionsFit(s3, { s3Endpoint: 'http://127.0.0.1:9000', s3AccessKeyId: 'k', s3SecretAccessKey: 's', minSize: 1, vodMatch: undefined });
  assert.throws(() => checkOptionsFit(s3, { vodMatch: "Title = 'x'", vodAccessKeyId: 'k' }), usage(/vodAccessKeyId applies to vod: sources, not s3:; vodMatch applies to vod:/));
  assert.throws(() => checkOptionsFit(s3, { s3AccessKeyId: 'k' }), usage(/go together/));
  assert.throws(() => checkOptionsFit(s3, { s3Endpoint: 'localhost:9000' }), usage(/not an http\(s\) URL/));
  const dir = parseSourceSpec('dir:/x');
  assert.throws(() => checkOptionsFit(dir, { s3ForcePathStyle: false }), usage(/s3ForcePathStyle applies to s3:/));
  const vod = parseSourceSpec('vod:http://h');
  assert.throws(() => checkOptionsFit(vod, {}), usage(/needs vodAccessKeyId and vodAccessKeySecret/));
  assert.throws(() => checkOptionsFit(vod, { vodAccessKeyId: 'k', vodAccessKeySecret: 's', extensions: ['mp4'] }), usage(/extensions applies to s3: and dir:/));
  checkOptionsFit(vod, { vodAccessKeyId: 'k', vodAccessKeySecret: 's', vodMatch: "Title = 'a'", onWarning: () => undefined });
});

test('buildItemFilter: defaults, normalisation, bad values reported together', () => {
  const all = buildItemFilter({});
  assert.ok(all.extensions.has('mp4') && all.extensions.has('mp3') && !all.extensions.has('txt'));
  assert.deepEqual([...buildItemFilter({ extensions: ['.MP4', ' mov ', ''] }).extensions], ['mp4', 'mov']);
  assert.throws(() => buildItemFilter({ extensions: ['txt', 'mp4'], minSize: -1, maxSize: 1.5 }), usage(/"txt" is not an audio\/video format.*minSize must be.*maxSize must be/));
  assert.throws(() => buildItemFilter({ minSize: 10, maxSize: 5 }), usage(/minSize \(10\) is larger than maxSize \(5\)/));
  assert.throws(() => buildItemFilter({ modifiedAfter: new Date('2024-02-01'), modifiedBefore: new Date('2024-01-01') }), usage(/earlier than/));
  assert.throws(() => buildItemFilter({ modifiedAfter: new Date('nope') }), usage(/modifiedAfter is not a valid date/));
  assert.throws(() => buildItemFilter({ extensions: [] }), usage(/lists no extension/));
});

test('passesFilter: extension (case-insensitive), inclusive sizes, [after, before) times', () => {
  const f = buildItemFilter({ extensions: ['mp4'], minSize: 10, maxSize: 20, modifiedAfter: new Date(1000), modifiedBefore: new Date(2000) });
  const ok = { name: 'a/B.MP4', size: 10, modifiedMs: 1000 };
  assert.equal(passesFilter(f, ok), true);
  assert.equal(passesFilter(f, { ...ok, size: 20 }), true);
  assert.equal(passesFilter(f, { ...ok, size: 9 }), false);
  assert.equal(passesFilter(f, { ...ok, size: 21 }), false);
  assert.equal(passesFilter(f, { ...ok, modifiedMs: 999 }), false);
  assert.equal(passesFilter(f, { ...ok, modifiedMs: 1999 }), true);
  assert.equal(passesFilter(f, { ...ok, modifiedMs: 2000 }), false);
  assert.equal(passesFilter(f, { ...ok, name: 'a.mov' }), false);
  assert.equal(passesFilter(f, { ...ok, name: 'mp4' }), false);
  assert.equal(passesFilter(f, { ...ok, name: 'dir.mp4/x' }), false);
});

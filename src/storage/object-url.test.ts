import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BlobStore } from '../blob/blob-store.js';
import { objectUrl, resolveObjectUrl } from './object-url.js';
import type { Storage, StorageRegistry } from './storage-registry.js';

const blobs = {} as BlobStore;
const storage = (location: string, extra: Partial<Storage> = {}): Storage => ({
  location, type: 'fs', writable: false, builtIn: false, blobs, bucket: undefined, prefix: '', ...extra,
});
const all = [
  storage('openvod-default', { builtIn: true, writable: true }),
  storage('lib.example.com'),
  storage('bucket.oss-cn-shanghai.aliyuncs.com', { type: 's3', bucket: 'bucket' }),
  storage('scoped.example.com', { type: 's3', bucket: 'shared', prefix: 'videos/' }),
  storage('other-scope.example.com', { type: 's3', bucket: 'shared', prefix: 'videos/archive/' }),
  storage('minio.local:9000', { type: 's3', bucket: 'm' }),
];
const registry: StorageRegistry = {
  own: all[0] as Storage,
  defaultLocation: 'openvod-default',
  get: (l) => all.find((s) => s.location === l),
  list: () => all,
  forNewMedia: () => all[0] as Storage,
  of: (l) => all.find((s) => s.location === l) as Storage,
  close: async () => undefined,
};

const ok = (url: string) => {
  const r = resolveObjectUrl(registry, url);
  assert.ok(r.ok, `${url}: ${r.ok ? '' : r.reason}`);
  return { location: r.ref.storage.location, key: r.ref.key };
};
const refused = (url: string) => assert.equal(resolveObjectUrl(registry, url).ok, false, url);

test('the OSS-style form names a key of the storage whose location is the host', () => {
  assert.deepEqual(ok('https://lib.example.com/a/b%20c.mp4'), { location: 'lib.example.com', key: 'a/b c.mp4' });
  assert.deepEqual(ok('http://LIB.example.com/x.mp4'), { location: 'lib.example.com', key: 'x.mp4' });
  assert.deepEqual(ok('http://minio.local:9000/k.mp4'), { location: 'minio.local:9000', key: 'k.mp4' });
  assert.deepEqual(ok('https://bucket.oss-cn-shanghai.aliyuncs.com/dir/v.mov'), { location: 'bucket.oss-cn-shanghai.aliyuncs.com', key: 'dir/v.mov' });
});

test('the s3 form picks the storage of that bucket with the longest prefix owning the key', () => {
  assert.deepEqual(ok('s3://bucket/dir/v.mov'), { location: 'bucket.oss-cn-shanghai.aliyuncs.com', key: 'dir/v.mov' });
  assert.deepEqual(ok('s3://shared/videos/a.mp4'), { location: 'scoped.example.com', key: 'a.mp4' });
  assert.deepEqual(ok('s3://shared/videos/archive/a.mp4'), { location: 'other-scope.example.com', key: 'a.mp4' });
  assert.deepEqual(ok('https://scoped.example.com/videos/a.mp4'), { location: 'scoped.example.com', key: 'a.mp4' });
  refused('s3://shared/elsewhere/a.mp4');
  refused('https://scoped.example.com/a.mp4');
  refused('s3://lib.example.com/a.mp4');
});

test('traversal, unknown hosts, the built-in storage and odd URLs name nothing', () => {
  for (const url of [
    'http://lib.example.com/../etc/passwd',
    'http://lib.example.com/a/../../b.mp4',
    'http://lib.example.com/a/%2e%2e/%2e%2e/b.mp4',
    'http://lib.example.com/a%2f..%2f..%2fb.mp4',
    'http://lib.example.com/a//b.mp4',
    'http://lib.example.com/',
    'http://lib.example.com/a%00b.mp4',
    'http://lib.example.com/%E0%A4%A.mp4',
    'http://lib.example.com/a.mp4?versionId=1',
    'http://lib.example.com/a.mp4#x',
    'http://user:pw@lib.example.com/a.mp4',
    'http://evil.example.com/a.mp4',
    'http://openvod-default/a.mp4',
    'file:///etc/passwd',
    'not a url',
  ]) refused(url);
});

test('objectUrl is the inverse of the OSS-style form', () => {
  const s = all[3] as Storage;
  const url = objectUrl(s, 'dir/a b.mp4');
  assert.equal(url, 'https://scoped.example.com/videos/dir/a%20b.mp4');
  assert.deepEqual(ok(url), { location: 'scoped.example.com', key: 'dir/a b.mp4' });
});

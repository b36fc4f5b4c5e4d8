import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clampPresignExpiry, defaultForcePathStyle, encodeKey, isPlaceholderKey, md5FromEtag, registerUrlFor } from './s3-object.js';

test('md5FromEtag: single-part ETags only, lower-cased', () => {
  assert.equal(md5FromEtag('"9E107D9D372BB6826BD81D3542A419D6"'), '9e107d9d372bb6826bd81d3542a419d6');
  assert.equal(md5FromEtag('9e107d9d372bb6826bd81d3542a419d6'), '9e107d9d372bb6826bd81d3542a419d6');
  assert.equal(md5FromEtag('"9e107d9d372bb6826bd81d3542a419d6-3"'), undefined);
  assert.equal(md5FromEtag('"abc"'), undefined);
  assert.equal(md5FromEtag(undefined), undefined);
});

test('clampPresignExpiry: 1 s … 7 days', () => {
  assert.equal(clampPresignExpiry(0), 1);
  assert.equal(clampPresignExpiry(90.2), 91);
  assert.equal(clampPresignExpiry(604_800), 604_800);
  assert.equal(clampPresignExpiry(10_000_000), 604_800);
  assert.equal(clampPresignExpiry(Number.POSITIVE_INFINITY), 604_800);
});

test('placeholders and key encoding', () => {
  assert.equal(isPlaceholderKey('videos/'), true);
  assert.equal(isPlaceholderKey('videos_$folder$'), true);
  assert.equal(isPlaceholderKey('videos/a.mp4'), false);
  assert.equal(encodeKey("a b/c#d?e/it's (1)+[x].mp4"), 'a%20b/c%23d%3Fe/it%27s%20%281%29%2B%5Bx%5D.mp4');
  assert.equal(encodeKey('视频/片.mp4'), '%E8%A7%86%E9%A2%91/%E7%89%87.mp4');
});

test('registerUrlFor: s3:// without a location; OSS style with one, scheme from the endpoint', () => {
  assert.equal(registerUrlFor({ bucket: 'b', key: 'v/a b.mp4' }), 's3://b/v/a%20b.mp4');
  assert.equal(registerUrlFor({ bucket: 'b', key: 'v/a.mp4', storageLocation: '' }), 's3://b/v/a.mp4');
  assert.equal(registerUrlFor({ bucket: 'b', key: 'v/a.mp4', storageLocation: 'b.oss-cn-shanghai.aliyuncs.com' }), 'https://b.oss-cn-shanghai.aliyuncs.com/v/a.mp4');
  assert.equal(registerUrlFor({ bucket: 'b', key: 'v/a.mp4', storageLocation: 'store-1/', endpoint: 'http://127.0.0.1:9000' }), 'http://store-1/v/a.mp4');
  assert.equal(registerUrlFor({ bucket: 'b', key: 'v/a.mp4', storageLocation: 'store-1', endpoint: 'https://s3.example' }), 'https://store-1/v/a.mp4');
  assert.equal(registerUrlFor({ bucket: 'b', key: 'a.mp4', storageLocation: 'http://store-1', endpoint: 'https://s3.example' }), 'http://store-1/a.mp4');
});

test('defaultForcePathStyle: IPs and localhost path-style, names virtual-hosted', () => {
  assert.equal(defaultForcePathStyle(undefined), false);
  assert.equal(defaultForcePathStyle('http://127.0.0.1:9000'), true);
  assert.equal(defaultForcePathStyle('http://localhost:9000'), true);
  assert.equal(defaultForcePathStyle('http://[::1]:9000'), true);
  assert.equal(defaultForcePathStyle('https://oss-cn-hangzhou.aliyuncs.com'), false);
});

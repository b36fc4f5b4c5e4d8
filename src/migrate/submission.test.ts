import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attemptId, markerIn, mediaFields, pullRequest, titleFor, truncateBytes, uploadMetadataEntry, userDataFor } from './submission.js';
import { applyRewrites, parseRewrite } from './rewrite.js';

test('attempt ids: ≤ 50 chars of [A-Za-z0-9_-], stable per attempt, new per attempt, order-free', () => {
  const a = attemptId('urls:x', [{ itemId: 'u1', attempt: 1 }, { itemId: 'u2', attempt: 1 }]);
  assert.match(a, /^[A-Za-z0-9_-]{1,50}$/);
  assert.equal(a, attemptId('urls:x', [{ itemId: 'u2', attempt: 1 }, { itemId: 'u1', attempt: 1 }]));
  assert.notEqual(a, attemptId('urls:x', [{ itemId: 'u1', attempt: 2 }, { itemId: 'u2', attempt: 1 }]));
  assert.notEqual(a, attemptId('urls:y', [{ itemId: 'u1', attempt: 1 }, { itemId: 'u2', attempt: 1 }]));
});

test('UserData carries the callback and the marker; the marker is read back in every echoed shape', () => {
  const ud = userDataFor('mig-1', 'http://127.0.0.1:9/cb');
  assert.deepEqual(JSON.parse(ud), { MessageCallback: { CallbackURL: 'http://127.0.0.1:9/cb', CallbackType: 'http' }, Extend: { OpenVODMigrate: 'mig-1' } });
  assert.equal(markerIn(ud), 'mig-1');
  assert.equal(markerIn(JSON.stringify({ Extend: JSON.stringify({ OpenVODMigrate: 'mig-2' }) })), 'mig-2');
  assert.equal(markerIn(JSON.stringify(ud)), 'mig-1');
  assert.equal(markerIn('{"Extend":{"Other":1}}'), undefined);
  assert.equal(markerIn('not json'), undefined);
  assert.equal(markerIn(undefined), undefined);
});

test('titles fall back to the file name and are cut to 128 bytes on a character boundary', () => {
  assert.equal(titleFor({}, 'My Clip.final.MP4'), 'My Clip.final');
  assert.equal(titleFor({ title: '  ' }, 'a.mp4'), 'a');
  const long = '视'.repeat(60); // 180 bytes
  const t = titleFor({ title: long }, 'x.mp4');
  assert.ok(Buffer.byteLength(t) <= 128);
  assert.equal(t, '视'.repeat(42));
  assert.equal(truncateBytes('abc', 2), 'ab');
});

test('UploadMediaByURL request: URL-encoded list, metadata with FileExtension and size, the SessionId', () => {
  const url = 'https://h/a b.mp4?x=1,2';
  const entry = uploadMetadataEntry(url, mediaFields({ title: 'T', tags: 'a,b', cateId: 3 }, 'a b.mp4', 3), 'a b.mp4', 10);
  assert.deepEqual(entry, { SourceURL: url, Title: 'T', Tags: 'a,b', CateId: '3', FileSize: '10', FileExtension: 'mp4' });
  const p = pullRequest([entry], 'mig-9', '{}', { templateGroupId: 'VOD_NO_TRANSCODE' });
  assert.equal(p.UploadURLs, encodeURIComponent(url));
  assert.equal(p.SessionId, 'mig-9');
  assert.equal(p.TemplateGroupId, 'VOD_NO_TRANSCODE');
  assert.equal(p.StorageLocation, undefined);
});

test('rewrite rules: split at the first unescaped =, applied in order', () => {
  const r = parseRewrite('^https://([^.]+)\\.oss-cn-shanghai\\.aliyuncs\\.com/=https://$1.oss-cn-shanghai-internal.aliyuncs.com/');
  assert.equal(applyRewrites('https://bkt.oss-cn-shanghai.aliyuncs.com/v/a.mp4?x=1', [r]), 'https://bkt.oss-cn-shanghai-internal.aliyuncs.com/v/a.mp4?x=1');
  const eq = parseRewrite('a\\=b=c=d');
  assert.equal(applyRewrites('xa=by', [eq]), 'xc=dy');
  assert.equal(applyRewrites('abc', [parseRewrite('a=A'), parseRewrite('A=Z')]), 'Zbc');
  assert.throws(() => parseRewrite('no-separator'), /regex/);
  assert.throws(() => parseRewrite('(=x'), /--rewrite/);
});

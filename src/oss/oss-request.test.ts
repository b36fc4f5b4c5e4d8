import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OssError } from './oss-errors.js';
import { addressings, looksLikeOss, operationOf, parseQuery } from './oss-request.js';

test('query: bare names, empty values, percent-decoding', () => {
  assert.deepEqual(parseQuery('uploads='), [['uploads', '']]);
  assert.deepEqual(parseQuery('uploads'), [['uploads', null]]);
  assert.deepEqual(parseQuery('partNumber=1&uploadId=AB%2BC'), [['partNumber', '1'], ['uploadId', 'AB+C']]);
});

test('operations of the subset (§12.3)', () => {
  const op = (m: string, q: string, h: Record<string, string> = {}) => operationOf(m, parseQuery(q), h);
  assert.equal(op('PUT', ''), 'PutObject');
  assert.equal(op('POST', 'uploads='), 'InitiateMultipartUpload');
  assert.equal(op('POST', 'uploads'), 'InitiateMultipartUpload');
  assert.equal(op('PUT', 'partNumber=1&uploadId=X'), 'UploadPart');
  assert.equal(op('POST', 'uploadId=X'), 'CompleteMultipartUpload');
  assert.equal(op('DELETE', 'uploadId=X'), 'AbortMultipartUpload');
  assert.equal(op('GET', 'uploadId=X&max-parts=1000'), 'ListParts');
  assert.equal(op('HEAD', ''), 'HeadObject');
  assert.equal(op('HEAD', 'objectMeta='), 'HeadObject');
  assert.throws(() => op('GET', ''), (e: unknown) => e instanceof OssError && e.code === 'MethodNotAllowed');
  assert.throws(() => op('PUT', 'partNumber=1'), (e: unknown) => e instanceof OssError && e.code === 'InvalidArgument');
  assert.throws(() => op('PUT', '', { 'x-oss-copy-source': '/b/k' }), (e: unknown) => e instanceof OssError && e.code === 'NotImplemented');
});

test('addressing as ali-oss really sends it (§1)', () => {
  // IP endpoint: bucket in Host, key is the whole path.
  assert.deepEqual(addressings('outin-openvod.oss-cn-shanghai.aliyuncs.com', '/sv/a/b.mp4', 'outin-openvod'), [{ bucket: 'outin-openvod', key: 'sv/a/b.mp4' }]);
  // sldEnable: bucket in Host and in the path; both readings offered.
  assert.deepEqual(addressings('outin-openvod.oss-cn-hangzhou.aliyuncs.com', '/outin-openvod/sv/a.mp4', 'outin-openvod'),
    [{ bucket: 'outin-openvod', key: 'outin-openvod/sv/a.mp4' }, { bucket: 'outin-openvod', key: 'sv/a.mp4' }]);
  // cname / browser build: no bucket anywhere but the signature → the configured one.
  assert.deepEqual(addressings('127.0.0.1:8080', '/sv/%E6%B5%8B%E8%AF%95%20a%2Bb%20(1).txt', 'outin-openvod'), [{ bucket: 'outin-openvod', key: 'sv/测试 a+b (1).txt' }]);
  // Some other bucket named in Host: kept, so the request is refused for that bucket.
  assert.equal(addressings('other-bucket.oss-cn-hangzhou.aliyuncs.com', '/k', 'outin-openvod')[0]?.bucket, 'other-bucket');
  assert.equal(addressings('outin-openvod.vod.example.com', '/k', 'outin-openvod')[0]?.bucket, 'outin-openvod');
});

test('what counts as an OSS request', () => {
  assert.equal(looksLikeOss('PUT', { authorization: 'OSS STS.a:b' }, []), true);
  assert.equal(looksLikeOss('PUT', { authorization: 'OSS4-HMAC-SHA256 Credential=…' }, []), true);
  assert.equal(looksLikeOss('GET', { 'x-oss-date': 'x' }, []), true);
  assert.equal(looksLikeOss('GET', {}, parseQuery('uploadId=1')), true);
  assert.equal(looksLikeOss('OPTIONS', { 'access-control-request-method': 'PUT' }, []), true);
  assert.equal(looksLikeOss('GET', { authorization: 'ACS3-HMAC-SHA256 x' }, parseQuery('Action=GetVideoInfo')), false);
});

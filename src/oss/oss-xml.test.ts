import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorXml, parseCompleteMultipartUpload, resultXml } from './oss-xml.js';

test('parses the Complete body exactly as ali-oss sends it (oss-upload-subset §3.4)', () => {
  const body = '<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload>\n<Part>\n<PartNumber>1</PartNumber>\n<ETag>"DDEB4A3C6D2E8A6C"</ETag>\n</Part>\n<Part>\n<PartNumber>3</PartNumber>\n<ETag>"AB"</ETag>\n</Part>\n</CompleteMultipartUpload>';
  assert.deepEqual(parseCompleteMultipartUpload(body), [{ partNumber: 1, etag: 'DDEB4A3C6D2E8A6C' }, { partNumber: 3, etag: 'AB' }]);
  assert.deepEqual(parseCompleteMultipartUpload('<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>&quot;CD&quot;</ETag></Part></CompleteMultipartUpload>'), [{ partNumber: 2, etag: 'CD' }]);
});

test('anything else is malformed', () => {
  for (const bad of ['', 'hello', '<CompleteMultipartUpload></CompleteMultipartUpload>', '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>',
    '<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>"a"</ETag></Part></CompleteMultipartUpload>', '<Other><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part></Other>',
    '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part><Junk/></CompleteMultipartUpload>']) {
    assert.equal(parseCompleteMultipartUpload(bad), undefined, bad);
  }
});

test('writes result and error documents', () => {
  assert.equal(resultXml('InitiateMultipartUploadResult', { Bucket: 'b', Key: 'a&b', UploadId: 'U' }),
    '<?xml version="1.0" encoding="UTF-8"?>\n<InitiateMultipartUploadResult xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com"><Bucket>b</Bucket><Key>a&amp;b</Key><UploadId>U</UploadId></InitiateMultipartUploadResult>');
  assert.match(resultXml('ListPartsResult', { Part: [{ PartNumber: 1 }, { PartNumber: 2 }] }), /<Part><PartNumber>1<\/PartNumber><\/Part><Part><PartNumber>2<\/PartNumber><\/Part>/);
  assert.equal(errorXml({ code: 'NoSuchUpload', message: 'm', requestId: 'R', hostId: 'h', extra: { UploadId: 'U' } }),
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>m</Message><RequestId>R</RequestId><HostId>h</HostId><UploadId>U</UploadId></Error>');
});

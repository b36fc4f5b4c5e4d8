import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { multipartEtag } from './oss-object.service.js';

test('multipart ETag: MD5 over the binary part MD5s, uppercase, with the part count (S3 convention)', () => {
  const parts = ['a', 'b', 'c'].map((s) => createHash('md5').update(s).digest('hex'));
  const expected = createHash('md5').update(Buffer.concat(parts.map((h) => Buffer.from(h, 'hex')))).digest('hex').toUpperCase();
  assert.equal(multipartEtag(parts), `${expected}-3`);
  assert.match(multipartEtag(parts), /^[0-9A-F]{32}-3$/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Crc64, crc64 } from './crc64.js';

// Bit-at-a-time reference with BigInt: the definition, independent of the tables.
function reference(data: Uint8Array): string {
  const poly = 0xc96c5795d7870f42n;
  let crc = 0xffffffffffffffffn;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let i = 0; i < 8; i++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return (crc ^ 0xffffffffffffffffn).toString();
}

test('reference vectors (oss-upload-subset §10)', () => {
  assert.equal(crc64('123456789'), '11051210869376104954'); // 0x995DC9BBDF1939FA, CRC-64/XZ check
  assert.equal(crc64(''), '0'); // the docs21 PutObject sample for an empty body
  assert.equal(crc64('hello oss probe'), '17611819483113936592');
});

test('agrees with the bit-at-a-time definition for every length up to 40 and for big buffers', () => {
  for (let n = 0; n <= 40; n++) {
    const data = randomBytes(n);
    assert.equal(crc64(data), reference(data), `length ${n}`);
  }
  const big = randomBytes(100_003);
  assert.equal(crc64(big), reference(big));
});

test('streaming in arbitrary chunks gives the same value', () => {
  const data = randomBytes(10_000);
  const c = new Crc64();
  let at = 0;
  for (const size of [1, 7, 8, 9, 15, 1000, 3, 4096]) {
    c.update(data.subarray(at, at + size));
    at += size;
  }
  c.update(data.subarray(at));
  assert.equal(c.digest(), crc64(data));
});

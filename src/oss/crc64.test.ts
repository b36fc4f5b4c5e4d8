import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Crc64, combinedCrc64, crc64, crc64Combine } from './crc64.js';

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

test('lengths around the four-stream block (4 × 2 KiB) agree with the definition', () => {
  // Below, at and past one and two blocks, so the block loop, the 8-byte loop and the byte loop
  // each start and stop at every kind of boundary; a register not zero going in, too.
  const data = randomBytes(2 * 8192 + 9);
  for (const n of [8183, 8184, 8191, 8192, 8193, 8200, 16_384, 16_385, 16_393, 2 * 8192 + 9]) {
    assert.equal(crc64(data.subarray(0, n)), reference(data.subarray(0, n)), `length ${n}`);
  }
  const c = new Crc64().update(data.subarray(0, 5)).update(data.subarray(5, 5 + 8192)).update(data.subarray(5 + 8192));
  assert.equal(c.digest(), reference(data));
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

test('chunks that straddle the 64 KiB kernel window and unaligned views give the same value', () => {
  const data = randomBytes(200_000);
  const view = data.subarray(3, 3 + 150_001); // an odd byteOffset
  const c = new Crc64();
  c.update(view.subarray(0, 0)).update(Buffer.alloc(0));
  let at = 0;
  for (const size of [65_535, 65_537, 5]) {
    c.update(view.subarray(at, at + size));
    at += size;
  }
  c.update(view.subarray(at));
  assert.equal(c.digest(), reference(view));
});

test('crc64Combine: CRC(A‖B) from CRC(A), CRC(B) and |B|', () => {
  for (const [a, b] of [[0, 0], [0, 9], [9, 0], [1, 1], [100, 7], [8191, 65_537], [102_400, 300_001]] as const) {
    const x = randomBytes(a);
    const y = randomBytes(b);
    const combined = crc64Combine(new Crc64().update(x).value(), new Crc64().update(y).value(), b);
    assert.equal(combined.toString(), reference(Buffer.concat([x, y])), `|A| ${a}, |B| ${b}`);
  }
  assert.equal(crc64Combine(BigInt(crc64('12345')), BigInt(crc64('6789')), 4).toString(), '11051210869376104954');
  assert.throws(() => crc64Combine(0n, 0n, -1), RangeError);
});

test('combinedCrc64: the object CRC from its parts, as CompleteMultipartUpload reports it', () => {
  const parts = [randomBytes(102_400), randomBytes(102_400), randomBytes(17)];
  const stored = parts.map((p) => ({ crc64: crc64(p), size: p.length }));
  assert.equal(combinedCrc64(stored), reference(Buffer.concat(parts)));
  assert.equal(combinedCrc64([]), '0');
  // A part of more than 4 GiB only changes the operator powers used (no bytes needed).
  const big = 5 * 1024 ** 3;
  assert.equal(crc64Combine(0n, 0n, big), 0n);
});

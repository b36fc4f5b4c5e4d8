import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { assertValidMaxBytes, meterBody } from './blob-body.js';
import { BlobAbortedError, BlobTooLargeError } from './blob-errors.js';
import { bodyOf, md5Hex } from './blob-test-data.js';

const drain = async (chunks: AsyncIterable<Uint8Array>): Promise<Buffer> => {
  const out: Uint8Array[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return Buffer.concat(out);
};

test('meterBody passes bytes through, counting and hashing them', async () => {
  const meter = meterBody(bodyOf(Buffer.from('hello '), Buffer.from('world')));
  assert.equal((await drain(meter.chunks)).toString(), 'hello world');
  assert.equal(meter.size, 11);
  assert.equal(meter.complete, true);
  assert.equal(meter.md5Hex(), md5Hex(Buffer.from('hello world')));
});

test('meterBody turns string chunks into UTF-8 bytes', async () => {
  const stream = new PassThrough({ encoding: 'utf8' });
  stream.end('ünïcode');
  const meter = meterBody(stream);
  assert.equal((await drain(meter.chunks)).toString(), 'ünïcode');
  assert.equal(meter.size, Buffer.byteLength('ünïcode'));
});

test('meterBody stops past maxBytes and destroys a stream body', async () => {
  const stream = new PassThrough();
  stream.write(Buffer.alloc(8));
  stream.write(Buffer.alloc(8));
  const meter = meterBody(stream, { maxBytes: 10 });
  await assert.rejects(drain(meter.chunks), BlobTooLargeError);
  assert.equal(stream.destroyed, true);
  assert.equal(meter.complete, false);
  assert.throws(() => meter.md5Hex());
});

test('meterBody tells the body’s own errors apart', async () => {
  const broken = new Error('broken');
  async function* body(): AsyncGenerator<Uint8Array> {
    yield Buffer.from('x');
    throw broken;
  }
  const meter = meterBody(body());
  await assert.rejects(drain(meter.chunks), (e: unknown) => e === broken);
  assert.equal(meter.isBodyError(broken), true);
  assert.equal(meter.isBodyError(new Error('other')), false);
});

test('meterBody stops waiting for a stuck body when the signal fires', async () => {
  const stream = new PassThrough(); // never written: a read would wait forever
  const controller = new AbortController();
  const meter = meterBody(stream, { signal: controller.signal });
  const reading = drain(meter.chunks);
  setImmediate(() => controller.abort(new Error('stop')));
  await assert.rejects(reading, (e: unknown) => e instanceof BlobAbortedError && e.name === 'AbortError');
  assert.equal(stream.destroyed, true);
  assert.equal(meter.isBodyError(undefined), false);
});

test('meterBody abandon() destroys a body that was never read', () => {
  const stream = new PassThrough();
  meterBody(stream).abandon();
  assert.equal(stream.destroyed, true);
});

test('assertValidMaxBytes accepts non-negative integers only', () => {
  for (const ok of [undefined, 0, 1, 2 ** 40]) assert.doesNotThrow(() => assertValidMaxBytes(ok));
  for (const bad of [-1, 1.5, Number.NaN, Infinity]) assert.throws(() => assertValidMaxBytes(bad), RangeError);
});

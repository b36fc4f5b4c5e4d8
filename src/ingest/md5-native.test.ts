// The native eight-lane MD5 kernel alone (native/md5-lanes.c), padded here by hand, against
// node:crypto; and its checks of what JavaScript hands it. md5-workers.test.ts runs the hash
// workers' whole suite on it as well.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { wasmApi } from '../wasm/assemble.js';
import { MD5_INIT, md5, padded } from './md5.test-support.js';
import { type LanesKernel, nativeLanes } from './md5-native.js';

const kernel = nativeLanes();
const skip = kernel === undefined ? 'the native kernel is not built here, or this CPU has no AVX2' : false;


for (const isa of ['best', 'avx2'] as const) {
test(`${isa === 'best' ? `lanes (${kernel?.isa ?? 'none'})` : 'avx2Lanes'}: eight different streams at once, each its own MD5, from shared memory at odd offsets; a state carried from one call to the next`, { skip }, () => {
  const lanes = (isa === 'best' ? kernel?.lanes : kernel?.avx2Lanes) as LanesKernel;
  const memory = new wasmApi.Memory({ initial: 32, maximum: 32, shared: true });
  const bytes = new Uint8Array(memory.buffer);
  const view = new DataView(memory.buffer);
  for (const length of [0, 1, 55, 56, 63, 64, 65, 1000, 70_000]) {
    const streams = Array.from({ length: 8 }, () => randomBytes(length));
    const blocks = streams.map(padded);
    const n = (blocks[0] as Uint8Array).length / 64;
    // Each stream at its own odd offset: the kernel reads unaligned.
    const at = streams.map((_, j) => 1024 + j * 200_003);
    blocks.forEach((b, j) => bytes.set(b, at[j] as number));
    const state = 4; // not 32-byte aligned either
    for (let w = 0; w < 4; w++) for (let j = 0; j < 8; j++) view.setUint32(state + 4 * (8 * w + j), MD5_INIT[w] as number, true);
    const first = Math.floor(n / 2);
    const call = (from: number, count: number): void => {
      const p = at.map((a) => a + 64 * from);
      lanes(bytes, state, p[0] as number, p[1] as number, p[2] as number, p[3] as number, p[4] as number, p[5] as number, p[6] as number, p[7] as number, count);
    };
    call(0, first);
    call(first, n - first);
    streams.forEach((data, j) => {
      const digest = Buffer.from(new Uint32Array([0, 1, 2, 3].map((w) => view.getUint32(state + 4 * (8 * w + j), true))).buffer).toString('hex');
      assert.equal(digest, md5(data), `length ${length}, lane ${j}`);
    });
  }
});
}

test('lanes: offsets past the memory, a wrong argument count or type are refused with a RangeError, and nothing is written', { skip }, () => {
  const lanes = kernel?.lanes as (...args: unknown[]) => void;
  const bytes = new Uint8Array(64 * 1024);
  const zeros = Array(8).fill(0) as number[];
  assert.throws(() => lanes(bytes, 0, ...zeros.slice(0, 7), bytes.length - 63, 1), RangeError);
  assert.throws(() => lanes(bytes, bytes.length - 64, ...zeros, 1), RangeError, 'the state is 128 bytes');
  assert.throws(() => lanes(bytes, 0, ...zeros, 1025), RangeError);
  assert.throws(() => lanes(bytes, 0, 0), RangeError);
  assert.throws(() => lanes(new Uint16Array(8), 0, ...zeros, 0), RangeError);
  assert.throws(() => lanes(bytes, 0, ...zeros.slice(0, 7), 'x', 1), RangeError);
  assert.equal(bytes.some((b) => b !== 0), false);
});

test('copy: bytes into shared memory at any offset, from a source at any offset; past the end refused, nothing written', { skip }, () => {
  const copy = (kernel as NonNullable<typeof kernel>).copy;
  const target = new Uint8Array(new SharedArrayBuffer(1 << 20));
  const source = randomBytes(100_001);
  for (const [offset, from] of [[0, 0], [3, 5], [4096, 1], [999_999 - 100_000, 7]] as const) {
    const piece = source.subarray(from);
    copy(target, offset, piece);
    assert.deepEqual(Buffer.from(target.buffer, offset, piece.length), piece);
  }
  const before = Buffer.from(target.slice(target.length - 10));
  assert.throws(() => copy(target, target.length - 9, source.subarray(0, 10)), RangeError);
  assert.throws(() => copy(target, 0, new Uint16Array(4) as unknown as Uint8Array), RangeError);
  assert.deepEqual(Buffer.from(target.slice(target.length - 10)), before);
});

// The MD5 kernels alone, padded by hand (md5.test-support.ts), against node:crypto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { wasmApi } from '../wasm/assemble.js';
import { MD5_INIT, md5, padded } from './md5.test-support.js';
import { md5ModuleBytes } from './md5-wasm.js';

const PAGES = 64;
const memory = new wasmApi.Memory({ initial: PAGES, maximum: PAGES, shared: true });
const instance = new wasmApi.Instance(new wasmApi.Module(md5ModuleBytes(PAGES)), { env: { memory } });
const lanes = instance.exports.lanes as (state: number, p0: number, p1: number, p2: number, p3: number, n: number) => void;
const one = instance.exports.one as (state: number, p: number, n: number) => void;
const bytes = new Uint8Array(memory.buffer);
const view = new DataView(memory.buffer);

const hex = (words: number[]): string => Buffer.from(new Uint32Array(words).buffer).toString('hex');

test('one: the MD5 of one stream, for lengths around the padding boundaries and over many blocks', () => {
  for (const length of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 1000, 65_536 + 3]) {
    const data = randomBytes(length);
    const p = padded(data);
    bytes.set(p, 4096);
    MD5_INIT.forEach((w, j) => view.setUint32(64 + 4 * j, w, true));
    one(64, 4096, p.length / 64);
    assert.equal(hex([0, 1, 2, 3].map((j) => view.getUint32(64 + 4 * j, true))), md5(data), `length ${length}`);
  }
});

test('lanes: four different streams at once, each its own MD5; and a state carried from one call to the next', () => {
  for (const length of [0, 100, 5000, 70_000]) {
    const streams = [0, 1, 2, 3].map(() => randomBytes(length));
    const blocks = streams.map(padded);
    const at = [0, 1, 2, 3].map((j) => 65_536 + j * 131_072);
    blocks.forEach((b, j) => bytes.set(b, at[j] as number));
    // A, B, C, D at 128, 144, 160, 176; lane j of each is stream j's word.
    for (let w = 0; w < 4; w++) for (let j = 0; j < 4; j++) view.setUint32(128 + 16 * w + 4 * j, MD5_INIT[w] as number, true);
    const n = (blocks[0] as Uint8Array).length / 64;
    // In two calls where there is more than one block: the state must carry over.
    const first = Math.floor(n / 2);
    lanes(128, at[0] as number, at[1] as number, at[2] as number, at[3] as number, first);
    lanes(128, (at[0] as number) + 64 * first, (at[1] as number) + 64 * first, (at[2] as number) + 64 * first, (at[3] as number) + 64 * first, n - first);
    streams.forEach((data, j) => {
      assert.equal(hex([0, 1, 2, 3].map((w) => view.getUint32(128 + 16 * w + 4 * j, true))), md5(data), `length ${length}, lane ${j}`);
    });
  }
});

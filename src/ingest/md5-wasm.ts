// MD5's compression function as WebAssembly, assembled here from its opcodes (no build step, no
// binary file), in two forms over the same memory:
//
//   lanes(state, p0, p1, p2, p3, n)   four independent streams at once, one per 32-bit lane of
//                                     128-bit SIMD: n 64-byte blocks from each of p0…p3
//   one(state, p, n)                  one stream, n blocks from p
//
// MD5 must run one stream's blocks in order, each step waiting on the one before, so a single
// stream cannot go faster than its chain of dependent steps; four streams side by side in SIMD
// lanes take about 1.4 times as long as one alone (≈ 1,550 MiB/s in all against ≈ 550 for `one`
// and ≈ 720 for OpenSSL's one stream, `npm run bench:hashes`). `lanes` keeps its state as four vectors A, B, C, D at `state`
// (16 × u32: A's lanes 0-3, then B's …, lane j being stream j); `one` as a, b, c, d (4 × u32).
// The padding and the digest are the caller's (md5-workers.ts).
//
// The memory is imported, so that the caller can make it shared and let another thread write the
// bytes to hash straight into it (md5-workers.ts).
//
// Step i of 64 (RFC 1321 §3.4), with a, b, c, d renamed rather than moved:
//   a = b + rotl(a + f(b, c, d) + K[i] + M[g(i)], s(i))
//   f: F = (b & c) | (~b & d)  [v128.bitselect(c, d, b)];   G = (b & d) | (c & ~d)  [bitselect(b, c, d)]
//      H = b ^ c ^ d;   I = c ^ (b | ~d)

import { MODULE_HEADER, name, section, sleb, uleb } from '../wasm/assemble.js';

// Opcodes (WebAssembly core spec §5.4; SIMD ones behind the 0xfd prefix).
const op = {
  block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b, void: 0x40,
  localGet: 0x20, localSet: 0x21, localTee: 0x22, i32Const: 0x41,
  i32Load: 0x28, i32Store: 0x36,
  i32Eqz: 0x45, i32Add: 0x6a, i32Sub: 0x6b, i32And: 0x71, i32Or: 0x72, i32Xor: 0x73, i32Rotl: 0x77,
} as const;
const simd = (code: number): number[] => [0xfd, ...uleb(code)];
const v = {
  load: simd(0x00), store: simd(0x0b), load32Zero: simd(0x5c), load32Lane: simd(0x56),
  const: simd(0x0c), not: simd(0x4d), or: simd(0x50), xor: simd(0x51), bitselect: simd(0x52),
  shl: simd(0xab), shrU: simd(0xad), add: simd(0xae),
};
const I32 = 0x7f;
const V128 = 0x7b;


const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);
const shiftOf = (i: number): number => S[(i >> 4) * 4 + (i & 3)] as number;
const wordOf = (i: number): number => [i, (5 * i + 1) % 16, (3 * i + 5) % 16, (7 * i) % 16][i >> 4] as number;

const get = (local: number): number[] => [op.localGet, local];
const set = (local: number): number[] => [op.localSet, local];
const i32 = (n: number): number[] => [op.i32Const, ...sleb(n | 0)];
/** memarg: alignment exponent, offset. */
const mem = (align: number, offset: number): number[] => [align, ...uleb(offset)];
/** while (n != 0) { …body; n -= 1 } */
const countDown = (n: number, body: number[]): number[] => [
  op.block, op.void, op.loop, op.void,
  ...get(n), op.i32Eqz, op.brIf, 1,
  ...body,
  ...get(n), ...i32(1), op.i32Sub, ...set(n), op.br, 0,
  op.end, op.end,
];
const advance = (p: number, by: number): number[] => [...get(p), ...i32(by), op.i32Add, ...set(p)];

/** The 64 steps on four locals vars[0…3] (a, b, c, d at step 0), in the given instruction set. */
function steps(vars: readonly number[], ops: {
  f: (round: number, b: number, c: number, d: number) => number[];
  add: number[];
  rotl: (s: number) => number[];
  constant: (k: number) => number[];
  word: (g: number) => number[];
}): number[] {
  const out: number[] = [];
  for (let i = 0; i < 64; i++) {
    const role = (j: number): number => vars[(j - i + 64) % 4] as number;
    const [a, b, c, d] = [role(0), role(1), role(2), role(3)];
    out.push(
      ...ops.f(i >> 4, b, c, d), ...get(a), ...ops.add, ...ops.constant(K[i] as number), ...ops.add,
      ...ops.word(wordOf(i)), ...ops.add, ...ops.rotl(shiftOf(i)), ...get(b), ...ops.add, ...set(a),
    );
  }
  return out;
}

function lanesBody(): number[] {
  // params: state 0, p0-p3 1-4, n 5; locals: a b c d 6-9, saved a b c d 10-13, words 14-29, ROT 30
  const [STATE, N] = [0, 5];
  const P = [1, 2, 3, 4];
  const VARS = [6, 7, 8, 9];
  const SAVED = [10, 11, 12, 13];
  const M = Array.from({ length: 16 }, (_, g) => 14 + g);
  const ROT = 30;
  // Word g of the four streams into M[g], lane by lane (a 4 × 4 transpose with unpacking shuffles
  // measured the same). v128.load32_lane takes (address, vector), the vector on top.
  const gather = (g: number): number[] => {
    const out = [...get(P[0] as number), ...v.load32Zero, ...mem(2, 4 * g), ...set(M[g] as number)];
    for (const lane of [1, 2, 3]) {
      out.push(...get(P[lane] as number), ...get(M[g] as number), ...v.load32Lane, ...mem(2, 4 * g), lane, ...set(M[g] as number));
    }
    return out;
  };
  const f = (round: number, b: number, c: number, d: number): number[] => {
    switch (round) {
      case 0: return [...get(c), ...get(d), ...get(b), ...v.bitselect];
      case 1: return [...get(b), ...get(c), ...get(d), ...v.bitselect];
      case 2: return [...get(b), ...get(c), ...v.xor, ...get(d), ...v.xor];
      default: return [...get(c), ...get(b), ...get(d), ...v.not, ...v.or, ...v.xor];
    }
  };
  const splat = (k: number): number[] => {
    const bytes = [0, 0, 0, 0].flatMap(() => [k & 0xff, (k >>> 8) & 0xff, (k >>> 16) & 0xff, k >>> 24]);
    return [...v.const, ...bytes];
  };
  // (x << s) | (x >>> (32 - s)), x kept in ROT meanwhile
  const rotl = (s: number): number[] => [op.localTee, ROT, ...i32(s), ...v.shl, ...get(ROT), ...i32(32 - s), ...v.shrU, ...v.or];
  const stateVec = (j: number): number[] => [...get(STATE), ...v.load, ...mem(4, 16 * j)];
  const blockSteps = steps(VARS, { f, add: v.add, rotl, constant: splat, word: (g) => get(M[g] as number) });
  return [
    3, 8, V128, 16, V128, 1, V128, // locals: a b c d + saved (8), 16 words, 1 scratch
    ...VARS.flatMap((x, j) => [...stateVec(j), ...set(x)]),
    ...countDown(N, [
      ...VARS.flatMap((x, j) => [...get(x), ...set(SAVED[j] as number)]),
      ...M.flatMap((_, g) => gather(g)),
      ...blockSteps,
      ...VARS.flatMap((x, j) => [...get(x), ...get(SAVED[j] as number), ...v.add, ...set(x)]),
      ...P.flatMap((p) => advance(p, 64)),
    ]),
    ...VARS.flatMap((x, j) => [...get(STATE), ...get(x), ...v.store, ...mem(4, 16 * j)]),
    op.end,
  ];
}

function oneBody(): number[] {
  // params: state 0, p 1, n 2; locals: a b c d 3-6, saved 7-10, scratch 11
  const [STATE, PTR, N] = [0, 1, 2];
  const VARS = [3, 4, 5, 6];
  const SAVED = [7, 8, 9, 10];
  const f = (round: number, b: number, c: number, d: number): number[] => {
    switch (round) {
      case 0: return [...get(d), ...get(b), ...get(c), ...get(d), op.i32Xor, op.i32And, op.i32Xor]; // d ^ (b & (c ^ d))
      case 1: return [...get(c), ...get(d), ...get(b), ...get(c), op.i32Xor, op.i32And, op.i32Xor]; // c ^ (d & (b ^ c))
      case 2: return [...get(b), ...get(c), op.i32Xor, ...get(d), op.i32Xor];
      default: return [...get(c), ...get(b), ...get(d), ...i32(-1), op.i32Xor, op.i32Or, op.i32Xor];
    }
  };
  const blockSteps = steps(VARS, {
    f, add: [op.i32Add], rotl: (s) => [...i32(s), op.i32Rotl], constant: (k) => i32(k),
    word: (g) => [...get(PTR), op.i32Load, ...mem(2, 4 * g)],
  });
  return [
    1, 9, I32, // locals: a b c d, saved a b c d, scratch
    ...VARS.flatMap((x, j) => [...get(STATE), op.i32Load, ...mem(2, 4 * j), ...set(x)]),
    ...countDown(N, [
      ...VARS.flatMap((x, j) => [...get(x), ...set(SAVED[j] as number)]),
      ...blockSteps,
      ...VARS.flatMap((x, j) => [...get(x), ...get(SAVED[j] as number), op.i32Add, ...set(x)]),
      ...advance(PTR, 64),
    ]),
    ...VARS.flatMap((x, j) => [...get(STATE), ...get(x), op.i32Store, ...mem(2, 4 * j)]),
    op.end,
  ];
}

/** The module's bytes, importing env.memory (shared, `maxPages` at most). */
export function md5ModuleBytes(maxPages: number): Uint8Array {
  const fn = (body: number[]): number[] => [...uleb(body.length), ...body];
  const lanes = lanesBody();
  const one = oneBody();
  return new Uint8Array([
    ...MODULE_HEADER,
    ...section(1, [2, 0x60, 6, I32, I32, I32, I32, I32, I32, 0, 0x60, 3, I32, I32, I32, 0]), // types: lanes, one
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x03, 1, ...uleb(maxPages)]), // shared memory, 1…max pages
    ...section(3, [2, 0, 1]),
    ...section(7, [2, ...name('lanes'), 0x00, 0, ...name('one'), 0x00, 1]),
    ...section(10, [2, ...fn(lanes), ...fn(one)]),
  ]);
}

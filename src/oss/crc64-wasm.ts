// The CRC-64/XZ inner loop as a WebAssembly function, assembled here from its opcodes (no build
// step, no binary file). In the text format it is:
//
//   (func (export "update") (param $reg i64) (param $p i32) (param $len i32) (result i64)
//     end = p + len; end8 = p + (len & ~7); endBlock = p + (len & ~(N·S − 1))
//     while p < endBlock:                          ;; N = 4 streams side by side, S bytes each
//       r1 = … = r(N−1) = 0; stop = p + S
//       while p < stop:                            ;; slicing-by-8, each stream on its own S bytes
//         reg = slice(reg ^ i64.load(p)); r1 = slice(r1 ^ i64.load(p + S)); …;  p += 8
//       reg = Z(…Z(Z(reg) ^ r1) ^ r2 …) ^ r(N−1);  p += (N − 1)·S
//     while p < end8:  reg = slice(reg ^ i64.load(p));  p += 8
//     while p < end:                               ;; the tail, a byte at a time
//       reg = T0[(reg ^ i64.load8_u(p)) & 0xff] ^ (reg >> 8);  p += 1
//     return reg)
//
//   slice(x) = T7[x & 0xff] ^ T6[(x >> 8) & 0xff] ^ … ^ T0[x >> 56]
//   Z(x)     = Z0[x & 0xff] ^ Z1[(x >> 8) & 0xff] ^ … ^ Z7[x >> 56]
//
// Tk[b] (k = 0…7, 256 × i64 each, at byte k·2048 of the memory) is the register after byte b
// followed by k zero bytes. One slicing-by-8 chain is bound by its latency (each step's lookups
// wait for the previous step's register), so a block of N·S bytes runs as N chains at once: the
// register's update is affine — update(r, B) = Z_|B|(r) ^ update(0, B), Z_n being the linear map
// "n zero bytes follow" — so the streams after the first start from 0 and are folded in with
// Z = Z_S, tabulated like the slicing tables (Zk[b] = Z_S(b << 8k), at 16 KiB + k·2048). On this
// machine that took the kernel from 1.2 to 1.8-2.0 GB/s (`node --import tsx bench/hashes.ts`);
// eight streams were no faster than four. The JavaScript below fills the tables. Data goes in at
// DATA_AT, 64 KiB at a time. `reg` is the pre-inverted register (crc64.ts does the init and final
// XOR).

import { MODULE_HEADER, name, section, sleb, uleb, wasmApi } from '../wasm/assemble.js';

const TABLE_BYTES = 8 * 256 * 8;
/** Streams hashed side by side, and bytes per stream (a power of two). */
const STREAMS = 4;
const STREAM_BYTES = 2048;
const ZSHIFT_AT = TABLE_BYTES;
const DATA_AT = 2 * TABLE_BYTES;
const CHUNK_BYTES = 64 * 1024;
const PAGES = Math.ceil((DATA_AT + CHUNK_BYTES) / 65536);
const POLY = 0xc96c_5795_d787_0f42n;

// The opcodes used (WebAssembly core spec §5.4).
const op = {
  block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b, void: 0x40,
  localGet: 0x20, localSet: 0x21, i32Const: 0x41, i64Const: 0x42,
  i64Load: 0x29, i64Load8U: 0x31,
  i32GeU: 0x4f, i32Add: 0x6a, i32And: 0x71, i32WrapI64: 0xa7,
  i64And: 0x83, i64Xor: 0x85, i64Shl: 0x86, i64ShrU: 0x88,
} as const;
const I32 = 0x7f;
const I64 = 0x7e;
// Parameters 0-2, then the locals: four i32, STREAMS-1 i64.
const [REG, P, LEN, END8, END, END_BLOCK, STOP] = [0, 1, 2, 3, 4, 5, 6];
const R = Array.from({ length: STREAMS - 1 }, (_, i) => 7 + i);

const get = (local: number): number[] => [op.localGet, local];
const set = (local: number): number[] => [op.localSet, local];
const i32 = (n: number): number[] => [op.i32Const, ...sleb(n)];
/** Pushes table[(x >> shift) & 0xff], the table's 256 × i64 at byte `at`. */
const lookup = (x: number, at: number, shift: number): number[] => [
  // ((x >> shift) & 0xff) · 8 as one shift and one mask
  ...get(x), op.i64Const, ...sleb(Math.abs(shift - 3)), shift < 3 ? op.i64Shl : op.i64ShrU, op.i64Const, ...sleb(0x7f8), op.i64And,
  op.i32WrapI64, op.i64Load, 3, ...uleb(at),
];
/** Pushes the XOR of eight lookups of x's bytes, byte j in the table at tableAt(j). */
const eightLookups = (x: number, tableAt: (byte: number) => number): number[] => {
  const out = lookup(x, tableAt(0), 0);
  for (let j = 1; j < 8; j++) out.push(...lookup(x, tableAt(j), 8 * j), op.i64Xor);
  return out;
};
/** x = slice(x ^ i64.load(p + offset)): eight bytes through the slicing tables. */
const slice8 = (x: number, offset: number): number[] => [
  ...get(x), ...get(P), op.i64Load, 3, ...uleb(offset), op.i64Xor, ...set(x),
  ...eightLookups(x, (j) => (7 - j) * 2048), ...set(x),
];
/** reg = Z(reg) ^ x: the S zero bytes after reg's stream, then x's stream folded in. */
const fold = (x: number): number[] => [...eightLookups(REG, (j) => ZSHIFT_AT + j * 2048), ...get(x), op.i64Xor, ...set(REG)];
/** while (p < limit) { …step; p += stride } */
const loopUntil = (limit: number, stride: number, step: number[]): number[] => [
  op.block, op.void, op.loop, op.void,
  ...get(P), ...get(limit), op.i32GeU, op.brIf, 1,
  ...step,
  ...get(P), ...i32(stride), op.i32Add, ...set(P), op.br, 0,
  op.end, op.end,
];
const zero = (x: number): number[] => [op.i64Const, 0, ...set(x)];

function moduleBytes(): Uint8Array {
  const S = STREAM_BYTES;
  const block: number[] = [
    ...R.flatMap(zero),
    ...get(P), ...i32(S), op.i32Add, ...set(STOP),
    ...loopUntil(STOP, 8, [...slice8(REG, 0), ...R.flatMap((r, i) => slice8(r, (i + 1) * S))]),
    ...R.flatMap(fold),
  ];
  const byte: number[] = [
    ...get(REG), ...get(P), op.i64Load8U, 0, 0, op.i64Xor, ...set(REG),
    ...lookup(REG, 0, 0), ...get(REG), op.i64Const, 8, op.i64ShrU, op.i64Xor, ...set(REG),
  ];
  const end = (mask: number, local: number): number[] => [...get(P), ...get(LEN), ...i32(mask), op.i32And, op.i32Add, ...set(local)];
  const body = [
    2, 4, I32, STREAMS - 1, I64, // locals: end8, end, endBlock, stop; r1 … r(N−1)
    ...get(P), ...get(LEN), op.i32Add, ...set(END),
    ...end(-8, END8),
    ...end(-STREAMS * S, END_BLOCK),
    // The block loop's own step moves p by S; (N − 1)·S more skip the other streams.
    ...loopUntil(END_BLOCK, (STREAMS - 1) * S, block),
    ...loopUntil(END8, 8, slice8(REG, 0)),
    ...loopUntil(END, 1, byte),
    ...get(REG), op.end,
  ];
  return new Uint8Array([
    ...MODULE_HEADER,
    ...section(1, [1, 0x60, 3, I64, I32, I32, 1, I64]), // type 0: (i64, i32, i32) -> i64
    ...section(3, [1, 0]), // function 0 has type 0
    ...section(5, [1, 0x00, PAGES]), // one memory, PAGES pages
    ...section(7, [2, ...name('memory'), 0x02, 0, ...name('update'), 0x00, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

export interface Crc64Kernel {
  /** The pre-inverted register after `data` (unsigned). */
  update(reg: bigint, data: Uint8Array): bigint;
}


let kernel: Crc64Kernel | undefined;

/** The shared kernel, instantiated on first use (synchronously: the module is tiny). */
export function crc64Kernel(): Crc64Kernel {
  if (kernel) return kernel;
  const instance = new wasmApi.Instance(new wasmApi.Module(moduleBytes()));
  const memory = instance.exports.memory as { buffer: ArrayBuffer };
  const run = instance.exports.update as (reg: bigint, p: number, len: number) => bigint;
  const tables = new BigUint64Array(memory.buffer, 0, 8 * 256);
  for (let b = 0; b < 256; b++) {
    let r = BigInt(b);
    for (let bit = 0; bit < 8; bit++) r = r & 1n ? (r >> 1n) ^ POLY : r >> 1n;
    tables[b] = r;
  }
  for (let k = 1; k < 8; k++) {
    for (let b = 0; b < 256; b++) {
      const prev = tables[(k - 1) * 256 + b] as bigint;
      tables[k * 256 + b] = (prev >> 8n) ^ (tables[Number(prev & 0xffn)] as bigint);
    }
  }
  // Z_S's columns: Z_S(x) = update(x, S zero bytes), as update(0, zeros) = 0. S bytes are under
  // one block, so these runs take the single-stream loop, which needs no Z table yet.
  const column = (bit: number): bigint => BigInt.asUintN(64, run(1n << BigInt(bit), DATA_AT, STREAM_BYTES));
  const zshift = new BigUint64Array(memory.buffer, ZSHIFT_AT, 8 * 256);
  for (let k = 0; k < 8; k++) {
    const columns = Array.from({ length: 8 }, (_, j) => column(8 * k + j));
    for (let b = 1; b < 256; b++) {
      const low = 31 - Math.clz32(b & -b);
      zshift[k * 256 + b] = (zshift[k * 256 + (b & (b - 1))] as bigint) ^ (columns[low] as bigint);
    }
  }
  const bytes = new Uint8Array(memory.buffer);
  kernel = {
    update(reg, data) {
      for (let at = 0; at < data.length; at += CHUNK_BYTES) {
        const piece = data.subarray(at, at + CHUNK_BYTES);
        bytes.set(piece, DATA_AT);
        reg = run(reg, DATA_AT, piece.length);
      }
      return BigInt.asUintN(64, reg); // an i64 comes back signed
    },
  };
  return kernel;
}

// The CRC-64/XZ inner loop as a WebAssembly function, assembled here from its opcodes (no build
// step, no binary file). In the text format it is:
//
//   (func (export "update") (param $reg i64) (param $p i32) (param $len i32) (result i64)
//     (local $end8 i32) (local $end i32)
//     end = p + len; end8 = p + (len & ~7)
//     while p < end8:                              ;; slicing-by-8
//       reg ^= i64.load(p)
//       reg = T7[reg & 0xff] ^ T6[(reg >> 8) & 0xff] ^ … ^ T0[reg >> 56];  p += 8
//     while p < end:                               ;; the tail, a byte at a time
//       reg = T0[(reg ^ i64.load8_u(p)) & 0xff] ^ (reg >> 8);  p += 1
//     return reg)
//
// Tk[b] (k = 0…7, 256 × i64 each, at byte k·2048 of the memory) is the register after byte b
// followed by k zero bytes; the JavaScript below fills them. Data goes in at DATA_AT, 64 KiB at a
// time. `reg` is the pre-inverted register (crc64.ts does the init and final XOR).

const TABLE_BYTES = 8 * 256 * 8;
const DATA_AT = TABLE_BYTES;
const CHUNK_BYTES = 64 * 1024;
const PAGES = Math.ceil((DATA_AT + CHUNK_BYTES) / 65536);
const POLY = 0xc96c_5795_d787_0f42n;

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
};

// The opcodes used (WebAssembly core spec §5.4).
const op = {
  block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b, void: 0x40,
  localGet: 0x20, localSet: 0x21, i32Const: 0x41, i64Const: 0x42,
  i64Load: 0x29, i64Load8U: 0x31,
  i32GeU: 0x4f, i32Add: 0x6a, i32And: 0x71, i32Shl: 0x74, i32WrapI64: 0xa7,
  i64And: 0x83, i64Xor: 0x85, i64ShrU: 0x88,
} as const;
const I32 = 0x7f;
const I64 = 0x7e;
const [REG, P, LEN, END8, END] = [0, 1, 2, 3, 4];

const get = (local: number): number[] => [op.localGet, local];
const set = (local: number): number[] => [op.localSet, local];
/** Pushes T<k>[(reg >> shift) & 0xff]. */
const lookup = (k: number, shift: number): number[] => [
  ...get(REG), op.i64Const, ...sleb(shift), op.i64ShrU, op.i32WrapI64, op.i32Const, ...sleb(0xff), op.i32And,
  op.i32Const, 3, op.i32Shl, op.i64Load, 3, ...uleb(k * 2048),
];
/** while (p < limit) { …step; p += stride } */
const loopUntil = (limit: number, stride: number, step: number[]): number[] => [
  op.block, op.void, op.loop, op.void,
  ...get(P), ...get(limit), op.i32GeU, op.brIf, 1,
  ...step,
  ...get(P), op.i32Const, stride, op.i32Add, ...set(P), op.br, 0,
  op.end, op.end,
];

function moduleBytes(): Uint8Array {
  const slice8: number[] = [
    ...get(REG), ...get(P), op.i64Load, 3, 0, op.i64Xor, ...set(REG),
    ...lookup(7, 0), ...lookup(6, 8), op.i64Xor, ...lookup(5, 16), op.i64Xor, ...lookup(4, 24), op.i64Xor,
    ...lookup(3, 32), op.i64Xor, ...lookup(2, 40), op.i64Xor, ...lookup(1, 48), op.i64Xor, ...lookup(0, 56), op.i64Xor,
    ...set(REG),
  ];
  const byte: number[] = [
    ...get(REG), ...get(P), op.i64Load8U, 0, 0, op.i64Xor, ...set(REG),
    ...lookup(0, 0), ...get(REG), op.i64Const, 8, op.i64ShrU, op.i64Xor, ...set(REG),
  ];
  const body = [
    1, 2, I32, // two i32 locals: end8, end
    ...get(P), ...get(LEN), op.i32Add, ...set(END),
    ...get(P), ...get(LEN), op.i32Const, ...sleb(-8), op.i32And, op.i32Add, ...set(END8),
    ...loopUntil(END8, 8, slice8),
    ...loopUntil(END, 1, byte),
    ...get(REG), op.end,
  ];
  const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];
  const name = (s: string): number[] => [s.length, ...Buffer.from(s, 'latin1')];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
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

/** The part of the WebAssembly API used here (Node has it; the project's type libs do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let kernel: Crc64Kernel | undefined;

/** The shared kernel, instantiated on first use (synchronously: the module is tiny). */
export function crc64Kernel(): Crc64Kernel {
  if (kernel) return kernel;
  const instance = new wasm.Instance(new wasm.Module(moduleBytes()));
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

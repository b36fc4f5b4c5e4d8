// What the WebAssembly kernels assembled from their opcodes share (src/oss/crc64-wasm.ts,
// src/ingest/md5-wasm.ts): LEB128 integers, sections, names; and the part of the WebAssembly API
// the project uses, there and for page-aligned memory (src/blob/block-writer.ts) — Node has it,
// the project's type libs do not declare it.

/** Unsigned LEB128 (WebAssembly core spec §5.2.2). */
export const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};

/** Signed LEB128, for the immediates of i32.const and i64.const. */
export const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
};

/** A section: its id, its byte length, its content. */
export const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];

/** A name (an import's or an export's): its length, its bytes. */
export const name = (s: string): number[] => [s.length, ...Buffer.from(s, 'latin1')];

/** "\0asm", version 1. */
export const MODULE_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => { buffer: ArrayBuffer | SharedArrayBuffer };
}
export const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

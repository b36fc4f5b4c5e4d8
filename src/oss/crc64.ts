// CRC-64 as OSS reports it in `x-oss-hash-crc64ecma` (oss-upload-subset §10): the ECMA-182
// polynomial, reflected (0xC96C5795D7870F42), initial value and final XOR all ones — the
// parameters known as CRC-64/XZ. OSS sends it as an unsigned decimal string.
//   check("123456789") = 0x995DC9BBDF1939FA = 11051210869376104954; check("") = 0.
//
// Every byte the upload endpoint receives goes through this, so it is the hot path: a
// table-driven "slicing-by-8" loop (one 64-bit load, eight table lookups per 8 bytes), four
// streams of a block at once, in a tiny WebAssembly function (crc64-wasm.ts), where 64-bit
// integers are native — the single-stream loop alone was about 2.5 times the speed of the same
// loop in JavaScript on two 32-bit halves, and four streams 1.6 times that. Input is copied into the module's
// memory 64 KiB at a time; the register lives here, so any number of CRCs run interleaved.
//
// crc64Combine() gives CRC(A‖B) from CRC(A), CRC(B) and |B| without touching the bytes
// (zlib's crc32_combine, for 64 bits): CompleteMultipartUpload derives the object's CRC from
// its parts' CRCs instead of reading the object again.
import { crc64Kernel } from './crc64-wasm.js';

const MASK = 0xffff_ffff_ffff_ffffn;
/** The reflected ECMA-182 polynomial. */
export const CRC64_POLY = 0xc96c_5795_d787_0f42n;

/** A running CRC-64/XZ. `update` as bytes arrive, then `digest()` (decimal, as OSS prints it). */
export class Crc64 {
  // The register, pre-inverted (init = all ones).
  #reg = MASK;

  update(data: Uint8Array): this {
    if (data.length > 0) this.#reg = crc64Kernel().update(this.#reg, data);
    return this;
  }

  /** The CRC as an unsigned 64-bit integer. */
  value(): bigint {
    return this.#reg ^ MASK;
  }

  /** The CRC as OSS sends it: an unsigned decimal string. */
  digest(): string {
    return this.value().toString(10);
  }
}

/** CRC-64/XZ of a whole buffer, as a decimal string. */
export const crc64 = (data: Uint8Array | string): string =>
  new Crc64().update(typeof data === 'string' ? Buffer.from(data, 'utf8') : data).digest();

// ---------------------------------------------------------------------------------------------
// Combining. Appending n zero bytes to a message is a linear map on the 64-bit register: a 64×64
// matrix over GF(2), stored as 64 column vectors. ZEROS[k] is the map for 2^k zero bytes, built
// once by squaring; combining then costs one matrix-vector product per set bit of |B|.

type Gf2Matrix = bigint[];

function times(mat: Gf2Matrix, vec: bigint): bigint {
  let sum = 0n;
  for (let i = 0; vec !== 0n; i++, vec >>= 1n) if (vec & 1n) sum ^= mat[i] as bigint;
  return sum;
}

const square = (mat: Gf2Matrix): Gf2Matrix => mat.map((col) => times(mat, col));

const ZEROS: Gf2Matrix[] = [];

function zerosOperator(k: number): Gf2Matrix {
  if (ZEROS.length === 0) {
    // One zero bit: shift right, folding the polynomial in when the low bit falls out.
    const oneBit: Gf2Matrix = [CRC64_POLY];
    for (let n = 1; n < 64; n++) oneBit.push(1n << BigInt(n - 1));
    let m = square(square(square(oneBit))); // 8 bits = 1 byte
    ZEROS.push(m);
    while (ZEROS.length < 64) ZEROS.push((m = square(m)));
  }
  return ZEROS[k] as Gf2Matrix;
}

/** The map for `length` zero bytes: the product of ZEROS[k] over the set bits k of length. */
function operatorFor(length: number): Gf2Matrix | undefined {
  let op: Gf2Matrix | undefined;
  for (let k = 0, n = length; n > 0; k++, n = Math.floor(n / 2)) {
    if (n % 2 === 0) continue;
    const z = zerosOperator(k);
    op = op === undefined ? z : op.map((col) => times(z, col));
  }
  return op;
}

// Parts mostly share one size, so the last few operators are kept (64 bigints each).
const recentOperators = new Map<number, Gf2Matrix | undefined>();

/**
 * CRC-64/XZ of the concatenation A‖B, given crcA = CRC(A), crcB = CRC(B) and lengthB = |B| in
 * bytes (any safe integer). Values are the final CRCs, as value() returns them.
 */
export function crc64Combine(crcA: bigint, crcB: bigint, lengthB: number): bigint {
  if (!Number.isSafeInteger(lengthB) || lengthB < 0) throw new RangeError(`lengthB must be a non-negative safe integer, got ${lengthB}`);
  let op = recentOperators.get(lengthB);
  if (op === undefined && !recentOperators.has(lengthB)) {
    op = operatorFor(lengthB);
    if (recentOperators.size >= 8) recentOperators.delete(recentOperators.keys().next().value as number);
    recentOperators.set(lengthB, op);
  }
  const shifted = op === undefined ? crcA : times(op, crcA);
  return (shifted ^ crcB) & MASK;
}

/** The CRC of parts laid end to end, from each part's CRC (decimal, as stored) and size. */
export function combinedCrc64(parts: ReadonlyArray<{ crc64: string; size: number }>): string {
  let crc = 0n; // CRC of the empty message
  for (const p of parts) crc = crc64Combine(crc, BigInt(p.crc64), p.size);
  return crc.toString(10);
}

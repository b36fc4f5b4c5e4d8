// CRC-64 as OSS reports it in `x-oss-hash-crc64ecma` (oss-upload-subset §10): the ECMA-182
// polynomial, reflected (0xC96C5795D7870F42), initial value and final XOR all ones — the
// parameters known as CRC-64/XZ. OSS sends it as an unsigned decimal string.
//   check("123456789") = 0x995DC9BBDF1939FA = 11051210869376104954; check("") = 0.
//
// The 64-bit register is kept as two unsigned 32-bit halves (no BigInt on the hot path) and the
// input is consumed 8 bytes at a time ("slicing-by-8"), so hashing keeps up with disk and
// network speeds while streaming.

const POLY_LO = 0xd7870f42;
const POLY_HI = 0xc96c5795;

/** TLO[k][b], THI[k][b]: the register after feeding byte `b` followed by `k` zero bytes. */
const TLO: Uint32Array[] = [];
const THI: Uint32Array[] = [];

(function buildTables() {
  const lo0 = new Uint32Array(256);
  const hi0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let lo = n;
    let hi = 0;
    for (let bit = 0; bit < 8; bit++) {
      const carry = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (carry) {
        lo = (lo ^ POLY_LO) >>> 0;
        hi = (hi ^ POLY_HI) >>> 0;
      }
    }
    lo0[n] = lo;
    hi0[n] = hi;
  }
  TLO.push(lo0);
  THI.push(hi0);
  for (let k = 1; k < 8; k++) {
    const plo = TLO[k - 1] as Uint32Array;
    const phi = THI[k - 1] as Uint32Array;
    const lo = new Uint32Array(256);
    const hi = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      const l = plo[n] as number;
      const h = phi[n] as number;
      const idx = l & 0xff;
      lo[n] = (((l >>> 8) | (h << 24)) ^ (lo0[idx] as number)) >>> 0;
      hi[n] = ((h >>> 8) ^ (hi0[idx] as number)) >>> 0;
    }
    TLO.push(lo);
    THI.push(hi);
  }
})();

const [L0, L1, L2, L3, L4, L5, L6, L7] = TLO as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
const [H0, H1, H2, H3, H4, H5, H6, H7] = THI as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];

/** A running CRC-64/XZ. `update` as bytes arrive, then `digest()` (decimal, as OSS prints it). */
export class Crc64 {
  // The register, pre-inverted (init = all ones).
  #lo = 0xffffffff;
  #hi = 0xffffffff;

  update(data: Uint8Array): this {
    let lo = this.#lo;
    let hi = this.#hi;
    const n = data.length;
    let i = 0;
    for (; i + 8 <= n; i += 8) {
      lo ^= (data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24);
      hi ^= (data[i + 4] as number) | ((data[i + 5] as number) << 8) | ((data[i + 6] as number) << 16) | ((data[i + 7] as number) << 24);
      const nlo =
        (L7[lo & 0xff] as number) ^ (L6[(lo >>> 8) & 0xff] as number) ^ (L5[(lo >>> 16) & 0xff] as number) ^ (L4[lo >>> 24] as number) ^
        (L3[hi & 0xff] as number) ^ (L2[(hi >>> 8) & 0xff] as number) ^ (L1[(hi >>> 16) & 0xff] as number) ^ (L0[hi >>> 24] as number);
      const nhi =
        (H7[lo & 0xff] as number) ^ (H6[(lo >>> 8) & 0xff] as number) ^ (H5[(lo >>> 16) & 0xff] as number) ^ (H4[lo >>> 24] as number) ^
        (H3[hi & 0xff] as number) ^ (H2[(hi >>> 8) & 0xff] as number) ^ (H1[(hi >>> 16) & 0xff] as number) ^ (H0[hi >>> 24] as number);
      lo = nlo;
      hi = nhi;
    }
    for (; i < n; i++) {
      const idx = (lo ^ (data[i] as number)) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ (L0[idx] as number);
      hi = (hi >>> 8) ^ (H0[idx] as number);
    }
    this.#lo = lo >>> 0;
    this.#hi = hi >>> 0;
    return this;
  }

  /** The CRC as an unsigned 64-bit integer. */
  value(): bigint {
    return (BigInt((~this.#hi) >>> 0) << 32n) | BigInt((~this.#lo) >>> 0);
  }

  /** The CRC as OSS sends it: an unsigned decimal string. */
  digest(): string {
    return this.value().toString(10);
  }
}

/** CRC-64/XZ of a whole buffer, as a decimal string. */
export const crc64 = (data: Uint8Array | string): string =>
  new Crc64().update(typeof data === 'string' ? Buffer.from(data, 'utf8') : data).digest();

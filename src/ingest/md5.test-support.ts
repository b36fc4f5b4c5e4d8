// For the MD5 kernels' tests (md5-wasm, md5-native): the padding a kernel leaves to its caller,
// MD5's initial state, and node:crypto's answer to compare with.
import { createHash } from 'node:crypto';

export const MD5_INIT = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];

/** RFC 1321's padding: 0x80, zeros, the bit length (little-endian u64), to a whole block. */
export function padded(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil((data.length + 9) / 64) * 64);
  out.set(data);
  out[data.length] = 0x80;
  new DataView(out.buffer).setBigUint64(out.length - 8, BigInt(data.length) * 8n, true);
  return out;
}

export const md5 = (data: Uint8Array): string => createHash('md5').update(data).digest('hex');

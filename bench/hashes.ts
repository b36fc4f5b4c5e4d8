// bench/hashes: the per-byte work every uploaded or pulled byte goes through, alone, in MiB/s:
// OpenVOD's CRC-64 kernel (src/oss/crc64-wasm.ts) fed 64 KiB pieces, as the upload endpoint's
// socket reads arrive, beside the same kernel fed 4 KiB pieces, which are under its four-stream
// block and so run its single-stream loop (the baseline: what the kernel was before it ran four
// streams side by side); and node:crypto's MD5 (OpenSSL) and a plain copy, for scale.
//
//   node --import tsx bench/hashes.ts [--mib 256] [--rounds 3]
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Crc64 } from '../src/oss/crc64.js';

const MIB = 1024 * 1024;
const { values } = parseArgs({ options: { mib: { type: 'string', default: '256' }, rounds: { type: 'string', default: '3' } } });
const total = Number(values.mib) * MIB;
const rounds = Number(values.rounds);
if (!(total > 0) || !(rounds > 0)) {
  process.stderr.write('usage: node --import tsx bench/hashes.ts [--mib 256] [--rounds 3]\n');
  process.exit(2);
}

const data = randomBytes(64 * MIB);
/** MiB/s of `step` over `total` bytes of `data`, taken `piece` bytes at a time. */
function rate(piece: number, step: (chunk: Buffer) => void): number {
  const t0 = performance.now();
  for (let done = 0; done < total;) {
    for (let at = 0; at < data.length && done < total; at += piece, done += piece) step(data.subarray(at, at + piece));
  }
  return total / MIB / ((performance.now() - t0) / 1000);
}

const best = { crc64: 0, crc64Single: 0, md5: 0, copy: 0 };
const copyTo = Buffer.allocUnsafe(64 * 1024);
for (let r = 0; r < rounds; r++) {
  const crc = new Crc64();
  best.crc64 = Math.max(best.crc64, rate(64 * 1024, (c) => crc.update(c)));
  const single = new Crc64();
  best.crc64Single = Math.max(best.crc64Single, rate(4096, (c) => single.update(c)));
  const md5 = createHash('md5');
  best.md5 = Math.max(best.md5, rate(64 * 1024, (c) => md5.update(c)));
  best.copy = Math.max(best.copy, rate(64 * 1024, (c) => c.copy(copyTo)));
}
const f = (n: number): string => n.toFixed(0).padStart(6);
process.stdout.write(`bench/hashes: ${values.mib} MiB per measurement, best of ${rounds}; node ${process.version}\n`);
process.stdout.write(`  CRC-64, 64 KiB pieces (four streams)   ${f(best.crc64)} MiB/s\n`);
process.stdout.write(`  CRC-64, 4 KiB pieces (one stream)      ${f(best.crc64Single)} MiB/s\n`);
process.stdout.write(`  MD5 (node:crypto, OpenSSL)             ${f(best.md5)} MiB/s\n`);
process.stdout.write(`  copy (Buffer.copy)                     ${f(best.copy)} MiB/s\n`);
process.stdout.write(`ratio four streams / one stream ${(best.crc64 / best.crc64Single).toFixed(2)}\n`);
process.stdout.write(`${JSON.stringify({ bench: 'hashes', mibPerS: Object.fromEntries(Object.entries(best).map(([k, v]) => [k, Math.round(v)])) })}\n`);

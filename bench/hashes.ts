// bench/hashes: the per-byte work every uploaded or pulled byte goes through, alone, in MiB/s:
// OpenVOD's CRC-64 kernel (src/oss/crc64-wasm.ts) fed 64 KiB pieces, as the upload endpoint's
// socket reads arrive, beside the same kernel fed 4 KiB pieces, which are under its four-stream
// block and so run its single-stream loop (the baseline: what the kernel was before it ran four
// streams side by side); OpenVOD's MD5 kernel (src/ingest/md5-wasm.ts), four streams in its SIMD
// lanes and one alone, and the native eight-lane kernel (native/md5-lanes.c, where it is built:
// the instruction set it chose here, and AVX2), beside node:crypto's MD5 (OpenSSL, the baseline);
// and a plain copy.
//
//   node --import tsx bench/hashes.ts [--mib 256] [--rounds 3]
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { nativeLanes } from '../src/ingest/md5-native.js';
import { md5ModuleBytes } from '../src/ingest/md5-wasm.js';
import { Crc64 } from '../src/oss/crc64.js';
import { wasmApi } from '../src/wasm/assemble.js';

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

// The MD5 kernel over 4 × 4 MiB of its own memory, state at 0 (lanes) and 64 (one).
const PAGES = 4 * 64 + 1;
const memory = new wasmApi.Memory({ initial: PAGES, maximum: PAGES, shared: true });
const md5Kernel = new wasmApi.Instance(new wasmApi.Module(md5ModuleBytes(PAGES)), { env: { memory } }).exports as {
  lanes(state: number, p0: number, p1: number, p2: number, p3: number, n: number): void;
  one(state: number, p: number, n: number): void;
};
new Uint8Array(memory.buffer).set(data.subarray(0, 16 * MIB), 65_536);
const STREAM = 4 * MIB;
function kernelRate(streams: 1 | 4): number {
  const t0 = performance.now();
  for (let done = 0; done < total; done += streams * STREAM) {
    if (streams === 4) md5Kernel.lanes(0, 65_536, 65_536 + STREAM, 65_536 + 2 * STREAM, 65_536 + 3 * STREAM, STREAM / 64);
    else md5Kernel.one(64, 65_536, STREAM / 64);
  }
  return total / MIB / ((performance.now() - t0) / 1000);
}

// The native kernel over the same 16 MiB, as eight streams of 2 MiB, state at 128.
const native = nativeLanes();
const bytes = new Uint8Array(memory.buffer);
function nativeRate(kernel: NonNullable<typeof native>['lanes']): number {
  const S = 2 * MIB;
  const t0 = performance.now();
  for (let done = 0; done < total; done += 8 * S) {
    kernel(bytes, 128, 65_536, 65_536 + S, 65_536 + 2 * S, 65_536 + 3 * S, 65_536 + 4 * S, 65_536 + 5 * S, 65_536 + 6 * S, 65_536 + 7 * S, S / 64);
  }
  return total / MIB / ((performance.now() - t0) / 1000);
}

const best = { crc64: 0, crc64Single: 0, md5: 0, md5Lanes: 0, md5One: 0, md5Native: 0, md5NativeAvx2: 0, copy: 0 };
const copyTo = Buffer.allocUnsafe(64 * 1024);
for (let r = 0; r < rounds; r++) {
  const crc = new Crc64();
  best.crc64 = Math.max(best.crc64, rate(64 * 1024, (c) => crc.update(c)));
  const single = new Crc64();
  best.crc64Single = Math.max(best.crc64Single, rate(4096, (c) => single.update(c)));
  const md5 = createHash('md5');
  best.md5 = Math.max(best.md5, rate(64 * 1024, (c) => md5.update(c)));
  best.md5Lanes = Math.max(best.md5Lanes, kernelRate(4));
  best.md5One = Math.max(best.md5One, kernelRate(1));
  if (native) {
    best.md5Native = Math.max(best.md5Native, nativeRate(native.lanes));
    best.md5NativeAvx2 = Math.max(best.md5NativeAvx2, nativeRate(native.avx2Lanes));
  }
  best.copy = Math.max(best.copy, rate(64 * 1024, (c) => c.copy(copyTo)));
}
const f = (n: number): string => n.toFixed(0).padStart(6);
process.stdout.write(`bench/hashes: ${values.mib} MiB per measurement, best of ${rounds}; node ${process.version}\n`);
process.stdout.write(`  CRC-64, 64 KiB pieces (four streams)   ${f(best.crc64)} MiB/s\n`);
process.stdout.write(`  CRC-64, 4 KiB pieces (one stream)      ${f(best.crc64Single)} MiB/s\n`);
process.stdout.write(`  MD5 (node:crypto, OpenSSL), one stream  ${f(best.md5)} MiB/s\n`);
process.stdout.write(`  MD5 kernel, four streams in its lanes  ${f(best.md5Lanes)} MiB/s in all\n`);
process.stdout.write(`  MD5 kernel, one stream                 ${f(best.md5One)} MiB/s\n`);
if (native) {
  process.stdout.write(`  ${`MD5 native, eight streams (${native.isa})`.padEnd(37)}${f(best.md5Native)} MiB/s in all\n`);
  process.stdout.write(`  ${'MD5 native, eight streams (avx2)'.padEnd(37)}${f(best.md5NativeAvx2)} MiB/s in all\n`);
} else {
  process.stdout.write('  MD5 native: not built here, or no AVX2 (scripts/build-native.js)\n');
}
process.stdout.write(`  copy (Buffer.copy)                     ${f(best.copy)} MiB/s\n`);
process.stdout.write(`ratio CRC-64 four streams / one stream ${(best.crc64 / best.crc64Single).toFixed(2)}; MD5 lanes / OpenSSL ${(best.md5Lanes / best.md5).toFixed(2)}, one / OpenSSL ${(best.md5One / best.md5).toFixed(2)}${native ? `, native / lanes ${(best.md5Native / best.md5Lanes).toFixed(2)}` : ''}\n`);
process.stdout.write(`${JSON.stringify({ bench: 'hashes', mibPerS: Object.fromEntries(Object.entries(best).map(([k, v]) => [k, Math.round(v)])) })}\n`);

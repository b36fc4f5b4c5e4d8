// The uploader side of bench/upload, a process of its own so that its memory is measured apart:
//
//   upload-child.ts file   <endpoint> <path>
//   upload-child.ts stream <endpoint> <seed.mp4> <bytes>
//
// One SDK upload (createUploader → uploadFile / uploadStream), then one JSON line on stdout:
// { elapsedMs, cpuMs, size, videoId, hwmBytes } — elapsedMs is the call alone, cpuMs the CPU this
// process (all its threads) used during the call, hwmBytes the process's VmHWM (peak RSS over its
// whole life, start-up included). The key comes from the environment
// (OPENVOD_BENCH_KEY_ID / OPENVOD_BENCH_KEY_SECRET). The process exits when its stdin closes, so
// it dies with the bench.
//
// bench/upload runs this file through tsx (`--sdk src`), or bundles it with esbuild the way
// scripts/build.js bundles dist/sdk.mjs and runs it on plain node (`--sdk dist`), which is how
// the SDK runs for its users.
import { readFileSync } from 'node:fs';
import { createUploader } from '../../src/sdk/index.js';
import { freeBoxHeader, newFiller, paddingBoxBytes } from './padded-media.js';
import { statusField } from './rss-sampler.js';

/** What a file or socket stream yields (fs.createReadStream's default highWaterMark). */
const STREAM_CHUNK_BYTES = 64 * 1024;

/** A real MP4 of exactly `bytes` bytes, made on the fly: the seed clip, then a `free` box of filler. */
async function* paddedMp4Stream(seed: Buffer, bytes: number): AsyncGenerator<Buffer> {
  const filler = newFiller();
  const stamp = Buffer.from(`openvod-bench stream ${process.pid} `, 'latin1');
  yield seed;
  yield freeBoxHeader(paddingBoxBytes(seed.length, bytes));
  let at = seed.length + (bytes - seed.length > 0xffff_ffff ? 16 : 8);
  for (let index = 0; at < bytes; index++) {
    // A fresh buffer per chunk, as a real stream gives: the uploader may hold on to what it was given.
    const start = (index * STREAM_CHUNK_BYTES) % (filler.length - STREAM_CHUNK_BYTES);
    const chunk = Buffer.allocUnsafe(Math.min(STREAM_CHUNK_BYTES, bytes - at));
    filler.copy(chunk, 0, start, start + chunk.length);
    if (chunk.length >= stamp.length + 4) {
      stamp.copy(chunk, 0);
      chunk.writeUInt32BE(index, stamp.length);
    }
    at += chunk.length;
    yield chunk;
  }
}

async function run(mode: string, endpoint: string, a: string, b: string | undefined): Promise<void> {
  const accessKeyId = process.env.OPENVOD_BENCH_KEY_ID ?? '';
  const accessKeySecret = process.env.OPENVOD_BENCH_KEY_SECRET ?? '';
  const uploader = createUploader({ endpoint, accessKeyId, accessKeySecret });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const r = mode === 'file'
    ? await uploader.uploadFile(a, { title: 'bench upload file' })
    : await uploader.uploadStream(paddedMp4Stream(readFileSync(a), Number(b)), { fileName: 'bench-stream.mp4', size: Number(b), title: 'bench upload stream' });
  const elapsedMs = performance.now() - t0;
  const { user, system } = process.cpuUsage(cpu0);
  const cpuMs = (user + system) / 1000;
  const hwmBytes = statusField(readFileSync('/proc/self/status', 'utf8'), 'VmHWM');
  process.stdout.write(`${JSON.stringify({ elapsedMs, cpuMs, size: r.size, videoId: r.videoId, hwmBytes })}\n`);
}

process.stdin.on('close', () => process.exit(130)).resume();
const [mode, endpoint, a, b] = process.argv.slice(2);
if ((mode !== 'file' && mode !== 'stream') || endpoint === undefined || a === undefined) {
  process.stderr.write('usage: upload-child.ts file <endpoint> <path> | stream <endpoint> <seed.mp4> <bytes>\n');
  process.exit(2);
}
run(mode, endpoint, a, b).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`uploader failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);

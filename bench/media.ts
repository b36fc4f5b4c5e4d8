// bench/media: what the analysis of one new video (ffprobe, then the cover JPEG) costs in CPU,
// for the ways OpenVOD can run it, on a short clip and on a longer 1080p video — beside the way it
// ran before keyframe covers, measured in the same run.
//
//   node --import tsx bench/media.ts [--runs 5] [--dir <dir>]
//
// Variants, each over the same files, one analysis at a time:
//   before   ffmpeg/ffprobe from PATH, cover = the exact frame at its time (every frame from the
//            keyframe before it decoded) — the baseline
//   path     from PATH (media.tools = path) as the system starts them, cover = the first keyframe
//            at or after its time on videos of 20 s and more
//   ordered  the same, their libraries preloaded in the checked order (the default,
//            media.preloadLibraries; src/media/library-order.ts) — when they are dynamically linked
//   zygote   the same, each run forked from the tool's zygote (the default, media.zygote;
//            src/media/tool-zygote.ts) — when the zygote library is built
//   bundled  the npm packages' statically linked builds first (media.tools = bundled)
// Prints the CPU (user + system of ffprobe and ffmpeg, from /proc) and the wall time per file,
// and each variant's CPU as a fraction of the baseline's. No goal: it shows where the time goes.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { chooseTool } from '../src/media/ffmpeg-binaries.js';
import { probeMedia } from '../src/media/ffprobe.js';
import { orderLibraries } from '../src/media/library-order.js';
import { useToolZygotes } from '../src/media/tool-zygote.js';
import { type CoverSeek, coverSeek, coverTimeS, grabFrame } from '../src/media/snapshot.js';
import { runBench } from './lib/bench-main.js';
import { createCleanup } from './lib/cleanup.js';
import { descendantsCpuMs } from './lib/proc-cpu.js';

const run = promisify(execFile);
const out = (line = ''): void => void process.stdout.write(`${line}\n`);
const cleanup = createCleanup((message) => void process.stderr.write(`${message}\n`));
const abort = new AbortController();

interface Options { runs: number; dir: string }
class UsageError extends Error {}

function parse(argv: string[]): Options {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { runs: { type: 'string', default: '5' }, dir: { type: 'string', default: tmpdir() } } }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 100) throw new UsageError(`--runs: "${values.runs}" must be an integer in 1..100`);
  return { runs, dir: values.dir };
}

interface Variant { name: string; ffprobe: string; ffmpeg: string; seek: 'exact' | 'auto'; zygote?: boolean }
interface Sample { name: string; path: string; label: string }

/** Encodes the test files with the PATH ffmpeg (libx264), as a web video would come. */
async function makeFiles(dir: string, ffmpeg: string): Promise<Sample[]> {
  const encode = async (name: string, size: string, seconds: number, gop: number): Promise<string> => {
    const path = join(dir, name);
    await run(ffmpeg, [
      '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25`, '-f', 'lavfi', '-i', 'sine', '-t', String(seconds),
      '-c:v', 'libx264', '-preset', 'veryfast', '-g', String(gop), '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '96k', '-movflags', '+faststart', path,
    ], { timeout: 600_000, signal: abort.signal });
    return path;
  };
  return [
    { name: 'short', path: await encode('short.mp4', '640x360', 2, 50), label: '2 s 640×360 H.264, GOP 2 s' },
    { name: 'long', path: await encode('long.mp4', '1920x1080', 60, 250), label: '60 s 1920×1080 H.264, GOP 10 s' },
  ];
}

/** One file's analysis as the pipeline runs it: probe, then the cover. */
async function analyse(v: Variant, file: string, coverPath: string): Promise<void> {
  useToolZygotes(v.zygote === true);
  const info = await probeMedia(file, { ffprobePath: v.ffprobe, signal: abort.signal });
  const seek: CoverSeek = v.seek === 'exact' ? 'exact' : coverSeek(info);
  await grabFrame({ ffmpegPath: v.ffmpeg, source: file, timeS: coverTimeS(info), seek, outPath: coverPath, streamIndex: info.mainVideo?.index, signal: abort.signal });
}

async function main(opts: Options): Promise<number> {
  const dir = mkdtempSync(join(opts.dir, 'openvod-bench-media-'));
  cleanup.defer('remove the files', () => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'covers'));
  const onPath = { ffprobe: chooseTool('ffprobe', { pathEnv: process.env.PATH }), ffmpeg: chooseTool('ffmpeg', { pathEnv: process.env.PATH }) };
  const bundled = { ffprobe: chooseTool('ffprobe', { pathEnv: '', prefer: 'bundled' }), ffmpeg: chooseTool('ffmpeg', { pathEnv: '', prefer: 'bundled' }) };
  out(`bench/media: ffprobe + cover per file, ${opts.runs} run(s) per variant and file; node ${process.version}`);
  out(`PATH tools: ${onPath.ffprobe.primary.path}, ${onPath.ffmpeg.primary.path} (${onPath.ffprobe.primary.source}); bundled: ${bundled.ffprobe.primary.path}, ${bundled.ffmpeg.primary.path}`);
  const variants: Variant[] = [
    { name: 'before', ffprobe: onPath.ffprobe.primary.path, ffmpeg: onPath.ffmpeg.primary.path, seek: 'exact' },
    { name: 'path', ffprobe: onPath.ffprobe.primary.path, ffmpeg: onPath.ffmpeg.primary.path, seek: 'auto' },
    { name: 'bundled', ffprobe: bundled.ffprobe.primary.path, ffmpeg: bundled.ffmpeg.primary.path, seek: 'auto' },
  ];
  // The preload is per path: links to the PATH tools get it, the PATH tools themselves do not.
  mkdirSync(join(dir, 'ordered'));
  const ordered = { ffprobe: join(dir, 'ordered', 'ffprobe'), ffmpeg: join(dir, 'ordered', 'ffmpeg') };
  symlinkSync(onPath.ffprobe.primary.path, ordered.ffprobe);
  symlinkSync(onPath.ffmpeg.primary.path, ordered.ffmpeg);
  const outcomes = [await orderLibraries(ordered.ffprobe), await orderLibraries(ordered.ffmpeg)];
  out(`library order: ffprobe ${JSON.stringify(outcomes[0])}, ffmpeg ${JSON.stringify(outcomes[1])}`);
  if (outcomes.every((o) => o.kind === 'ordered')) variants.splice(2, 0, { name: 'ordered', ffprobe: ordered.ffprobe, ffmpeg: ordered.ffmpeg, seek: 'auto' });
  const zygote = useToolZygotes();
  out(`zygote library: ${zygote ?? 'not built (scripts/build-native.js)'}`);
  if (zygote !== undefined) {
    const tools = outcomes.every((o) => o.kind === 'ordered') ? ordered : { ffprobe: onPath.ffprobe.primary.path, ffmpeg: onPath.ffmpeg.primary.path };
    variants.splice(variants.length - 1, 0, { name: 'zygote', ...tools, seek: 'auto', zygote: true });
  }
  out('encoding the test files …');
  const files = await makeFiles(dir, onPath.ffmpeg.primary.path);
  const rows: Array<{ file: string; variant: string; cpuMs: number; wallMs: number }> = [];
  for (const file of files) {
    for (const v of variants) await analyse(v, file.path, join(dir, 'covers', `${file.name}-${v.name}-warm.jpg`)); // page cache, first-run costs
    for (const v of variants) {
      const cpu0 = descendantsCpuMs('self');
      const t0 = performance.now();
      for (let i = 0; i < opts.runs; i++) await analyse(v, file.path, join(dir, 'covers', `${file.name}-${v.name}-${i}.jpg`));
      const wallMs = (performance.now() - t0) / opts.runs;
      const cpu1 = descendantsCpuMs('self');
      if (cpu0 === undefined || cpu1 === undefined) throw new Error('needs Linux /proc to measure the tools\' CPU');
      rows.push({ file: file.name, variant: v.name, cpuMs: (cpu1 - cpu0) / opts.runs, wallMs });
    }
  }
  out();
  out(`${'file'.padEnd(6)} ${'variant'.padEnd(8)} ${'CPU ms/file'.padStart(11)} ${'wall ms/file'.padStart(12)} ${'CPU vs before'.padStart(13)}`);
  for (const file of files) {
    const base = rows.find((r) => r.file === file.name && r.variant === 'before')?.cpuMs ?? Number.NaN;
    for (const r of rows.filter((x) => x.file === file.name)) {
      out(`${r.file.padEnd(6)} ${r.variant.padEnd(8)} ${r.cpuMs.toFixed(0).padStart(11)} ${r.wallMs.toFixed(0).padStart(12)} ${(r.cpuMs / base).toFixed(2).padStart(13)}`);
    }
  }
  out(`(short = ${files[0]?.label}; long = ${files[1]?.label}; CPU is ffprobe's, ffmpeg's and their tool runner's and zygotes', at 10 ms resolution per run)`);
  out(JSON.stringify({ bench: 'media', runs: opts.runs, rows }));
  return 0;
}

await runBench({
  name: 'bench/media',
  argv: process.argv.slice(2),
  parse,
  isUsageError: (err) => err instanceof UsageError,
  budgetMs: (o) => 600_000 + o.runs * 60_000,
  cleanup,
  abort,
  main,
});

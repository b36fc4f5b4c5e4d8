// bench/upload: the SDK's uploadFile of one large real MP4 to `openvod serve`, beside `curl -T` of
// the same file to a bare PUT sink that fsyncs before its 200 (OpenVOD answers only once the bytes
// are on disk, so the baseline does too; the rate without that fsync is printed beside), in the
// same run; then the peak RSS of the server and of the uploader while the SDK's uploadStream sends
// a multi-GB generated stream.
//
//   node --import tsx bench/upload.ts [--quick] [--size-gb 1] [--stream-gb 2] [--rounds 2] [--cold] [--dir <dir>] [--sdk dist|src]
//
// Goals: OpenVOD upload ≥ 0.8 of curl's MiB/s; server and uploader peak RSS each < 200 MiB.
// Each timed run also reads both sides' CPU (curl and the sink; the uploader and the server), and
// the report prints it per GiB with the rate OpenVOD's CPU per GiB allows at best on this
// machine's cores (the CPU ceiling).
// The uploader always runs in a child process of its own (lib/upload-child.ts), so its memory is
// sampled apart from the bench's: by default the SDK bundled as users get it (`--sdk dist`, see
// lib/sdk-bundle.ts) on plain node, or the TypeScript sources under tsx (`--sdk src`, which adds
// tsx's own start-up memory). The sink is a child too (`--sink <dir> <port>`).
// "Upload done" is when uploadFile/uploadStream returns (every part acknowledged and the multipart
// upload completed); the server's media analysis after that is not timed, but the bench waits for
// the video to leave `Uploading` (untimed) before the next run, so it cannot overlap a measurement.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { probeMedia } from '../src/media/ffprobe.js';
import { locateTool } from '../src/media/ffmpeg-binaries.js';
import { VodRpcClient } from '../src/sdk/index.js';
import { type Child, freePort, openvodServeArgs, spawnNode } from './lib/child.js';
import { createCleanup } from './lib/cleanup.js';
import { runBench } from './lib/bench-main.js';
import { cpuSpentMs, processCpuMs, reapedChildrenCpuMs } from './lib/proc-cpu.js';
import { bundleUploadChild } from './lib/sdk-bundle.js';
import { makeSeedMp4, newFiller, writePaddedMp4 } from './lib/padded-media.js';
import { readThrough, settlePageCache, type CacheState } from './lib/page-cache.js';
import type { Verdict } from './lib/report.js';
import { currentRss, resetHighWaterMark, type RssPeaks, sampleRss } from './lib/rss-sampler.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const THROUGHPUT_GOAL = 0.8;
const RSS_GOAL_BYTES = 200 * MIB;
const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const SELF = fileURLToPath(import.meta.url);
const KEY = { accessKeyId: 'LTAIbenchRootKey0001', accessKeySecret: 'benchRootSecret000000000001' };
const USAGE = 'usage: node --import tsx bench/upload.ts [--quick] [--size-gb 1] [--stream-gb 2] [--rounds 2] [--cold] [--dir <dir>] [--sdk dist|src]';
const CHILD_SOURCE = join(ROOT, 'bench/lib/upload-child.ts');

const out = (line = ''): void => void process.stdout.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------
// The sink, a child role of this file. It exits when its stdin closes, so it dies with the bench.

/**
 * `--sink <dir> <port>`: every PUT body streamed to <dir>/<basename of the URL path>, fsynced, then
 * 200 with `{"fsyncMs": …}` — a receiver that answers once the bytes are on disk, as OpenVOD does
 * (each part is fsynced before its 200, the object before Complete's). The fsync's time is in the
 * answer so that the report can also give curl's rate without it.
 */
function runSink(dir: string, port: number): void {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/healthz') {
      res.end('ok');
      return;
    }
    if (req.method !== 'PUT') {
      res.statusCode = 405;
      res.end();
      return;
    }
    const name = basename(new URL(req.url ?? '/', 'http://x').pathname) || 'body';
    receive(req, join(dir, name)).then(
      (fsyncMs) => res.end(JSON.stringify({ fsyncMs })),
      (err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      },
    );
  });
  server.listen(port, '127.0.0.1');
  process.stdin.on('close', () => process.exit(0)).resume();
}

/** Streams `body` into `path`, then fsyncs it (fsync is per file, whichever descriptor); resolves with the fsync's milliseconds. */
async function receive(body: NodeJS.ReadableStream, path: string): Promise<number> {
  await pipeline(body, createWriteStream(path));
  const handle = await open(path, 'r');
  try {
    const t0 = performance.now();
    await handle.sync();
    return performance.now() - t0;
  } finally {
    await handle.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The bench.

interface Options { fileBytes: number; streamBytes: number; rounds: number; cold: boolean; dir: string; quick: boolean; sdk: 'dist' | 'src' }
class UsageError extends Error {}

function parseOptions(argv: string[]): Options {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        quick: { type: 'boolean', default: false }, cold: { type: 'boolean', default: false }, dir: { type: 'string' }, help: { type: 'boolean', short: 'h' },
        'size-gb': { type: 'string' }, 'stream-gb': { type: 'string' }, rounds: { type: 'string' }, sdk: { type: 'string', default: 'dist' },
      },
    }).values;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n  --quick: 0.25 GiB file, 0.5 GiB stream; --sdk dist (default): the SDK bundled as users get it, src: the sources under tsx\n`);
    process.exit(0);
  }
  const quick = values.quick === true;
  const problems: string[] = [];
  const num = (name: string, full: number, fast: number, min: number, max: number, integer: boolean): number => {
    const raw = values[name];
    const n = raw === undefined ? (quick ? fast : full) : Number(raw);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) problems.push(`--${name}: "${String(raw)}" must be ${integer ? 'an integer' : 'a number'} in ${min}..${max}`);
    return n;
  };
  const o: Options = {
    fileBytes: Math.round(num('size-gb', 1, 0.25, 0, 64, false) * GIB),
    streamBytes: Math.round(num('stream-gb', 2, 0.5, 0, 64, false) * GIB),
    rounds: num('rounds', 2, 2, 1, 20, true),
    cold: values.cold === true,
    dir: resolve(typeof values.dir === 'string' ? values.dir : tmpdir()),
    quick,
    sdk: values.sdk === 'src' ? 'src' : 'dist',
  };
  if (values.sdk !== 'src' && values.sdk !== 'dist') problems.push(`--sdk: "${String(values.sdk)}" must be dist or src`);
  if (o.fileBytes === 0 && o.streamBytes === 0) problems.push('nothing to run: --size-gb and --stream-gb are both 0');
  if (problems.length > 0) throw new UsageError(`invalid options:\n  - ${problems.join('\n  - ')}\n${USAGE}`);
  return o;
}

const cleanup = createCleanup((message) => void process.stderr.write(`${message}\n`));
const abort = new AbortController();

interface Env {
  work: string;
  file: string;
  seedPath: string;
  sinkDir: string;
  sinkUrl: string;
  sink: Child;
  server: Child;
  endpoint: string;
  vod: VodRpcClient;
  /** How to start the uploader: node plus these arguments, then the mode and its arguments. */
  uploaderArgs: string[];
  cold: boolean;
  cache: CacheState | undefined;
}

/**
 * CPU time of the two sides during one timed run, in ms (all threads; undefined off Linux):
 * `sender` is curl or the SDK's uploader process, `receiver` the sink or `openvod serve`.
 */
interface RunCpu {
  senderMs: number | undefined;
  receiverMs: number | undefined;
  /**
   * OpenVOD's runs: the server's CPU after the upload returned, until the video was Normal — the
   * analysis, with the FileMD5 pass of a multipart upload (not its ffprobe/ffmpeg processes).
   */
  afterMs?: number | undefined;
}
interface Run {
  target: 'curl' | 'openvod';
  elapsedMs: number;
  /** curl's runs: the sink's fsync, inside `elapsedMs` (curl exits once the 200 is in). */
  fsyncMs?: number;
  problem: string | undefined;
  cpu: RunCpu;
}

async function settle(env: Env): Promise<void> {
  env.cache = await settlePageCache();
  if (!env.cold) await readThrough([env.file], abort.signal);
}

function runCurl(env: Env, bytes: number): Promise<Run> {
  const url = `${env.sinkUrl}/x.mp4`;
  const sinkPid = env.sink.process.pid;
  return new Promise((resolveRun) => {
    // curl is the only child this process reaps during the run (the sink and the server live on).
    const curlCpu0 = reapedChildrenCpuMs('self');
    const sinkCpu0 = processCpuMs(sinkPid);
    const t0 = performance.now();
    // stdout: the sink's answer ({"fsyncMs": …}), then a line with curl's status and bytes sent.
    const curl = spawn('curl', ['-s', '-S', '-f', '-T', env.file, '-w', '\\n%{http_code} %{size_upload}', url], { stdio: ['ignore', 'pipe', 'pipe'], signal: abort.signal });
    let text = '';
    curl.stdout.on('data', (c: Buffer) => void (text += c.toString()));
    curl.stderr.on('data', (c: Buffer) => void (text += c.toString()));
    const noCpu: RunCpu = { senderMs: undefined, receiverMs: undefined };
    curl.on('error', (err) => resolveRun({ target: 'curl', elapsedMs: Number.NaN, problem: `curl: ${err.message}`, cpu: noCpu }));
    curl.on('close', (code) => {
      const elapsedMs = performance.now() - t0;
      const cpu: RunCpu = { senderMs: cpuSpentMs(reapedChildrenCpuMs('self'), curlCpu0), receiverMs: cpuSpentMs(processCpuMs(sinkPid), sinkCpu0) };
      const lines = text.trim().split('\n');
      const [status, sent] = (lines.at(-1) ?? '').trim().split(/\s+/);
      const fsyncMs = sinkFsyncMs(lines.at(-2));
      const ok = code === 0 && status === '200' && Number(sent) === bytes && fsyncMs !== undefined;
      resolveRun({ target: 'curl', elapsedMs, fsyncMs, problem: ok ? undefined : `curl exit ${code}: ${text.trim()}`, cpu });
    });
  });
}

/** The sink's answer, `{"fsyncMs": n}`; undefined for anything else. */
function sinkFsyncMs(answer: string | undefined): number | undefined {
  try {
    const ms = (JSON.parse(answer ?? '') as { fsyncMs?: unknown }).fsyncMs;
    return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
  } catch {
    return undefined;
  }
}

interface UploaderOutcome {
  elapsedMs: number;
  wallMs: number;
  /** The uploader's CPU during the timed call (it measures itself), and the server's from the child's spawn to its exit. */
  cpu: RunCpu;
  videoId: string | undefined;
  hwmBytes: number | undefined;
  problem: string | undefined;
  pid: number;
}

/** One SDK upload in a child; `onSpawn` gets the child's pid as soon as it exists (for sampling). */
async function runUploaderChild(env: Env, args: string[], expectBytes: number, onSpawn?: (pid: number) => void): Promise<UploaderOutcome> {
  let result: { elapsedMs: number; cpuMs?: number; size: number; videoId: string; hwmBytes?: number } | undefined;
  const serverPid = env.server.process.pid;
  const serverCpu0 = processCpuMs(serverPid);
  const t0 = performance.now();
  const childEnv = { ...process.env, OPENVOD_BENCH_KEY_ID: KEY.accessKeyId, OPENVOD_BENCH_KEY_SECRET: KEY.accessKeySecret };
  const child = spawnNode('uploader', [...env.uploaderArgs, ...args], childEnv, {
    onStdoutLine: (line) => {
      if (line.startsWith('{')) result = JSON.parse(line) as typeof result;
    },
  });
  cleanup.defer('stop uploader', () => child.stop(2000));
  const pid = child.process.pid as number;
  onSpawn?.(pid);
  const code = await new Promise<number | null>((r) => {
    if (child.process.exitCode !== null) r(child.process.exitCode);
    else child.process.once('exit', (c) => r(c));
  });
  const wallMs = performance.now() - t0;
  const cpu: RunCpu = { senderMs: result?.cpuMs, receiverMs: cpuSpentMs(processCpuMs(serverPid), serverCpu0) };
  let problem: string | undefined;
  if (code !== 0 || result === undefined) problem = `uploader exit ${code}: ${child.output().trim().slice(-2000)}`;
  else if (result.size !== expectBytes) problem = `uploader sent ${result.size} bytes, wanted ${expectBytes}`;
  return { elapsedMs: result?.elapsedMs ?? Number.NaN, wallMs, cpu, videoId: result?.videoId, hwmBytes: result?.hwmBytes, problem, pid };
}

/** Untimed: waits for the server to finish with the upload (status past Uploading/UploadSucc). */
async function waitSettled(env: Env, videoId: string, deadlineMs: number): Promise<string | undefined> {
  let status = '?';
  while (Date.now() < deadlineMs && !abort.signal.aborted) {
    status = (await env.vod.call<{ Video: { Status: string } }>('GetVideoInfo', { VideoId: videoId })).Video.Status;
    if (status === 'Normal') return undefined;
    if (status === 'UploadFail' || status === 'Blocked') return `video ${videoId} ended ${status}`;
    await new Promise((r) => setTimeout(r, 200));
  }
  return `video ${videoId} still ${status} at the deadline`;
}

async function runOpenvod(env: Env, bytes: number): Promise<Run & { wallMs: number }> {
  const u = await runUploaderChild(env, ['file', env.endpoint, env.file], bytes);
  let problem = u.problem;
  const serverPid = env.server.process.pid;
  const after0 = processCpuMs(serverPid);
  if (problem === undefined && u.videoId !== undefined) problem = await waitSettled(env, u.videoId, Date.now() + 120_000 + (bytes * 1000) / (20 * MIB));
  const cpu = { ...u.cpu, afterMs: cpuSpentMs(processCpuMs(serverPid), after0) };
  return { target: 'openvod', elapsedMs: u.elapsedMs, wallMs: u.wallMs, problem, cpu };
}

const mibs = (bytes: number, ms: number): number => bytes / MIB / (ms / 1000);
const fmt = (n: number | undefined, d = 1): string => (n !== undefined && Number.isFinite(n) ? n.toFixed(d) : '-');
const secs = (ms: number | undefined): string => `${fmt(ms === undefined ? undefined : ms / 1000, 2)} s`;

function cpuLine(target: Run['target'], cpu: RunCpu): string {
  const [sender, receiver] = target === 'curl' ? ['curl', 'sink'] : ['uploader', 'server'];
  const after = cpu.afterMs === undefined ? '' : `; then ${secs(cpu.afterMs)} until Normal`;
  return `cpu ${sender} ${secs(cpu.senderMs)}, ${receiver} ${secs(cpu.receiverMs)}${after}`;
}

/** Both sides' CPU over all of a target's runs, per GiB sent; undefined where a reading is missing. */
interface CpuPerGib { senderMs: number | undefined; receiverMs: number | undefined; totalMs: number | undefined; afterMs: number | undefined }

function cpuPerGib(runs: readonly Run[], bytesPerRun: number): CpuPerGib {
  const perGib = (pick: (c: RunCpu) => number | undefined): number | undefined => {
    let total = 0;
    for (const r of runs) {
      const v = pick(r.cpu);
      if (v === undefined) return undefined;
      total += v;
    }
    return runs.length === 0 ? undefined : (total * GIB) / (bytesPerRun * runs.length);
  };
  const senderMs = perGib((c) => c.senderMs);
  const receiverMs = perGib((c) => c.receiverMs);
  const afterMs = perGib((c) => c.afterMs);
  return { senderMs, receiverMs, totalMs: senderMs === undefined || receiverMs === undefined ? undefined : senderMs + receiverMs, afterMs };
}

/**
 * The rate the CPU alone allows: sender and receiver share this machine's cores, so at `totalMs`
 * of CPU per GiB no run can go faster than cores GiB per `totalMs`, however well it overlaps.
 */
const cpuCeilingMibPerS = (totalMs: number | undefined, cores: number): number | undefined =>
  totalMs === undefined || totalMs <= 0 ? undefined : (cores * 1024 * 1000) / totalMs;

interface ThroughputResult {
  bytes: number;
  /** curl's runs, the sink's fsyncs included. */
  curlMs: number;
  /** The sink's fsyncs in `curlMs`. */
  curlFsyncMs: number;
  openvodMs: number;
  /** OpenVOD ÷ curl, both answering once the bytes are on disk: the goal's ratio. */
  ratio: number;
  /** OpenVOD ÷ curl without the sink's fsync (OpenVOD's own fsyncs still in). */
  ratioNoFsync: number;
  verdict: Verdict;
  problems: string[];
  cpu: { curl: CpuPerGib; openvod: CpuPerGib };
}

async function throughput(env: Env, o: Options): Promise<ThroughputResult> {
  out(`throughput: ${(o.fileBytes / MIB).toFixed(0)} MiB file, ${o.rounds} round(s), order ABBA (curl, openvod, openvod, curl …)`);
  const runs: Run[] = [];
  for (let round = 0; round < o.rounds; round++) {
    const order: Array<'curl' | 'openvod'> = round % 2 === 0 ? ['curl', 'openvod'] : ['openvod', 'curl'];
    for (const target of order) {
      abort.signal.throwIfAborted();
      await settle(env);
      if (target === 'curl') {
        const r = await runCurl(env, o.fileBytes);
        await rm(join(env.sinkDir, 'x.mp4'), { force: true });
        runs.push(r);
        out(`  round ${round + 1} curl     ${fmt(r.elapsedMs / 1000, 2)} s  ${fmt(mibs(o.fileBytes, r.elapsedMs))} MiB/s  (sink's fsync ${secs(r.fsyncMs)})  ${cpuLine('curl', r.cpu)}${r.problem ? `  ! ${r.problem}` : ''}`);
      } else {
        const r = await runOpenvod(env, o.fileBytes);
        runs.push(r);
        out(`  round ${round + 1} openvod  ${fmt(r.elapsedMs / 1000, 2)} s  ${fmt(mibs(o.fileBytes, r.elapsedMs))} MiB/s  ${cpuLine('openvod', r.cpu)}  (child wall incl. node start ${fmt(r.wallMs / 1000, 2)} s)${r.problem ? `  ! ${r.problem}` : ''}`);
      }
    }
  }
  const sum = (t: Run['target']): number => runs.filter((r) => r.target === t).reduce((n, r) => n + r.elapsedMs, 0);
  const curlMs = sum('curl');
  const curlFsyncMs = runs.reduce((n, r) => n + (r.fsyncMs ?? 0), 0);
  const openvodMs = sum('openvod');
  const ratio = curlMs / openvodMs;
  const ratioNoFsync = (curlMs - curlFsyncMs) / openvodMs;
  const problems = runs.flatMap((r) => (r.problem ? [`${r.target}: ${r.problem}`] : []));
  const verdict: Verdict = problems.length > 0 || !Number.isFinite(ratio) ? 'INVALID' : ratio >= THROUGHPUT_GOAL ? 'PASS' : 'BELOW GOAL';
  const cpu = { curl: cpuPerGib(runs.filter((r) => r.target === 'curl'), o.fileBytes), openvod: cpuPerGib(runs.filter((r) => r.target === 'openvod'), o.fileBytes) };
  return { bytes: o.fileBytes * o.rounds, curlMs, curlFsyncMs, openvodMs, ratio, ratioNoFsync, verdict, problems, cpu };
}

interface RssResult { bytes: number; elapsedMs: number; server: RssPeaks; serverHwmReset: boolean; serverIdleBytes: number | undefined; uploader: RssPeaks | undefined; uploaderPeakBytes: number; verdict: Verdict; problems: string[] }

/** The process's peak: VmHWM when it measured this phase alone, else the highest sample. */
const peakOf = (p: RssPeaks | undefined, hwmIsPhase: boolean): number =>
  p === undefined ? Number.NaN : hwmIsPhase ? Math.max(p.highWaterMarkBytes ?? 0, p.peakRssBytes ?? 0) : p.peakRssBytes ?? Number.NaN;

async function rssRun(env: Env, o: Options): Promise<RssResult> {
  out(`rss: uploadStream of a ${(o.streamBytes / MIB).toFixed(0)} MiB generated MP4 stream (size declared), server and uploader sampled every 100 ms`);
  await settlePageCache();
  const serverPid = env.server.process.pid as number;
  const serverIdleBytes = currentRss(serverPid);
  const serverHwmReset = resetHighWaterMark(serverPid);
  const serverSampler = sampleRss(serverPid, 100);
  let uploaderSampler: ReturnType<typeof sampleRss> | undefined;
  const u = await runUploaderChild(env, ['stream', env.endpoint, env.seedPath, String(o.streamBytes)], o.streamBytes, (pid) => {
    uploaderSampler = sampleRss(pid, 100);
  });
  const uploaderPeaks = uploaderSampler?.stop();
  const server = serverSampler.stop();
  const problems = u.problem ? [u.problem] : [];
  if (u.problem === undefined && u.videoId !== undefined) {
    const p = await waitSettled(env, u.videoId, Date.now() + 120_000 + (o.streamBytes * 1000) / (20 * MIB));
    if (p) problems.push(p);
  }
  const serverPeak = peakOf(server, serverHwmReset);
  // The uploader is a fresh process that reports its own VmHWM (whole life) just before exiting.
  const uploaderPeak = Math.max(u.hwmBytes ?? 0, uploaderPeaks?.peakRssBytes ?? 0) || Number.NaN;
  const verdict: Verdict = problems.length > 0 || !Number.isFinite(serverPeak) || !Number.isFinite(uploaderPeak) ? 'INVALID'
    : serverPeak < RSS_GOAL_BYTES && uploaderPeak < RSS_GOAL_BYTES ? 'PASS' : 'BELOW GOAL';
  return { bytes: o.streamBytes, elapsedMs: u.elapsedMs, server, serverHwmReset, serverIdleBytes, uploader: uploaderPeaks, uploaderPeakBytes: uploaderPeak, verdict, problems };
}

async function main(o: Options): Promise<number> {
  const fs = statfsSync(o.dir);
  const need = 2 * o.fileBytes * o.rounds + o.streamBytes + GIB;
  if (fs.bavail * fs.bsize < need) throw new Error(`${o.dir} has ${((fs.bavail * fs.bsize) / MIB).toFixed(0)} MiB free; this run needs about ${(need / MIB).toFixed(0)} MiB (use --dir or smaller sizes)`);
  const work = mkdtempSync(join(o.dir, 'openvod-bench-upload-'));
  cleanup.defer('remove temp dir', () => rmSync(work, { recursive: true, force: true }));
  const ffmpeg = locateTool('ffmpeg', { configured: process.env.OPENVOD_FFMPEG_PATH || undefined, pathEnv: process.env.PATH });
  const ffprobe = locateTool('ffprobe', { configured: process.env.OPENVOD_FFPROBE_PATH || undefined, pathEnv: process.env.PATH });
  const seedPath = join(work, 'seed.mp4');
  const seed = await makeSeedMp4(ffmpeg.path, seedPath);
  const file = join(work, 'upload.mp4');
  if (o.fileBytes > 0) {
    await writePaddedMp4({ seed, path: file, targetBytes: o.fileBytes, salt: `upload-${process.pid}`, filler: newFiller(), signal: abort.signal });
    await probeMedia(file, { ffprobePath: ffprobe.path, signal: abort.signal });
  }

  const sinkDir = join(work, 'sink');
  mkdirSync(sinkDir);
  const sinkPort = await freePort();
  const sink = spawnNode('sink', ['--import', 'tsx', SELF, '--sink', sinkDir, String(sinkPort)], process.env);
  cleanup.defer('stop sink', () => sink.stop());
  const sinkUrl = `http://127.0.0.1:${sinkPort}`;

  const dataDir = join(work, 'data');
  mkdirSync(dataDir);
  const port = await freePort();
  const server = spawnNode('openvod', [...openvodServeArgs(ROOT), '--data-dir', dataDir, '--port', String(port)], {
    ...process.env,
    OPENVOD_ACCESS_KEY_ID: KEY.accessKeyId,
    OPENVOD_ACCESS_KEY_SECRET: KEY.accessKeySecret,
    OPENVOD_LOG_LEVEL: 'warn',
  });
  cleanup.defer('stop openvod', () => server.stop());
  const endpoint = `http://127.0.0.1:${port}`;
  await Promise.all([sink.waitReady(`${sinkUrl}/healthz`, 30_000), server.waitReady(`${endpoint}/healthz`, 60_000)]);
  const vod = new VodRpcClient({ endpoint, accessKeyId: KEY.accessKeyId, accessKeySecret: KEY.accessKeySecret, method: 'POST' });
  const uploaderArgs = o.sdk === 'dist' ? [await bundleUploadChild(ROOT)] : ['--import', 'tsx', CHILD_SOURCE];
  const env: Env = { work, file, seedPath, sinkDir, sinkUrl, sink, server, endpoint, vod, uploaderArgs, cold: o.cold, cache: undefined };

  out(`bench/upload: SDK upload to openvod serve vs curl -T to a bare node:http PUT sink, same file, same filesystem (${work}); node ${process.version}${o.quick ? '; --quick' : ''}`);
  out(`baseline: curl -s -T <file> ${sinkUrl}/x.mp4   (sink streams the body to a file, fsyncs it, then 200)`);
  out(`before each timed run: sync + drop_caches + free memory touched (bench/lib/page-cache.ts), the file ${o.cold ? 'left cold' : 'read back into the page cache'}`);
  out(`uploader: ${o.sdk === 'dist' ? 'the SDK bundled as dist/sdk.mjs is (esbuild), on plain node' : 'the SDK sources under tsx'} (${env.uploaderArgs.join(' ')})`);
  const t = o.fileBytes > 0 ? await throughput(env, o) : undefined;
  const r = o.streamBytes > 0 && !abort.signal.aborted ? await rssRun(env, o) : undefined;

  out();
  out(`page cache before each run: ${env.cache ?? '-'}`);
  if (t) {
    out(`throughput  curl ${fmt(mibs(t.bytes, t.curlMs))} MiB/s   openvod ${fmt(mibs(t.bytes, t.openvodMs))} MiB/s   ratio ${fmt(t.ratio, 3)} (goal ≥ ${THROUGHPUT_GOAL})   ${t.verdict}`);
    out(`            without the sink's fsync (${secs(t.curlFsyncMs)} in all): curl ${fmt(mibs(t.bytes, t.curlMs - t.curlFsyncMs))} MiB/s, ratio ${fmt(t.ratioNoFsync, 3)}`);
    out('(ratio = OpenVOD MiB/s ÷ curl MiB/s over all rounds, both answering once the bytes are on disk; OpenVOD timed inside the uploader child from the uploadFile call to its return — CreateUploadVideo, every part, CompleteMultipartUpload — not node start-up, not the analysis after)');
    const { curl, openvod } = t.cpu;
    const cores = availableParallelism();
    const ceiling = cpuCeilingMibPerS(openvod.totalMs, cores);
    const curlMibPerS = mibs(t.bytes, t.curlMs);
    out(`cpu per GiB  curl ${secs(curl.senderMs)} + sink ${secs(curl.receiverMs)} = ${secs(curl.totalMs)}   SDK uploader ${secs(openvod.senderMs)} + openvod serve ${secs(openvod.receiverMs)} = ${secs(openvod.totalMs)}`);
    out(`cpu ceiling  on ${cores} cores, ${secs(openvod.totalMs)} of CPU per GiB allow OpenVOD at most ${fmt(ceiling)} MiB/s: a ratio of ${fmt(ceiling === undefined ? undefined : ceiling / curlMibPerS, 2)} to this run's curl (goal ${THROUGHPUT_GOAL})`);
    if (openvod.afterMs !== undefined && openvod.totalMs !== undefined) {
      // Uploads back to back pay for each other's analysis too: the ceiling they share.
      const sustained = cpuCeilingMibPerS(openvod.totalMs + openvod.afterMs, cores);
      out(`             then ${secs(openvod.afterMs)} per GiB in the server until Normal (analysis and FileMD5; not ffprobe/ffmpeg): uploads back to back, with their analyses, at most ${fmt(sustained)} MiB/s (${fmt(sustained === undefined ? undefined : sustained / curlMibPerS, 2)} of curl)`);
    }
    for (const p of t.problems) out(`  ! ${p}`);
  }
  if (r) {
    const sp = peakOf(r.server, r.serverHwmReset);
    const up = r.uploaderPeakBytes;
    out(`rss (${(r.bytes / MIB).toFixed(0)} MiB stream in ${fmt(r.elapsedMs / 1000, 1)} s, ${fmt(mibs(r.bytes, r.elapsedMs))} MiB/s)  server peak ${fmt(sp / MIB)} MiB (idle ${fmt((r.serverIdleBytes ?? Number.NaN) / MIB)} MiB, ${r.serverHwmReset ? 'VmHWM reset before the upload' : 'sampled only: VmHWM reset refused'}, ${r.server.samples} samples; its children ${fmt(r.server.peakChildrenRssBytes / MIB)} MiB)   uploader peak ${fmt(up / MIB)} MiB (its own VmHWM at exit, whole life incl. start-up; ${r.uploader?.samples ?? 0} samples, sampled peak ${fmt((r.uploader?.peakRssBytes ?? Number.NaN) / MIB)} MiB)   goal each < ${RSS_GOAL_BYTES / MIB} MiB   ${r.verdict}`);
    for (const p of r.problems) out(`  ! ${p}`);
  }
  const invalid = t?.verdict === 'INVALID' || r?.verdict === 'INVALID';
  if (invalid) out('INVALID RUN: some upload failed (see "!" lines); the numbers above do not count.');
  const round = (n: number | undefined, d = 3): number | null => (n !== undefined && Number.isFinite(n) ? Number(n.toFixed(d)) : null);
  out(JSON.stringify({
    bench: 'upload', quick: o.quick, cold: o.cold, sdk: o.sdk, pageCache: env.cache,
    throughput: t ? {
      fileMib: round(o.fileBytes / MIB, 0), rounds: o.rounds, curlMibPerS: round(mibs(t.bytes, t.curlMs), 1), openvodMibPerS: round(mibs(t.bytes, t.openvodMs), 1), ratio: round(t.ratio),
      curlFsyncMs: round(t.curlFsyncMs, 0), ratioNoFsync: round(t.ratioNoFsync), goal: THROUGHPUT_GOAL, verdict: t.verdict, problems: t.problems.length,
      cpuMsPerGib: {
        curl: round(t.cpu.curl.senderMs, 0), sink: round(t.cpu.curl.receiverMs, 0), uploader: round(t.cpu.openvod.senderMs, 0), server: round(t.cpu.openvod.receiverMs, 0),
        serverUntilNormal: round(t.cpu.openvod.afterMs, 0),
      },
      cpuCeilingMibPerS: round(cpuCeilingMibPerS(t.cpu.openvod.totalMs, availableParallelism()), 1),
    } : null,
    rss: r ? {
      streamMib: round(r.bytes / MIB, 0), streamMibPerS: round(mibs(r.bytes, r.elapsedMs), 1), serverPeakMib: round(peakOf(r.server, r.serverHwmReset) / MIB, 1),
      serverIdleMib: round((r.serverIdleBytes ?? Number.NaN) / MIB, 1), serverHwmReset: r.serverHwmReset, uploaderPeakMib: round(r.uploaderPeakBytes / MIB, 1),
      goalMib: RSS_GOAL_BYTES / MIB, verdict: r.verdict, problems: r.problems.length,
    } : null,
  }));
  return invalid ? 1 : 0;
}


const argv = process.argv.slice(2);
if (argv[0] === '--sink') {
  runSink(argv[1] as string, Number(argv[2]));
} else {
  await runBench({
    name: 'bench/upload',
    argv,
    parse: parseOptions,
    isUsageError: (err) => err instanceof UsageError,
    // Generous: 3 minutes of fixed costs, then every byte (written, read back, sent, analysed) at 5 MiB/s.
    budgetMs: (o) => 180_000 + ((5 * o.fileBytes * o.rounds + 2 * o.streamBytes) * 1000) / (5 * MIB),
    cleanup,
    abort,
    main,
  });
}

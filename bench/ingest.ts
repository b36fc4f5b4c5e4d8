// bench/ingest: OpenVOD pulling media over HTTP (UploadMediaByURL until every job is SUCCESS)
// beside curl fetching the same files from the same loopback origin, with the same parallelism,
// onto the same filesystem, in the same run; prints the throughput ratios, and the server's peak
// RSS while it ingests one very large file.
//
//   node --import tsx bench/ingest.ts [--quick] [--large-count 20 --large-mb 100] [--small-count 500 --small-mb 1]
//        [--big-gb 2] [--large-parallel 8] [--small-parallel 16] [--cold] [--dir <dir>] [--cpu-prof <dir>]
//
// Goals: large files ≥ 0.8 of curl's throughput; server peak RSS < 200 MiB during the big file.
// Per scenario: generate the files (a real 2-second MP4 padded with a `free` box), then curl,
// then OpenVOD (a fresh `openvod serve` with worker.concurrency = ingest.perHostConcurrency =
// ingest.globalConcurrency = the parallelism), each run after `sync` + drop_caches (+ the origin
// files read back into the cache unless --cold). A failed job or download makes the run INVALID.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { probeMedia } from '../src/media/ffprobe.js';
import { locateTool } from '../src/media/ffmpeg-binaries.js';
import { VodRpcClient } from '../src/sdk/rpc-client.js';
import { openStore } from '../src/store/db.js';
import { type Child, freePort, spawnNode } from './lib/child.js';
import { createCleanup } from './lib/cleanup.js';
import { runBench } from './lib/bench-main.js';
import { parseProfile, summariseProfile, type TimeWindowUs } from './lib/cpu-profile.js';
import { runCurlPool } from './lib/curl-pool.js';
import { JobLogCollector, type JobTimes, summarisePhases } from './lib/ingest-phases.js';
import { detailLines, MIB, type RssResult, rssLine, rssPeakBytes, type ScenarioResult, throughputTable, verdictFor } from './lib/ingest-report.js';
import { makeSeedMp4, newFiller, writePaddedMp4 } from './lib/padded-media.js';
import { readThrough, settlePageCache, timeSync, type CacheState } from './lib/page-cache.js';
import { processCpuMs, reapedChildrenCpuMs } from './lib/proc-cpu.js';
import { mainThreadProfile } from './lib/profile-file.js';
import { profileLines } from './lib/report.js';
import { currentRss, resetHighWaterMark, sampleRss } from './lib/rss-sampler.js';
import { jobProblems, submitAll, waitAll } from './lib/vod-ingest.js';

const LARGE_GOAL = 0.8;
const RSS_GOAL_BYTES = 200 * MIB;
const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const OPENVOD_BIN = join(ROOT, 'bin/openvod.js');
const ORIGIN_SERVER = join(ROOT, 'bench/lib/origin-server.ts');
const KEY = { accessKeyId: 'LTAIbenchRootKey0001', accessKeySecret: 'benchRootSecret000000000001' };
const POLL_MS = 100;
const POLL_WINDOW = 30;
const USAGE = 'usage: node --import tsx bench/ingest.ts [--quick] [--large-count 20] [--large-mb 100] [--small-count 500] [--small-mb 1] ' +
  '[--big-gb 2] [--large-parallel 8] [--small-parallel 16] [--cold] [--dir <dir>] [--cpu-prof <dir>]';

interface Options {
  large: { count: number; mib: number; parallel: number };
  small: { count: number; mib: number; parallel: number };
  bigGib: number;
  cold: boolean;
  dir: string;
  quick: boolean;
  cpuProfDir: string | undefined;
}

class UsageError extends Error {}

function parseOptions(argv: string[]): Options {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        quick: { type: 'boolean', default: false }, cold: { type: 'boolean', default: false }, dir: { type: 'string' },
        'large-count': { type: 'string' }, 'large-mb': { type: 'string' }, 'small-count': { type: 'string' }, 'small-mb': { type: 'string' },
        'big-gb': { type: 'string' }, 'large-parallel': { type: 'string' }, 'small-parallel': { type: 'string' }, 'cpu-prof': { type: 'string' },
      },
    }).values;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${USAGE}`);
  }
  const quick = values.quick === true;
  const problems: string[] = [];
  // --quick only changes the defaults: a flag given explicitly wins.
  const num = (name: string, full: number, fast: number, min: number, max: number, integer = true): number => {
    const raw = values[name];
    const n = raw === undefined ? (quick ? fast : full) : Number(raw);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) problems.push(`--${name}: "${String(raw)}" must be ${integer ? 'an integer' : 'a number'} in ${min}..${max}`);
    return n;
  };
  const options: Options = {
    large: { count: num('large-count', 20, 4, 0, 10_000), mib: num('large-mb', 100, 50, 1, 100_000, false), parallel: num('large-parallel', 8, 8, 1, 64) },
    small: { count: num('small-count', 500, 100, 0, 100_000), mib: num('small-mb', 1, 1, 0.25, 100_000, false), parallel: num('small-parallel', 16, 16, 1, 64) },
    bigGib: num('big-gb', 2, 0.5, 0, 64, false),
    cold: values.cold === true,
    dir: resolve(typeof values.dir === 'string' ? values.dir : tmpdir()),
    quick,
    cpuProfDir: typeof values['cpu-prof'] === 'string' ? resolve(values['cpu-prof']) : undefined,
  };
  if (problems.length > 0) throw new UsageError(`invalid options:\n  - ${problems.join('\n  - ')}\n${USAGE}`);
  return options;
}

const out = (line = ''): void => void process.stdout.write(`${line}\n`);
const cleanup = createCleanup((message) => void process.stderr.write(`${message}\n`));
const abort = new AbortController();

interface Scenario {
  name: 'large' | 'small' | 'big';
  count: number;
  bytes: number;
  parallel: number;
  goal: number | undefined;
  /** Sample the server's RSS during this one. */
  rss: boolean;
}

interface Env {
  work: string;
  originDir: string;
  curlDir: string;
  originUrl: string;
  seed: Buffer;
  ffprobePath: string;
  cache: CacheState | undefined;
  cold: boolean;
  cpuProfDir: string | undefined;
  /** The origin server's pid, for its CPU use during each run. */
  originPid: number | undefined;
}

function scenariosOf(o: Options): Scenario[] {
  const list: Scenario[] = [];
  if (o.large.count > 0) list.push({ name: 'large', count: o.large.count, bytes: Math.round(o.large.mib * MIB), parallel: o.large.parallel, goal: LARGE_GOAL, rss: false });
  if (o.small.count > 0) list.push({ name: 'small', count: o.small.count, bytes: Math.round(o.small.mib * MIB), parallel: o.small.parallel, goal: undefined, rss: false });
  if (o.bigGib > 0) list.push({ name: 'big', count: 1, bytes: Math.round(o.bigGib * 1024 * MIB), parallel: 1, goal: undefined, rss: true });
  return list;
}

/** Disk needed at the worst moment: one scenario's origin files plus one copy of them. */
function checkDiskSpace(dir: string, scenarios: readonly Scenario[]): void {
  const need = Math.max(0, ...scenarios.map((s) => 2 * s.count * s.bytes)) + 1024 * MIB;
  const fs = statfsSync(dir);
  const free = fs.bavail * fs.bsize;
  if (free < need) throw new Error(`${dir} has ${(free / MIB).toFixed(0)} MiB free; this run needs about ${(need / MIB).toFixed(0)} MiB (use --dir or smaller sizes)`);
}

interface OriginFile { name: string; path: string; url: string; bytes: number }

async function generate(env: Env, s: Scenario): Promise<OriginFile[]> {
  const filler = newFiller();
  const files: OriginFile[] = [];
  for (let i = 0; i < s.count; i++) {
    const name = `${s.name}-${String(i + 1).padStart(5, '0')}.mp4`;
    const path = join(env.originDir, name);
    await writePaddedMp4({ seed: env.seed, path, targetBytes: s.bytes, salt: `${s.name}-${i}-${process.pid}`, filler, signal: abort.signal });
    files.push({ name, path, url: `${env.originUrl}/${name}`, bytes: s.bytes });
  }
  // The server will ffprobe every file: make sure this padding is media to it before timing anything.
  const first = files[0];
  if (first) await probeMedia(first.path, { ffprobePath: env.ffprobePath, signal: abort.signal });
  return files;
}

async function settle(env: Env, originFiles: readonly string[]): Promise<void> {
  env.cache = await settlePageCache();
  if (!env.cold) await readThrough(originFiles, abort.signal);
}

async function startOpenvod(env: Env, dataDir: string, parallel: number, logs: JobLogCollector): Promise<{ child: Child; origin: string }> {
  mkdirSync(dataDir, { recursive: true });
  const configFile = join(dataDir, '..', `openvod-${parallel}.json`);
  writeFileSync(configFile, JSON.stringify({ worker: { concurrency: parallel }, ingest: { perHostConcurrency: parallel, globalConcurrency: parallel } }));
  const port = await freePort();
  const profArgs = env.cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', env.cpuProfDir];
  const child = spawnNode('openvod', [...profArgs, OPENVOD_BIN, 'serve', '--data-dir', dataDir, '--port', String(port), '--config', configFile], {
    ...process.env,
    OPENVOD_ACCESS_KEY_ID: KEY.accessKeyId,
    OPENVOD_ACCESS_KEY_SECRET: KEY.accessKeySecret,
    OPENVOD_ALLOW_PRIVATE_NETWORKS: '1',
    // info, not warn: two lines per job ("source downloaded", "job succeeded") give the phases.
    OPENVOD_LOG_LEVEL: 'info',
  }, { onStdoutLine: (line) => logs.line(line) });
  cleanup.defer('stop openvod', () => child.stop());
  const origin = `http://127.0.0.1:${port}`;
  await child.waitReady(`${origin}/healthz`, 60_000);
  return { child, origin };
}

async function jobTimes(dataDir: string, jobIds: readonly string[], logs: JobLogCollector): Promise<JobTimes[]> {
  const store = openStore({ databaseUrl: process.env.OPENVOD_DATABASE_URL || undefined, dataDir });
  try {
    const rows = await store.db.selectFrom('url_upload_jobs').select(['job_id', 'created_at_ms', 'completed_at_ms']).where('job_id', 'in', [...jobIds]).execute();
    const byId = new Map(rows.map((r) => [r.job_id, r]));
    return jobIds.map((id) => {
      const row = byId.get(id);
      return {
        createdAtMs: Number(row?.created_at_ms ?? Number.NaN),
        completedAtMs: Number(row?.completed_at_ms ?? Number.NaN),
        startedAtMs: logs.startedAtMs.get(id),
        downloadedAtMs: logs.downloadedAtMs.get(id),
      };
    });
  } finally {
    await store.close();
  }
}

const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** The server's CPU profile over the OpenVOD run (written when the server exits). */
function printProfile(dir: string, pid: number, window: TimeWindowUs): void {
  const file = mainThreadProfile(dir, pid);
  if (file === undefined) {
    out(`  no main-thread .cpuprofile for pid ${pid} in ${dir}`);
    return;
  }
  out(`  profile: ${file}`);
  for (const line of profileLines(summariseProfile(parseProfile(readFileSync(file, 'utf8')), [window], ROOT), 12)) out(`    ${line}`);
}

interface CurlOutcome { elapsedMs: number; syncMs: number; cpuMs: number | undefined; originCpuMs: number | undefined; problems: string[] }

const minus = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined ? undefined : a - b);

/** curl fetches every file into a scratch dir on the same filesystem; the copies are removed after. */
async function runCurl(env: Env, s: Scenario, files: readonly OriginFile[]): Promise<CurlOutcome> {
  await settle(env, files.map((f) => f.path));
  mkdirSync(env.curlDir, { recursive: true });
  const origin0 = processCpuMs(env.originPid);
  const curl = await runCurlPool(files.map((f) => ({ url: f.url, outPath: join(env.curlDir, f.name), expectedBytes: f.bytes })), s.parallel, abort.signal);
  const originCpuMs = minus(processCpuMs(env.originPid), origin0);
  const syncMs = await timeSync(env.curlDir);
  out(`  curl     ${(curl.elapsedMs / 1000).toFixed(2)} s  ${(s.count * s.bytes / MIB / (curl.elapsedMs / 1000)).toFixed(1)} MiB/s  (sync afterwards ${(syncMs / 1000).toFixed(2)} s)`);
  await rm(env.curlDir, { recursive: true, force: true });
  return { elapsedMs: curl.elapsedMs, syncMs, cpuMs: curl.curlCpuMs, originCpuMs, problems: curl.failures.map((f) => `curl ${f.url}: ${f.reason}`) };
}

interface OpenvodOutcome { figures: ScenarioResult['openvod']; problems: string[]; rss: RssResult | undefined }

/** A fresh server ingests every file; its data dir is removed after. */
async function runOpenvod(env: Env, s: Scenario, files: readonly OriginFile[]): Promise<OpenvodOutcome> {
  await settle(env, files.map((f) => f.path));
  const dataDir = join(env.work, `data-${s.name}`);
  const logs = new JobLogCollector();
  const server = await startOpenvod(env, dataDir, s.parallel, logs);
  const pid = server.child.process.pid as number;
  const client = new VodRpcClient({ endpoint: server.origin, accessKeyId: KEY.accessKeyId, accessKeySecret: KEY.accessKeySecret, method: 'POST' });
  const idleRssBytes = currentRss(pid) ?? Number.NaN;
  const hwmReset = s.rss ? resetHighWaterMark(pid) : false;
  const sampler = s.rss ? sampleRss(pid, 100) : undefined;
  const cpu0 = processCpuMs(pid);
  const tools0 = reapedChildrenCpuMs(pid);
  const origin0 = processCpuMs(env.originPid);
  const t0 = Date.now();
  const t0Us = monotonicUs();
  const jobs = await submitAll(client, files, abort.signal);
  const submitMs = Date.now() - t0;
  const deadlineMs = t0 + 60_000 + (s.count * s.bytes * 1000) / (5 * MIB) + s.count * 2000;
  const ends = await waitAll(client, jobs, { pollMs: POLL_MS, window: POLL_WINDOW, deadlineMs, signal: abort.signal });
  const observedMs = Date.now() - t0;
  const window: TimeWindowUs = { startUs: t0Us, endUs: monotonicUs() };
  const peaks = sampler?.stop();
  const cpu1 = processCpuMs(pid);
  const tools1 = reapedChildrenCpuMs(pid);
  const originCpuMs = minus(processCpuMs(env.originPid), origin0);
  const problems = jobProblems(jobs, ends);
  const times = await jobTimes(dataDir, jobs.map((j) => j.jobId), logs);
  await server.child.stop();
  if (env.cpuProfDir !== undefined) printProfile(env.cpuProfDir, pid, window);
  await rm(dataDir, { recursive: true, force: true });

  const lastEnd = Math.max(...times.map((t) => t.completedAtMs));
  const elapsedMs = Number.isFinite(lastEnd) ? lastEnd - t0 : observedMs;
  out(`  openvod  ${(elapsedMs / 1000).toFixed(2)} s  ${(s.count * s.bytes / MIB / (elapsedMs / 1000)).toFixed(1)} MiB/s`);
  let rss: RssResult | undefined;
  if (peaks) {
    const peak = rssPeakBytes(peaks, hwmReset);
    const verdict = problems.length > 0 || !Number.isFinite(peak) ? 'INVALID' : peak < RSS_GOAL_BYTES ? 'PASS' : 'BELOW GOAL';
    rss = { fileBytes: s.bytes, peaks, hwmReset, idleRssBytes, goalBytes: RSS_GOAL_BYTES, verdict };
  }
  return {
    figures: {
      elapsedMs, observedMs, submitMs, serverCpuMs: minus(cpu1, cpu0), mediaToolsCpuMs: minus(tools1, tools0), originCpuMs,
      phases: summarisePhases(times, jobs.map((j) => j.expectedBytes)),
    },
    problems,
    rss,
  };
}

async function runScenario(env: Env, s: Scenario): Promise<{ result: ScenarioResult; rss: RssResult | undefined }> {
  out(`${s.name}: ${s.count} × ${(s.bytes / MIB).toFixed(1)} MiB, ${s.parallel} at a time — generating …`);
  const files = await generate(env, s);
  try {
    const curl = await runCurl(env, s, files);
    const openvod = await runOpenvod(env, s, files);
    const problems = [...curl.problems, ...openvod.problems];
    const ratio = curl.elapsedMs / openvod.figures.elapsedMs;
    return {
      result: {
        name: s.name, files: s.count, bytes: s.count * s.bytes, parallel: s.parallel,
        curl: { elapsedMs: curl.elapsedMs, syncMs: curl.syncMs, cpuMs: curl.cpuMs, originCpuMs: curl.originCpuMs }, openvod: openvod.figures,
        goal: s.goal, ratio, verdict: verdictFor(ratio, s.goal, problems.length), problems,
      },
      rss: openvod.rss,
    };
  } finally {
    await Promise.all(files.map((f) => rm(f.path, { force: true })));
  }
}

async function main(o: Options): Promise<number> {
  const scenarios = scenariosOf(o);
  if (scenarios.length === 0) throw new UsageError(`nothing to run: every count/size is 0\n${USAGE}`);
  checkDiskSpace(o.dir, scenarios);
  const work = mkdtempSync(join(o.dir, 'openvod-bench-ingest-'));
  cleanup.defer('remove temp dir', () => rmSync(work, { recursive: true, force: true }));
  const originDir = join(work, 'origin');
  mkdirSync(originDir);
  // The tools the server will run, found as it finds them (OPENVOD_FF*_PATH, else PATH, else npm).
  const ffmpeg = locateTool('ffmpeg', { configured: process.env.OPENVOD_FFMPEG_PATH || undefined, pathEnv: process.env.PATH });
  const ffprobe = locateTool('ffprobe', { configured: process.env.OPENVOD_FFPROBE_PATH || undefined, pathEnv: process.env.PATH });
  const ffmpegPath = ffmpeg.path;
  const ffprobePath = ffprobe.path;
  const seed = await makeSeedMp4(ffmpegPath, join(work, 'seed.mp4'));

  const port = await freePort();
  const origin = spawnNode('origin', ['--import', 'tsx', ORIGIN_SERVER, '--port', String(port), '--dir', originDir], process.env);
  cleanup.defer('stop origin', () => origin.stop());
  const originUrl = `http://127.0.0.1:${port}`;
  await origin.waitReady(`${originUrl}/healthz`, 30_000);

  if (o.cpuProfDir !== undefined) mkdirSync(o.cpuProfDir, { recursive: true });
  const env: Env = { work, originDir, curlDir: join(work, 'curl'), originUrl, seed, ffprobePath, cache: undefined, cold: o.cold, cpuProfDir: o.cpuProfDir, originPid: origin.process.pid };
  out(`bench/ingest: OpenVOD UploadMediaByURL vs curl, same files, same parallelism, same filesystem (${work}); node ${process.version}`);
  out(`server's media tools: ffprobe ${ffprobePath} (${ffprobe.source}), ffmpeg ${ffmpegPath} (${ffmpeg.source})`);
  out(`order per scenario: curl, then OpenVOD; before each: sync + drop_caches, origin files ${o.cold ? 'left cold' : 'read back into the page cache'}${o.quick ? '; --quick' : ''}`);
  const results: ScenarioResult[] = [];
  let rss: RssResult | undefined;
  for (const s of scenarios) {
    if (abort.signal.aborted) return 130;
    const r = await runScenario(env, s);
    results.push(r.result);
    rss ??= r.rss;
  }
  out();
  out(`page cache before each run: ${env.cache ?? '-'}`);
  for (const line of throughputTable(results)) out(line);
  out('(ratio = OpenVOD MiB/s ÷ curl MiB/s; "curl+sync" adds the time to flush curl\'s files to disk, which OpenVOD does before it reports SUCCESS)');
  out();
  for (const r of results) for (const line of detailLines(r)) out(line);
  if (rss) out(rssLine(rss));
  const invalid = results.some((r) => r.verdict === 'INVALID') || rss?.verdict === 'INVALID';
  if (invalid) out('INVALID RUN: some download or job failed (see "!" lines); the numbers above do not count.');
  const round = (n: number, d = 3): number | null => (Number.isFinite(n) ? Number(n.toFixed(d)) : null);
  out(JSON.stringify({
    bench: 'ingest', quick: o.quick, cold: o.cold, pageCache: env.cache,
    scenarios: results.map((r) => ({
      name: r.name, files: r.files, mib: round(r.bytes / MIB, 1), parallel: r.parallel,
      curlMibPerS: round(r.bytes / MIB / (r.curl.elapsedMs / 1000), 1), curlSyncMibPerS: round(r.bytes / MIB / ((r.curl.elapsedMs + r.curl.syncMs) / 1000), 1),
      openvodMibPerS: round(r.bytes / MIB / (r.openvod.elapsedMs / 1000), 1), ratio: round(r.ratio), goal: r.goal ?? null, verdict: r.verdict,
      afterDownloadShare: round(r.openvod.phases.afterShare), problems: r.problems.length,
    })),
    rss: rss ? {
      fileMib: round(rss.fileBytes / MIB, 0), peakMib: round(rssPeakBytes(rss.peaks, rss.hwmReset) / MIB, 1),
      sampledPeakMib: round((rss.peaks.peakRssBytes ?? Number.NaN) / MIB, 1), idleMib: round(rss.idleRssBytes / MIB, 1),
      goalMib: RSS_GOAL_BYTES / MIB, verdict: rss.verdict, childrenPeakMib: round(rss.peaks.peakChildrenRssBytes / MIB, 1),
    } : null,
  }));
  return invalid ? 1 : 0;
}

await runBench({
  name: 'bench/ingest',
  argv: process.argv.slice(2),
  parse: parseOptions,
  isUsageError: (err) => err instanceof UsageError,
  // Generous: 3 minutes of fixed costs, then every byte at 5 MiB/s (generated, fetched twice) and 2 s a file.
  budgetMs: (o) => {
    const allBytes = scenariosOf(o).reduce((n, sc) => n + sc.count * sc.bytes, 0);
    const allFiles = scenariosOf(o).reduce((n, sc) => n + sc.count, 0);
    return 180_000 + (3 * allBytes * 1000) / (5 * MIB) + allFiles * 2000;
  },
  cleanup,
  abort,
  main,
});

// bench/ingest: OpenVOD pulling media over HTTP (UploadMediaByURL until every job is SUCCESS)
// beside curl fetching the same files from the same loopback origin, with the same parallelism,
// onto the same filesystem, in the same run; prints the throughput ratios, and the server's peak
// RSS while it ingests one very large file.
//
//   node --import tsx bench/ingest.ts [--quick] [--large-count 20 --large-mb 100] [--small-count 500 --small-mb 1]
//        [--big-gb 2] [--large-parallel 8] [--small-parallel 16] [--rounds 1] [--no-warmup] [--cold] [--dir <dir>] [--cpu-prof <dir>]
//
// Goals: large files ≥ 0.8 of curl's throughput with the same durability (curl + sync: both
// sides' bytes on stable storage when their clock stops); server peak RSS < 200 MiB during the
// big file. Per scenario: generate the files (a real 2-second MP4 padded with a `free` box), then
// per round curl and OpenVOD (a fresh `openvod serve` with worker.concurrency =
// ingest.perHostConcurrency = ingest.globalConcurrency = the parallelism, warmed up by one small
// pull before the clock unless --no-warmup), in alternating order, each run after `sync` +
// drop_caches (+ the origin files read back into the cache unless --cold); the median round
// counts. A failed job or download makes the run INVALID.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { probeMedia } from '../src/media/ffprobe.js';
import { chooseTool } from '../src/media/ffmpeg-binaries.js';
import { VodRpcClient } from '../src/sdk/rpc-client.js';
import { openStore } from '../src/store/db.js';
import { type Child, freePort, openvodServeArgs, spawnNode } from './lib/child.js';
import { createCleanup } from './lib/cleanup.js';
import { runBench } from './lib/bench-main.js';
import { parseProfile, summariseProfile, type TimeWindowUs } from './lib/cpu-profile.js';
import { runCurlPool } from './lib/curl-pool.js';
import { JobLogCollector, type JobTimes, summarisePhases } from './lib/ingest-phases.js';
import { cpuCeiling, detailLines, medianRound, MIB, type RssResult, rssLine, rssPeakBytes, type RoundFigures, type ScenarioResult, throughputTable, verdictFor } from './lib/ingest-report.js';
import { threadSnapshot, threadTimes } from './lib/ingest-sched.js';
import { makeSeedMp4, newFiller, writePaddedMp4 } from './lib/padded-media.js';
import { readThrough, settlePageCache, timeSync, type CacheState } from './lib/page-cache.js';
import { cpuSpentMs, descendantsCpuMs, processCpuMs } from './lib/proc-cpu.js';
import { mainThreadProfile } from './lib/profile-file.js';
import { profileLines } from './lib/report.js';
import { currentRss, resetHighWaterMark, sampleRss } from './lib/rss-sampler.js';
import { type Options, parseOptions, USAGE, UsageError } from './lib/ingest-options.js';
import { jobProblems, submitAll, waitAll } from './lib/vod-ingest.js';

const LARGE_GOAL = 0.8;
const RSS_GOAL_BYTES = 200 * MIB;
const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const ORIGIN_SERVER = join(ROOT, 'bench/lib/origin-server.ts');
const CURL_MD5 = join(ROOT, 'bench/lib/curl-md5.sh');
const KEY = { accessKeyId: 'LTAIbenchRootKey0001', accessKeySecret: 'benchRootSecret000000000001' };
const POLL_MS = 100;
const POLL_WINDOW = 30;
/** The warm-up pull's file (before the clock): enough to run every step of the pipeline once. */
const WARMUP_BYTES = 4 * MIB;
const out = (line = ''): void => void process.stdout.write(`${line}\n`);
const cleanup = createCleanup((message) => void process.stderr.write(`${message}\n`));
const abort = new AbortController();

interface Scenario {
  name: 'large' | 'small' | 'big';
  count: number;
  bytes: number;
  parallel: number;
  rounds: number;
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
  /** The small file each fresh server pulls before the clock starts; undefined: no warm-up. */
  warmupUrl: string | undefined;
  md5Baseline: boolean;
  /** The origin server's pid, for its CPU use during each run. */
  originPid: number | undefined;
}

function scenariosOf(o: Options): Scenario[] {
  const list: Scenario[] = [];
  const { rounds } = o;
  if (o.large.count > 0) list.push({ name: 'large', count: o.large.count, bytes: Math.round(o.large.mib * MIB), parallel: o.large.parallel, rounds, goal: LARGE_GOAL, rss: false });
  if (o.small.count > 0) list.push({ name: 'small', count: o.small.count, bytes: Math.round(o.small.mib * MIB), parallel: o.small.parallel, rounds, goal: undefined, rss: false });
  if (o.bigGib > 0) list.push({ name: 'big', count: 1, bytes: Math.round(o.bigGib * 1024 * MIB), parallel: 1, rounds, goal: undefined, rss: true });
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
  const child = spawnNode('openvod', [...profArgs, ...openvodServeArgs(ROOT), '--data-dir', dataDir, '--port', String(port), '--config', configFile], {
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

interface CurlOutcome { figures: RoundFigures['curl']; problems: string[] }


/**
 * curl fetches every file into a scratch dir on the same filesystem; the copies are removed after.
 * `md5`: each curl is followed by an md5sum of its file (the --md5-baseline run).
 */
async function runCurl(env: Env, s: Scenario, files: readonly OriginFile[], md5 = false): Promise<CurlOutcome> {
  await settle(env, files.map((f) => f.path));
  mkdirSync(env.curlDir, { recursive: true });
  const loadAvg1 = loadavg()[0];
  const origin0 = processCpuMs(env.originPid);
  const items = files.map((f) => ({ url: f.url, outPath: join(env.curlDir, f.name), expectedBytes: f.bytes }));
  const curl = await runCurlPool(items, s.parallel, abort.signal, md5 ? CURL_MD5 : 'curl');
  const originCpuMs = cpuSpentMs(processCpuMs(env.originPid), origin0);
  const syncMs = await timeSync(env.curlDir);
  out(`  ${md5 ? 'curl+md5' : 'curl    '} ${(curl.elapsedMs / 1000).toFixed(2)} s  ${(s.count * s.bytes / MIB / (curl.elapsedMs / 1000)).toFixed(1)} MiB/s  (sync afterwards ${(syncMs / 1000).toFixed(2)} s)`);
  await rm(env.curlDir, { recursive: true, force: true });
  return { figures: { elapsedMs: curl.elapsedMs, syncMs, cpuMs: curl.curlCpuMs, originCpuMs, loadAvg1 }, problems: curl.failures.map((f) => `curl ${f.url}: ${f.reason}`) };
}

interface OpenvodOutcome { figures: RoundFigures['openvod']; problems: string[]; rss: RssResult | undefined }

/**
 * One small pull, end to end, before the clock: the first job of a fresh process pays for
 * compiling its code (V8 tiers, undici's WASM HTTP parser, the RPC routes' serializers) — a cost
 * a long-running server pays once in its life, not per file.
 */
async function warmUp(client: VodRpcClient, url: string): Promise<void> {
  const jobs = await submitAll(client, [{ url, bytes: WARMUP_BYTES }], abort.signal);
  const ends = await waitAll(client, jobs, { pollMs: 20, window: 1, deadlineMs: Date.now() + 60_000, signal: abort.signal });
  const problems = jobProblems(jobs, ends);
  if (problems.length > 0) throw new Error(`the warm-up pull failed: ${problems.join('; ')}`);
}

/**
 * The warm-up's ffprobe and ffmpeg were each a tool's first start, which set off the check of its
 * library order in the background (src/media/library-order.ts): a cost a server pays once in its
 * life, so the clock waits for both checks to end (at most 30 s) unless they are turned off.
 */
async function libraryOrdersChecked(logs: JobLogCollector): Promise<void> {
  if (['0', 'false'].includes(process.env.OPENVOD_MEDIA_PRELOAD_LIBRARIES ?? '')) return;
  const deadline = Date.now() + 30_000;
  while (logs.libraryOrders.size < 2 && Date.now() < deadline) await sleep(50);
  out(`  media tool libraries: ${logs.libraryOrders.size === 0 ? 'no check ended within 30 s' : [...logs.libraryOrders].map(([path, how]) => `${path} ${how}`).join('; ')}`);
}

/** A fresh server ingests every file; its data dir is removed after. */
async function runOpenvod(env: Env, s: Scenario, files: readonly OriginFile[]): Promise<OpenvodOutcome> {
  await settle(env, files.map((f) => f.path));
  const dataDir = join(env.work, `data-${s.name}`);
  const logs = new JobLogCollector();
  const server = await startOpenvod(env, dataDir, s.parallel, logs);
  const pid = server.child.process.pid as number;
  const client = new VodRpcClient({ endpoint: server.origin, accessKeyId: KEY.accessKeyId, accessKeySecret: KEY.accessKeySecret, method: 'POST' });
  if (env.warmupUrl !== undefined) {
    await warmUp(client, env.warmupUrl);
    await libraryOrdersChecked(logs);
  }
  const loadAvg1 = loadavg()[0];
  const idleRssBytes = currentRss(pid) ?? Number.NaN;
  const hwmReset = s.rss ? resetHighWaterMark(pid) : false;
  const sampler = s.rss ? sampleRss(pid, 100) : undefined;
  const cpu0 = processCpuMs(pid);
  const tools0 = descendantsCpuMs(pid);
  const origin0 = processCpuMs(env.originPid);
  const sched0 = threadSnapshot(pid);
  const t0 = Date.now();
  const t0Us = monotonicUs();
  const jobs = await submitAll(client, files, abort.signal);
  const submitMs = Date.now() - t0;
  const deadlineMs = t0 + 60_000 + (s.count * s.bytes * 1000) / (5 * MIB) + s.count * 2000;
  const ends = await waitAll(client, jobs, { pollMs: POLL_MS, window: POLL_WINDOW, deadlineMs, signal: abort.signal });
  const observedMs = Date.now() - t0;
  const threads = threadTimes(pid, sched0, threadSnapshot(pid));
  const window: TimeWindowUs = { startUs: t0Us, endUs: monotonicUs() };
  const peaks = sampler?.stop();
  const cpu1 = processCpuMs(pid);
  const tools1 = descendantsCpuMs(pid);
  const originCpuMs = cpuSpentMs(processCpuMs(env.originPid), origin0);
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
      elapsedMs, observedMs, submitMs, serverCpuMs: cpuSpentMs(cpu1, cpu0), mediaToolsCpuMs: cpuSpentMs(tools1, tools0), originCpuMs,
      phases: summarisePhases(times, jobs.map((j) => j.expectedBytes)), threads, loadAvg1,
    },
    problems,
    rss,
  };
}

async function runScenario(env: Env, s: Scenario): Promise<{ result: ScenarioResult; rss: RssResult | undefined }> {
  out(`${s.name}: ${s.count} × ${(s.bytes / MIB).toFixed(1)} MiB, ${s.parallel} at a time${s.rounds > 1 ? `, ${s.rounds} rounds` : ''} — generating …`);
  const files = await generate(env, s);
  try {
    const rounds: Array<RoundFigures & { ratio: number; problems: string[]; rss: RssResult | undefined }> = [];
    for (let r = 0; r < s.rounds; r++) {
      if (s.rounds > 1) out(`  round ${r + 1}`);
      // Alternating order, so that a machine growing busier or quieter hits both sides alike.
      const baselines = async (): Promise<CurlOutcome[]> => [await runCurl(env, s, files), ...(env.md5Baseline ? [await runCurl(env, s, files, true)] : [])];
      let curls: CurlOutcome[];
      let openvod: OpenvodOutcome;
      if (r % 2 === 0) {
        curls = await baselines();
        openvod = await runOpenvod(env, s, files);
      } else {
        openvod = await runOpenvod(env, s, files);
        curls = await baselines();
      }
      const [curl, curlMd5] = curls as [CurlOutcome, CurlOutcome | undefined];
      const ratio = (curl.figures.elapsedMs + curl.figures.syncMs) / openvod.figures.elapsedMs;
      rounds.push({
        curl: curl.figures, curlMd5: curlMd5?.figures, openvod: openvod.figures, ratio,
        problems: [...curls.flatMap((c) => c.problems), ...openvod.problems], rss: openvod.rss,
      });
    }
    const median = medianRound(rounds);
    const problems = rounds.flatMap((r) => r.problems);
    // RSS: the highest peak of any round.
    const rss = rounds.map((r) => r.rss).filter((r): r is RssResult => r !== undefined)
      .sort((a, b) => rssPeakBytes(b.peaks, b.hwmReset) - rssPeakBytes(a.peaks, a.hwmReset))[0];
    return {
      result: {
        name: s.name, files: s.count, bytes: s.count * s.bytes, parallel: s.parallel,
        curl: median.curl, curlMd5: median.curlMd5, openvod: median.openvod,
        goal: s.goal, ratio: median.ratio, ratioNoSync: median.curl.elapsedMs / median.openvod.elapsedMs,
        roundRatios: rounds.map((r) => r.ratio), verdict: verdictFor(median.ratio, s.goal, problems.length), problems,
      },
      rss,
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
  // The tools the server will run, found as it finds them (OPENVOD_FF*_PATH, else by OPENVOD_MEDIA_TOOLS).
  const prefer = process.env.OPENVOD_MEDIA_TOOLS === 'bundled' ? 'bundled' : 'path';
  const ffmpeg = chooseTool('ffmpeg', { configured: process.env.OPENVOD_FFMPEG_PATH || undefined, pathEnv: process.env.PATH, prefer }).primary;
  const ffprobe = chooseTool('ffprobe', { configured: process.env.OPENVOD_FFPROBE_PATH || undefined, pathEnv: process.env.PATH, prefer }).primary;
  const ffmpegPath = ffmpeg.path;
  const ffprobePath = ffprobe.path;
  const seed = await makeSeedMp4(ffmpegPath, join(work, 'seed.mp4'));
  if (o.warmup) {
    await writePaddedMp4({ seed, path: join(originDir, 'warmup.mp4'), targetBytes: WARMUP_BYTES, salt: `warmup-${process.pid}`, filler: newFiller(), signal: abort.signal });
  }

  const port = await freePort();
  const origin = spawnNode('origin', ['--import', 'tsx', ORIGIN_SERVER, '--port', String(port), '--dir', originDir], process.env);
  cleanup.defer('stop origin', () => origin.stop());
  const originUrl = `http://127.0.0.1:${port}`;
  await origin.waitReady(`${originUrl}/healthz`, 30_000);

  if (o.cpuProfDir !== undefined) mkdirSync(o.cpuProfDir, { recursive: true });
  const env: Env = {
    work, originDir, curlDir: join(work, 'curl'), originUrl, seed, ffprobePath, cache: undefined, cold: o.cold, cpuProfDir: o.cpuProfDir,
    warmupUrl: o.warmup ? `${originUrl}/warmup.mp4` : undefined, md5Baseline: o.md5Baseline, originPid: origin.process.pid,
  };
  out(`bench/ingest: OpenVOD UploadMediaByURL vs curl, same files, same parallelism, same filesystem (${work}); node ${process.version}`);
  out(`server's media tools (media.tools = ${prefer}): ffprobe ${ffprobePath} (${ffprobe.source}), ffmpeg ${ffmpegPath} (${ffmpeg.source})`);
  out(`order per scenario: ${o.rounds > 1 ? `${o.rounds} rounds of curl, OpenVOD then OpenVOD, curl …` : 'curl, then OpenVOD'}; before each: sync + drop_caches + free memory touched, ` +
    `origin files ${o.cold ? 'left cold' : 'read back into the page cache'}; ${o.warmup ? `each fresh server warmed up by one ${WARMUP_BYTES / MIB} MiB pull before the clock` : 'no warm-up pull'}${o.quick ? '; --quick' : ''}`);
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
  out('(ratio = OpenVOD MiB/s ÷ curl+sync MiB/s, the verdict\'s measure: "curl+sync" adds the time of a `sync -f` of curl\'s files, so that both sides\' bytes are');
  out(' on stable storage when their clock stops, as OpenVOD\'s are — fsynced — before it reports SUCCESS; "vs curl" leaves curl\'s bytes in the page cache.');
  out(' OpenVOD also hashes every byte (MD5) and runs ffprobe and ffmpeg per file, which curl does not' +
    (o.md5Baseline ? '; "vs curl+md5+sync" compares with curl followed by md5sum of each file, then sync: the same download work.)' : '.)'));
  out();
  const cores = availableParallelism();
  for (const r of results) for (const line of detailLines(r, cores)) out(line);
  if (rss) out(rssLine(rss));
  const invalid = results.some((r) => r.verdict === 'INVALID') || rss?.verdict === 'INVALID';
  if (invalid) out('INVALID RUN: some download or job failed (see "!" lines); the numbers above do not count.');
  const round = (n: number, d = 3): number | null => (Number.isFinite(n) ? Number(n.toFixed(d)) : null);
  out(JSON.stringify({
    bench: 'ingest', quick: o.quick, cold: o.cold, warmup: o.warmup, rounds: o.rounds, pageCache: env.cache,
    scenarios: results.map((r) => ({
      name: r.name, files: r.files, mib: round(r.bytes / MIB, 1), parallel: r.parallel,
      curlMibPerS: round(r.bytes / MIB / (r.curl.elapsedMs / 1000), 1), curlSyncMibPerS: round(r.bytes / MIB / ((r.curl.elapsedMs + r.curl.syncMs) / 1000), 1),
      openvodMibPerS: round(r.bytes / MIB / (r.openvod.elapsedMs / 1000), 1), ratio: round(r.ratio), ratioNoSync: round(r.ratioNoSync),
      roundRatios: r.roundRatios.map((x) => round(x)), goal: r.goal ?? null, verdict: r.verdict,
      ratioToCurlMd5Sync: r.curlMd5 ? round((r.curlMd5.elapsedMs + r.curlMd5.syncMs) / r.openvod.elapsedMs) : null,
      cpuCeilingRatio: round(cpuCeiling(r, cores)?.ratio ?? Number.NaN),
      afterDownloadShare: round(r.openvod.phases.afterShare), serverMainThreadCpuMs: round(r.openvod.threads?.main.cpuMs ?? Number.NaN, 0),
      serverMainThreadWaitMs: round(r.openvod.threads?.main.waitMs ?? Number.NaN, 0), problems: r.problems.length,
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
  // Generous: 3 minutes of fixed costs, then every byte at 5 MiB/s (generated once, fetched twice a round) and 2 s a file a round.
  budgetMs: (o) => {
    const allBytes = scenariosOf(o).reduce((n, sc) => n + sc.count * sc.bytes, 0);
    const allFiles = scenariosOf(o).reduce((n, sc) => n + sc.count, 0);
    return 180_000 + o.rounds * 60_000 + ((1 + 2 * o.rounds) * allBytes * 1000) / (5 * MIB) + o.rounds * allFiles * 2000;
  },
  cleanup,
  abort,
  main,
});

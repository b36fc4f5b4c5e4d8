// bench/migrate: `openvod migrate` end to end against a local OpenVOD, each beside a baseline
// measured in the same run on the same files.
//
//   node --import tsx bench/migrate.ts [--quick] [--small-count 10000] [--large-count 20] [--large-mb 100]
//        [--parallel 8] [--max-in-flight 200] [--dir <dir>]
//
// small: N small media files pulled (UploadMediaByURL). Baseline: a bare client with no ledger
// (submit every URL in batches of 20, poll GetURLUploadInfos until all end — bench/lib/vod-ingest).
// Then `openvod migrate --source urls:<list>` against a fresh server: ledger, batches, limits,
// polling (a bare URL list has nothing to verify, so no GetMezzanineInfo). Reported: items/s of both, the ratio, the
// migrator's own CPU per item and the server's CPU per item in each run (the migrator's extra
// calls cost the server too). Goal: the migrator ≥ 0.8 of the bare client's items/s.
// large: N large files (padded MP4s). Baseline: curl fetching them, N at a time; then the bare
// client (the server's own ingest rate) and the migrator, each into a fresh server with the same
// parallelism. Goal: the migrator ≥ 0.8 of curl's MiB/s (the migrate/bare ratio says how much of
// any gap is the migrator's).
// Before each large run: `sync` + drop_caches when allowed, then the origin files read back into
// the page cache (as bench/ingest). The migrator's time runs from its `start` event to its
// summary; its process start-up (module loading, ledger, source) is printed apart — a fixed cost,
// not a per-item one — and so is the CPU it used before `start`.
// Each OpenVOD run gets a fresh `openvod serve` with worker.concurrency = ingest concurrency =
// --parallel. The migrator runs with `--rps *=100000` (the published ApsaraVideo limits are its
// defaults; a local OpenVOD has none) and `--max-in-flight` (default 200, far above what the
// server works on at once, so it never starves the server).
import { linkSync, mkdirSync, mkdtempSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { locateTool } from '../src/media/ffmpeg-binaries.js';
import { VodRpcClient } from '../src/sdk/rpc-client.js';
import { type Child, freePort, openvodServeArgs, spawnNode } from './lib/child.js';
import { createCleanup } from './lib/cleanup.js';
import { runBench } from './lib/bench-main.js';
import { runCurlPool } from './lib/curl-pool.js';
import { MIB } from './lib/ingest-report.js';
import { spawnMigrate } from './lib/migrate-cli.js';
import { makeSeedMp4, newFiller, writePaddedMp4 } from './lib/padded-media.js';
import { readThrough, settlePageCache } from './lib/page-cache.js';
import { cpuSpentMs, processCpuMs, reapedChildrenCpuMs } from './lib/proc-cpu.js';
import { verdictOf, type Verdict } from './lib/report.js';
import { jobProblems, submitAll, waitAll } from './lib/vod-ingest.js';

const GOAL = 0.8;
/** The migrator's --poll-interval (the bare client polls every 100 ms, 30 jobs at a time). */
const POLL_S = 0.5;
const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const ORIGIN_SERVER = join(ROOT, 'bench/lib/origin-server.ts');
const KEY = { accessKeyId: 'LTAIbenchRootKey0001', accessKeySecret: 'benchRootSecret000000000001' };
const USAGE = 'usage: node --import tsx bench/migrate.ts [--quick] [--small-count 10000] [--large-count 20] [--large-mb 100] [--parallel 8] [--max-in-flight 200] [--dir <dir>]';

interface Options { smallCount: number; largeCount: number; largeMib: number; parallel: number; maxInFlight: number; dir: string; quick: boolean }
class UsageError extends Error {}

function parseOptions(argv: string[]): Options {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        quick: { type: 'boolean', default: false }, dir: { type: 'string' }, 'small-count': { type: 'string' }, 'large-count': { type: 'string' },
        'large-mb': { type: 'string' }, parallel: { type: 'string' }, 'max-in-flight': { type: 'string' },
      },
    }).values;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${USAGE}`);
  }
  const quick = values.quick === true;
  const problems: string[] = [];
  const num = (name: string, full: number, fast: number, min: number, max: number): number => {
    const raw = values[name];
    const n = raw === undefined ? (quick ? fast : full) : Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) problems.push(`--${name}: "${String(raw)}" must be a number in ${min}..${max}`);
    return n;
  };
  const o: Options = {
    smallCount: Math.round(num('small-count', 10_000, 500, 0, 1_000_000)), largeCount: Math.round(num('large-count', 20, 4, 0, 10_000)),
    largeMib: num('large-mb', 100, 50, 1, 100_000), parallel: Math.round(num('parallel', 8, 8, 1, 64)),
    maxInFlight: Math.round(num('max-in-flight', 200, 200, 1, 1_000_000)), dir: resolve(typeof values.dir === 'string' ? values.dir : tmpdir()), quick,
  };
  if (problems.length > 0) throw new UsageError(`invalid options:\n  - ${problems.join('\n  - ')}\n${USAGE}`);
  if (o.smallCount + o.largeCount === 0) throw new UsageError(`nothing to run\n${USAGE}`);
  return o;
}

const out = (line = ''): void => void process.stdout.write(`${line}\n`);
const cleanup = createCleanup((m) => void process.stderr.write(`${m}\n`));
const abort = new AbortController();
const fmt = (n: number | undefined, d = 1): string => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(d));

interface Env { work: string; originDir: string; originUrl: string; parallel: number }

async function startServer(env: Env, name: string): Promise<{ child: Child; url: string; dataDir: string }> {
  const dataDir = join(env.work, `data-${name}`);
  mkdirSync(dataDir, { recursive: true });
  const config = join(env.work, `openvod-${name}.json`);
  writeFileSync(config, JSON.stringify({ worker: { concurrency: env.parallel }, ingest: { perHostConcurrency: env.parallel, globalConcurrency: env.parallel } }));
  const port = await freePort();
  const child = spawnNode(`openvod-${name}`, [...openvodServeArgs(ROOT), '--data-dir', dataDir, '--port', String(port), '--config', config], {
    ...process.env, OPENVOD_ACCESS_KEY_ID: KEY.accessKeyId, OPENVOD_ACCESS_KEY_SECRET: KEY.accessKeySecret, OPENVOD_ALLOW_PRIVATE_NETWORKS: '1', OPENVOD_LOG_LEVEL: 'warn',
  });
  cleanup.defer(`stop ${name}`, () => child.stop());
  const url = `http://127.0.0.1:${port}`;
  await child.waitReady(`${url}/healthz`, 60_000);
  return { child, url, dataDir };
}

interface RunFigures {
  /** The run itself (the migrator: its `start` event → its summary; process start-up is `startupMs`). */
  elapsedMs: number;
  /** Process start → the `start` event (module loading, ledger, source, target); 0 for the in-process bare client. */
  startupMs: number;
  serverCpuMs: number | undefined;
  /** The client's CPU over the run (the migrator: after its start-up). */
  clientCpuMs: number | undefined;
  /** The migrator's CPU before its `start` event. */
  startupCpuMs: number | undefined;
  problems: string[];
}

/** The bare client: every URL submitted at once, then polled until all ended. */
async function bareRun(env: Env, name: string, files: ReadonlyArray<{ url: string; bytes: number }>): Promise<RunFigures> {
  const server = await startServer(env, name);
  const client = new VodRpcClient({ endpoint: server.url, ...KEY, method: 'POST' });
  const pid = server.child.process.pid;
  const cpu0 = processCpuMs(pid);
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  const jobs = await submitAll(client, files, abort.signal);
  const ends = await waitAll(client, jobs, { pollMs: 100, window: 30, deadlineMs: Date.now() + 3_600_000, signal: abort.signal });
  const elapsedMs = performance.now() - t0;
  const own = process.cpuUsage(own0);
  const serverCpuMs = cpuSpentMs(processCpuMs(pid), cpu0);
  await server.child.stop();
  await rm(server.dataDir, { recursive: true, force: true });
  return { elapsedMs, startupMs: 0, startupCpuMs: 0, serverCpuMs, clientCpuMs: (own.user + own.system) / 1000, problems: jobProblems(jobs, ends) };
}

/** `openvod migrate` from a URL list into a fresh server. */
async function migrateRun(env: Env, name: string, files: ReadonlyArray<{ url: string; bytes: number }>, maxInFlight: number): Promise<RunFigures> {
  const server = await startServer(env, name);
  const list = join(env.work, `${name}.txt`);
  writeFileSync(list, `${files.map((f) => f.url).join('\n')}\n`);
  const pid = server.child.process.pid;
  const cpu0 = processCpuMs(pid);
  const reaped0 = reapedChildrenCpuMs('self');
  const t0 = performance.now();
  const m = spawnMigrate(ROOT, [
    '--source', `urls:${list}`, '--endpoint', server.url, '--state', join(env.work, `${name}.sqlite`), '--access-key-id', KEY.accessKeyId,
    '--access-key-secret', KEY.accessKeySecret, '--rps', '*=100000', '--max-in-flight', String(maxInFlight), '--poll-interval', String(POLL_S),
  ], process.env);
  cleanup.defer(`stop migrator ${name}`, () => m.child.stop());
  const { summary, exitCode, startedAtMs, summaryAtMs, cpuAtStartMs } = await m.done;
  const startupMs = (startedAtMs ?? t0) - t0;
  const elapsedMs = (summaryAtMs ?? performance.now()) - (startedAtMs ?? t0);
  const serverCpuMs = cpuSpentMs(processCpuMs(pid), cpu0);
  const totalCpuMs = cpuSpentMs(reapedChildrenCpuMs('self'), reaped0);
  const clientCpuMs = cpuSpentMs(totalCpuMs, cpuAtStartMs);
  await server.child.stop();
  await rm(server.dataDir, { recursive: true, force: true });
  const problems: string[] = [];
  if (exitCode !== 0 || !summary || summary.Succeeded !== files.length) {
    problems.push(`migrator exit ${exitCode}: ${summary ? `${summary.Succeeded}/${summary.Total} succeeded ${JSON.stringify(summary.ErrorCodes)}` : 'no summary'}\n${m.child.output().slice(-2000)}`);
  }
  return { elapsedMs, startupMs, startupCpuMs: cpuAtStartMs, serverCpuMs, clientCpuMs, problems };
}

interface SmallResult { count: number; bare: RunFigures; migrate: RunFigures; ratio: number; verdict: Verdict }
interface LargeResult { count: number; bytes: number; curlMs: number; bare: RunFigures; migrate: RunFigures; ratio: number; verdict: Verdict; problems: string[] }

async function small(env: Env, o: Options, seedPath: string): Promise<SmallResult> {
  const { size } = statSync(seedPath);
  out(`small: ${o.smallCount} items (one ${fmt(size / 1024)} KiB MP4 under ${o.smallCount} names, hard links), server parallelism ${o.parallel}`);
  const files: Array<{ url: string; bytes: number }> = [];
  for (let i = 0; i < o.smallCount; i++) {
    const name = `small-${String(i).padStart(6, '0')}.mp4`;
    linkSync(seedPath, join(env.originDir, name));
    files.push({ url: `${env.originUrl}/${name}`, bytes: size });
  }
  const bare = await bareRun(env, 'small-bare', files);
  out(`  bare client  ${fmt(bare.elapsedMs / 1000, 2)} s  ${fmt(o.smallCount / (bare.elapsedMs / 1000))} items/s`);
  const migrate = await migrateRun(env, 'small-migrate', files, o.maxInFlight);
  out(`  migrate      ${fmt(migrate.elapsedMs / 1000, 2)} s  ${fmt(o.smallCount / (migrate.elapsedMs / 1000))} items/s  (+ ${fmt(migrate.startupMs / 1000, 2)} s process start-up)`);
  const ratio = bare.elapsedMs / migrate.elapsedMs;
  return { count: o.smallCount, bare, migrate, ratio, verdict: verdictOf(ratio, GOAL, bare.problems.length + migrate.problems.length) };
}

async function large(env: Env, o: Options, seed: Buffer): Promise<LargeResult> {
  const bytes = Math.round(o.largeMib * MIB);
  out(`large: ${o.largeCount} × ${fmt(o.largeMib)} MiB, ${o.parallel} at a time — generating …`);
  const filler = newFiller();
  const files: Array<{ url: string; bytes: number; name: string }> = [];
  for (let i = 0; i < o.largeCount; i++) {
    const name = `large-${String(i).padStart(4, '0')}.mp4`;
    await writePaddedMp4({ seed, path: join(env.originDir, name), targetBytes: bytes, salt: `m-${i}-${process.pid}`, filler, signal: abort.signal });
    files.push({ url: `${env.originUrl}/${name}`, bytes, name });
  }
  const curlDir = join(env.work, 'curl');
  mkdirSync(curlDir, { recursive: true });
  // Before each timed run: the previous run's writes flushed, the origin files warm (as bench/ingest).
  const settle = async (): Promise<void> => {
    await settlePageCache();
    await readThrough(files.map((f) => join(env.originDir, f.name)), abort.signal);
  };
  await settle();
  const curl = await runCurlPool(files.map((f) => ({ url: f.url, outPath: join(curlDir, f.name), expectedBytes: f.bytes })), o.parallel, abort.signal);
  await rm(curlDir, { recursive: true, force: true });
  const total = o.largeCount * bytes;
  out(`  curl         ${fmt(curl.elapsedMs / 1000, 2)} s  ${fmt(total / MIB / (curl.elapsedMs / 1000))} MiB/s`);
  await settle();
  const bare = await bareRun(env, 'large-bare', files);
  out(`  bare client  ${fmt(bare.elapsedMs / 1000, 2)} s  ${fmt(total / MIB / (bare.elapsedMs / 1000))} MiB/s  (the server's own ingest rate, no migrator)`);
  await settle();
  const migrate = await migrateRun(env, 'large-migrate', files, Math.max(o.largeCount, o.parallel));
  out(`  migrate      ${fmt(migrate.elapsedMs / 1000, 2)} s  ${fmt(total / MIB / (migrate.elapsedMs / 1000))} MiB/s  (+ ${fmt(migrate.startupMs / 1000, 2)} s process start-up)`);
  const problems = [...curl.failures.map((f) => `curl ${f.url}: ${f.reason}`), ...bare.problems, ...migrate.problems];
  const ratio = curl.elapsedMs / migrate.elapsedMs;
  return { count: o.largeCount, bytes: total, curlMs: curl.elapsedMs, bare, migrate, ratio, verdict: verdictOf(ratio, GOAL, problems.length), problems };
}

async function main(o: Options): Promise<number> {
  const need = 2 * o.largeCount * o.largeMib * MIB + 1024 * MIB;
  const fs = statfsSync(o.dir);
  if (fs.bavail * fs.bsize < need) throw new Error(`${o.dir} has too little free space for this run (about ${fmt(need / MIB, 0)} MiB needed; use --dir or smaller sizes)`);
  const work = mkdtempSync(join(o.dir, 'openvod-bench-migrate-'));
  cleanup.defer('remove temp dir', () => rmSync(work, { recursive: true, force: true }));
  const originDir = join(work, 'origin');
  mkdirSync(originDir);
  const ffmpeg = locateTool('ffmpeg', { configured: process.env.OPENVOD_FFMPEG_PATH || undefined, pathEnv: process.env.PATH });
  const seedPath = join(work, 'seed.mp4');
  const seed = await makeSeedMp4(ffmpeg.path, seedPath);
  const port = await freePort();
  const origin = spawnNode('origin', ['--import', 'tsx', ORIGIN_SERVER, '--port', String(port), '--dir', originDir], process.env);
  cleanup.defer('stop origin', () => origin.stop());
  const originUrl = `http://127.0.0.1:${port}`;
  await origin.waitReady(`${originUrl}/healthz`, 30_000);
  const env: Env = { work, originDir, originUrl, parallel: o.parallel };
  out(`bench/migrate: openvod migrate vs a bare client (small) and vs curl (large), same origin, same run (${work}); node ${process.version}${o.quick ? '; --quick' : ''}`);

  const s = o.smallCount > 0 ? await small(env, o, seedPath) : undefined;
  const l = o.largeCount > 0 ? await large(env, o, seed) : undefined;
  out();
  if (s) {
    const perItem = (ms: number | undefined): string => fmt(ms === undefined ? undefined : ms / s.count, 2);
    out(`small  ${s.count} items: bare ${fmt(s.count / (s.bare.elapsedMs / 1000))} items/s, migrate ${fmt(s.count / (s.migrate.elapsedMs / 1000))} items/s, ` +
      `ratio ${fmt(s.ratio, 3)} (goal ≥ ${GOAL}) ${s.verdict}`);
    out(`       migrator CPU ${perItem(s.migrate.clientCpuMs)} ms/item after a start-up of ${fmt(s.migrate.startupCpuMs, 0)} ms (bare client ${perItem(s.bare.clientCpuMs)}); ` +
      `wall-clock overhead ${fmt((s.migrate.elapsedMs - s.bare.elapsedMs) / s.count, 2)} ms/item; ` +
      `server CPU ${perItem(s.migrate.serverCpuMs)} ms/item under the migrator vs ${perItem(s.bare.serverCpuMs)} under the bare client`);
    for (const p of [...s.bare.problems, ...s.migrate.problems].slice(0, 10)) out(`  ! ${p}`);
  }
  if (l) {
    out(`large  ${l.count} × ${fmt(l.bytes / l.count / MIB)} MiB: curl ${fmt(l.bytes / MIB / (l.curlMs / 1000))} MiB/s, ` +
      `bare client ${fmt(l.bytes / MIB / (l.bare.elapsedMs / 1000))} MiB/s, migrate ${fmt(l.bytes / MIB / (l.migrate.elapsedMs / 1000))} MiB/s, ` +
      `ratio migrate/curl ${fmt(l.ratio, 3)} (goal ≥ ${GOAL}) ${l.verdict}, migrate/bare ${fmt(l.bare.elapsedMs / l.migrate.elapsedMs, 3)}; ` +
      `migrator CPU ${fmt(l.migrate.clientCpuMs, 0)} ms after its start-up`);
    for (const p of l.problems.slice(0, 10)) out(`  ! ${p}`);
  }
  const r = (n: number | undefined, d = 3): number | null => (n === undefined || !Number.isFinite(n) ? null : Number(n.toFixed(d)));
  out(JSON.stringify({
    bench: 'migrate', quick: o.quick,
    small: s ? {
      items: s.count, bareItemsPerS: r(s.count / (s.bare.elapsedMs / 1000), 1), migrateItemsPerS: r(s.count / (s.migrate.elapsedMs / 1000), 1), ratio: r(s.ratio),
      migratorCpuMsPerItem: r(s.migrate.clientCpuMs === undefined ? undefined : s.migrate.clientCpuMs / s.count), goal: GOAL, verdict: s.verdict,
    } : null,
    large: l ? { files: l.count, mib: r(l.bytes / MIB, 0), curlMibPerS: r(l.bytes / MIB / (l.curlMs / 1000), 1), bareMibPerS: r(l.bytes / MIB / (l.bare.elapsedMs / 1000), 1), migrateMibPerS: r(l.bytes / MIB / (l.migrate.elapsedMs / 1000), 1), ratio: r(l.ratio), goal: GOAL, verdict: l.verdict } : null,
  }));
  return [s?.verdict, l?.verdict].includes('INVALID') ? 1 : 0;
}

await runBench({
  name: 'bench/migrate',
  argv: process.argv.slice(2),
  parse: parseOptions,
  isUsageError: (err) => err instanceof UsageError,
  // Generous: 3 minutes of fixed costs, 1 s per small item per run, large bytes at 5 MiB/s three times.
  budgetMs: (o) => 180_000 + o.smallCount * 2 * 1000 + (3 * o.largeCount * o.largeMib * MIB * 1000) / (5 * MIB),
  cleanup,
  abort,
  main,
});

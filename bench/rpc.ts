// bench/rpc: signed GetVideoInfo requests per second against a real `openvod serve`, beside a bare
// Fastify route measured in the same run, and the ratio between them. Goal: ≥ 0.5 of the bare route.
//
//   node --import tsx bench/rpc.ts [--seconds 10] [--connections 32] [--warmup 2] [--rounds 2] [--cpu-prof <dir>]
//
// Both targets run as child processes on loopback; the load comes from this process. Each target
// is warmed up, then measured `--rounds` times alternately (OpenVOD, bare, OpenVOD, bare …) for
// `--seconds` in total each, so drift on a shared machine hits both alike. Every OpenVOD request
// is freshly signed (V1, own nonce, current timestamp) and every answer is checked: a run with any
// error is INVALID. OPENVOD_DATABASE_URL (postgres://…) is passed to the server to bench Postgres.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Pool } from 'undici';
import { isPostgresUrl, openStore } from '../src/store/db.js';
import { newMediaId } from '../src/domain/ids.js';
import { seedVideo } from '../test/helpers/seed.js';
import { analysedVideoColumns } from './lib/analysed-video.js';
import { type Child, freePort, openvodServeArgs, spawnNode } from './lib/child.js';
import { createCleanup } from './lib/cleanup.js';
import { runBench } from './lib/bench-main.js';
import { parseProfile, summariseProfile, type TimeWindowUs } from './lib/cpu-profile.js';
import { LatencyReservoir } from './lib/latency.js';
import { openPool, requestsPerSecond, runWindow, type Target, type WindowResult } from './lib/load.js';
import { cpuSpentMs, ownCpuMs, processCpuMs } from './lib/proc-cpu.js';
import { cpuUsPerRequest, profileLines, totalsTable, type TargetTotals, type Verdict, verdictOf, type WindowFigures, windowLine } from './lib/report.js';
import { type Credentials, SignedRequestQueue, signedGetVideoInfoPath } from './lib/signed-requests.js';

const GOAL = 0.5;
const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const BARE_SERVER = join(ROOT, 'bench/lib/bare-server.ts');
const CREDENTIALS: Credentials = { accessKeyId: 'LTAIbenchRootKey0001', accessKeySecret: 'benchRootSecret000000000001' };
/** Pre-signed requests per window are capped (~300 bytes each); beyond it they are signed inline. */
const MAX_PRESIGNED = 500_000;
/** A window's batch is this many times the best rate seen so far (warm-up runs colder than the rounds). */
const PRESIGN_HEADROOM = 3;
/** A batch covers at least this rate: a warm-up on a busy machine can run far slower than the rounds. */
const MIN_PRESIGN_RPS = 2_000;

interface Options {
  seconds: number;
  connections: number;
  warmupSeconds: number;
  rounds: number;
  cpuProfDir: string | undefined;
}

const USAGE = 'usage: node --import tsx bench/rpc.ts [--seconds 10] [--connections 32] [--warmup 2] [--rounds 2] [--cpu-prof <dir>]';
const HELP = `${USAGE}

  --seconds N       measured time per target, split over the rounds (default 10)
  --connections N   keep-alive connections, one request in flight on each (default 32)
  --warmup N        seconds of warm-up per target before measuring (default 2)
  --rounds N        alternating OpenVOD/bare measurement pairs (default 2)
  --cpu-prof DIR    run the server under node --cpu-prof, keep the profile in DIR, print a summary
  -h, --help        this text

OPENVOD_DATABASE_URL=postgres://… benches Postgres (see bench/README.md for a throwaway schema).`;

function parseOptions(argv: string[]): Options {
  const parsed = (() => {
    try {
      return parseArgs({
        args: argv,
        options: {
          seconds: { type: 'string', default: '10' },
          connections: { type: 'string', default: '32' },
          warmup: { type: 'string', default: '2' },
          rounds: { type: 'string', default: '2' },
          'cpu-prof': { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (err) {
      throw new UsageError([(err as Error).message]);
    }
  })();
  const values = parsed.values;
  if (values.help === true) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const problems: string[] = [];
  const bounded = (name: string, raw: string, min: number, max: number, integer: boolean): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) problems.push(`--${name}: "${raw}" must be ${integer ? 'an integer' : 'a number'} in ${min}..${max}`);
    return n;
  };
  const options: Options = {
    seconds: bounded('seconds', values.seconds, 1, 300, false),
    connections: bounded('connections', values.connections, 1, 512, true),
    warmupSeconds: bounded('warmup', values.warmup, 0, 60, false),
    rounds: bounded('rounds', values.rounds, 1, 20, true),
    cpuProfDir: values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']),
  };
  if (problems.length > 0) throw new UsageError(problems);
  return options;
}

class UsageError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid options:\n  - ${problems.join('\n  - ')}\n${USAGE}`);
    this.name = 'UsageError';
  }
}

const out = (line = ''): void => void process.stdout.write(`${line}\n`);
const cleanup = createCleanup((message) => void process.stderr.write(`${message}\n`));
const abort = new AbortController();

async function startOpenvod(dataDir: string, opts: Options): Promise<{ child: Child; origin: string }> {
  const port = await freePort();
  const profArgs = opts.cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir];
  const child = spawnNode('openvod', [...profArgs, ...openvodServeArgs(ROOT), '--data-dir', dataDir, '--port', String(port)], {
    ...process.env,
    OPENVOD_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    OPENVOD_ACCESS_KEY_SECRET: CREDENTIALS.accessKeySecret,
    OPENVOD_LOG_LEVEL: 'warn',
  });
  cleanup.defer('stop openvod', () => child.stop());
  const origin = `http://127.0.0.1:${port}`;
  await child.waitReady(`${origin}/healthz`, 60_000);
  return { child, origin };
}

async function startBare(bodyFile: string): Promise<{ child: Child; origin: string }> {
  const port = await freePort();
  const child = spawnNode('bare', ['--import', 'tsx', BARE_SERVER, '--port', String(port), '--body-file', bodyFile], process.env);
  cleanup.defer('stop bare server', () => child.stop());
  const origin = `http://127.0.0.1:${port}`;
  await child.waitReady(`${origin}/`, 30_000);
  return { child, origin };
}

/** Checks an answer is GetVideoInfo's 200 for the seeded video. */
function answerCheck(videoId: string): Target['check'] {
  return (status, body) => {
    if (status !== 200) return `HTTP ${status}: ${body.slice(0, 300)}`;
    try {
      const parsed = JSON.parse(body) as { Video?: { VideoId?: unknown } };
      return parsed.Video?.VideoId === videoId ? undefined : `200 without VideoId ${videoId}: ${body.slice(0, 300)}`;
    } catch {
      return `200 with a body that is not JSON: ${body.slice(0, 300)}`;
    }
  };
}

interface MeasuredWindow {
  result: WindowResult;
  figures: WindowFigures;
}

interface Measured {
  openvod: MeasuredWindow[];
  bare: MeasuredWindow[];
  /** When OpenVOD was under measurement, for the CPU profile. */
  openvodWindows: TimeWindowUs[];
  signedInline: number;
}

interface Side {
  target: Target;
  pool: Pool;
  pid: number | undefined;
}

const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

async function measureWindow(side: Side, connections: number, ms: number): Promise<MeasuredWindow> {
  const server0 = processCpuMs(side.pid);
  const client0 = ownCpuMs();
  const result = await runWindow(side.pool, side.target, connections, ms, abort.signal);
  const figures: WindowFigures = {
    ok: result.ok,
    errors: result.errors,
    elapsedMs: result.elapsedMs,
    rps: requestsPerSecond(result),
    latency: result.latency.summary(),
    serverCpuMs: cpuSpentMs(processCpuMs(side.pid), server0),
    clientCpuMs: ownCpuMs() - client0,
  };
  return { result, figures };
}

async function measure(opts: Options, queue: SignedRequestQueue, sides: { openvod: Side; bare: Side }): Promise<Measured> {
  const sliceMs = (opts.seconds * 1000) / opts.rounds;
  let bestRps = MIN_PRESIGN_RPS; // OpenVOD's best rate so far, or the floor
  const batchFor = (ms: number): number => Math.min(MAX_PRESIGNED, Math.ceil((bestRps * ms * PRESIGN_HEADROOM) / 1000) + opts.connections * 4);
  const run = async (label: string, which: 'openvod' | 'bare', ms: number, windows?: TimeWindowUs[]): Promise<MeasuredWindow> => {
    if (which === 'openvod') queue.presign(batchFor(ms));
    const startUs = monotonicUs();
    const w = await measureWindow(sides[which], opts.connections, ms);
    windows?.push({ startUs, endUs: monotonicUs() });
    if (abort.signal.aborted) return w; // cut short: not worth a line
    if (which === 'openvod') bestRps = Math.max(bestRps, w.figures.rps);
    out(windowLine(label, which, w.figures));
    for (const e of w.result.errorSamples) out(`         ! ${e}`);
    return w;
  };

  if (opts.warmupSeconds > 0) {
    await run('warm-up', 'openvod', opts.warmupSeconds * 1000);
    if (!abort.signal.aborted) await run('warm-up', 'bare', opts.warmupSeconds * 1000);
  }
  queue.signedInline = 0;
  const measured: Measured = { openvod: [], bare: [], openvodWindows: [], signedInline: 0 };
  for (let round = 1; round <= opts.rounds && !abort.signal.aborted; round++) {
    measured.openvod.push(await run(`round ${round}`, 'openvod', sliceMs, measured.openvodWindows));
    if (abort.signal.aborted) break;
    measured.bare.push(await run(`round ${round}`, 'bare', sliceMs));
  }
  measured.signedInline = queue.signedInline;
  return measured;
}

function totals(name: string, windows: readonly MeasuredWindow[]): TargetTotals {
  const latency = new LatencyReservoir();
  for (const w of windows) latency.merge(w.result.latency);
  const sum = (pick: (f: WindowFigures) => number): number => windows.reduce((n, w) => n + pick(w.figures), 0);
  const ok = sum((f) => f.ok);
  const elapsedMs = sum((f) => f.elapsedMs);
  const serverCpuMs = windows.every((w) => w.figures.serverCpuMs !== undefined) ? sum((f) => f.serverCpuMs ?? 0) : undefined;
  return {
    name, ok, elapsedMs, serverCpuMs,
    errors: sum((f) => f.errors),
    clientCpuMs: sum((f) => f.clientCpuMs),
    rps: requestsPerSecond({ ok, elapsedMs }),
    latency: latency.summary(),
  };
}

/** Node names profiles CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main one. */
function printProfile(dir: string, pid: number | undefined, windows: readonly TimeWindowUs[]): void {
  const main = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.0.`)).map((f) => join(dir, f));
  const newest = main.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (newest === undefined) {
    out(`no main-thread .cpuprofile for pid ${pid} in ${dir} (did the server exit cleanly?)`);
    return;
  }
  out();
  out(`profile: ${newest}`);
  for (const line of profileLines(summariseProfile(parseProfile(readFileSync(newest, 'utf8')), windows, ROOT), 20)) out(line);
}

interface Setup {
  database: 'sqlite' | 'postgres';
  openvod: Child;
  answerBytes: number;
  queue: SignedRequestQueue;
  sides: { openvod: Side; bare: Side };
}

/** Both servers up, one video seeded, one real answer checked and handed to the bare route. */
async function setUp(opts: Options): Promise<Setup> {
  const databaseUrl = process.env.OPENVOD_DATABASE_URL || undefined;
  const tmp = mkdtempSync(join(tmpdir(), 'openvod-bench-rpc-'));
  cleanup.defer('remove temp dir', () => rmSync(tmp, { recursive: true, force: true }));
  if (opts.cpuProfDir !== undefined) mkdirSync(opts.cpuProfDir, { recursive: true });

  const dataDir = join(tmp, 'data');
  const openvod = await startOpenvod(dataDir, opts);
  const store = openStore({ databaseUrl, dataDir });
  const videoId = newMediaId();
  const video = await seedVideo(store.db, { video_id: videoId, ...analysedVideoColumns(videoId) }).finally(() => store.close());

  const check = answerCheck(video.video_id);
  const first = await fetch(`${openvod.origin}${signedGetVideoInfoPath(CREDENTIALS, video.video_id)}`);
  const firstBody = await first.text();
  const problem = check(first.status, firstBody);
  if (problem !== undefined) throw new Error(`GetVideoInfo does not answer as expected: ${problem}`);
  const bodyFile = join(tmp, 'bare-body.json');
  writeFileSync(bodyFile, firstBody);
  const bare = await startBare(bodyFile);

  const pools = { openvod: openPool(openvod.origin, opts.connections), bare: openPool(bare.origin, opts.connections) };
  cleanup.defer('close pools', async () => {
    await Promise.all([pools.openvod.destroy(), pools.bare.destroy()]);
  });
  const queue = new SignedRequestQueue(CREDENTIALS, video.video_id);
  return {
    database: isPostgresUrl(databaseUrl) ? 'postgres' : 'sqlite',
    openvod: openvod.child,
    answerBytes: Buffer.byteLength(firstBody),
    queue,
    sides: {
      openvod: { target: { name: 'openvod', origin: openvod.origin, nextPath: () => queue.take(), check }, pool: pools.openvod, pid: openvod.child.process.pid },
      bare: { target: { name: 'bare', origin: bare.origin, nextPath: () => '/', check }, pool: pools.bare, pid: bare.child.process.pid },
    },
  };
}

/** Prints the totals, the ratio and the verdict; returns the one-line JSON summary's fields. */
function printResults(m: Measured): Record<string, unknown> & { verdict: Verdict } {
  const a = totals('openvod', m.openvod);
  const b = totals('bare', m.bare);
  const ratio = a.rps / b.rps;
  const roundRatios = m.openvod.map((w, i) => w.figures.rps / (m.bare[i] ?? w).figures.rps);
  const openvodCost = cpuUsPerRequest(a);
  const bareCost = cpuUsPerRequest(b);
  const costRatio = openvodCost === undefined || bareCost === undefined ? undefined : bareCost / openvodCost;
  const verdict = verdictOf(ratio, GOAL, a.errors + b.errors);
  out();
  for (const line of totalsTable([a, b])) out(line);
  const medianRound = median(roundRatios);
  out(`ratio openvod/bare: ${ratio.toFixed(3)} (per round: ${roundRatios.map((r) => r.toFixed(3)).join(', ')}; median ${medianRound.toFixed(3)}); goal ≥ ${GOAL}: ${verdict}`);
  if (costRatio !== undefined) {
    out(`server CPU per request: openvod ${openvodCost?.toFixed(0)} µs, bare ${bareCost?.toFixed(0)} µs (bare/openvod ${costRatio.toFixed(3)}: the ratio if each server had a core to itself)`);
  }
  if (verdict === 'INVALID') out(`INVALID RUN: ${a.errors + b.errors} requests failed; the numbers above do not count.`);
  if (m.signedInline > 0) out(`note: ${m.signedInline} OpenVOD requests were signed inside the timed windows (the pre-signed batch ran out).`);
  const side = (t: TargetTotals) => {
    const cpuUs = cpuUsPerRequest(t);
    return { rps: Math.round(t.rps), p50Ms: round2(t.latency.p50Ms), p99Ms: round2(t.latency.p99Ms), requests: t.ok, errors: t.errors, serverCpuUsPerRequest: cpuUs === undefined ? null : Math.round(cpuUs) };
  };
  return {
    openvod: side(a), bare: side(b), ratio: round2(ratio, 3), roundRatios: roundRatios.map((r) => round2(r, 3)), medianRoundRatio: round2(medianRound, 3),
    cpuCostRatio: costRatio === undefined ? null : round2(costRatio, 3), goal: GOAL, verdict, signedInline: m.signedInline,
  };
}

async function main(opts: Options): Promise<number> {
  const setup = await setUp(opts);
  out(`bench/rpc: signed GetVideoInfo (V1) on OpenVOD vs a bare Fastify route, same ${setup.answerBytes}-byte JSON answer`);
  out(`database ${setup.database}; ${opts.connections} connections; ${opts.rounds} × ${(opts.seconds / opts.rounds).toFixed(2)} s per target after ${opts.warmupSeconds} s warm-up; node ${process.version}`);
  const m = await measure(opts, setup.queue, setup.sides);
  if (abort.signal.aborted) return 130;
  const results = printResults(m);
  if (opts.cpuProfDir !== undefined) {
    await setup.openvod.stop(); // the profile is written when the server exits
    printProfile(opts.cpuProfDir, setup.openvod.process.pid, m.openvodWindows);
  }
  out(JSON.stringify({ bench: 'rpc', database: setup.database, connections: opts.connections, seconds: opts.seconds, rounds: opts.rounds, ...results }));
  return results.verdict === 'INVALID' ? 1 : 0;
}

const round2 = (n: number, digits = 2): number => Number(n.toFixed(digits));

/** The median of the per-round ratios: on a shared machine, one disturbed round moves it least. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

await runBench({
  name: 'bench/rpc',
  argv: process.argv.slice(2),
  parse: parseOptions,
  isUsageError: (err) => err instanceof UsageError,
  // Start-up, warm-up, the windows and a minute of slack: past that, something is stuck.
  budgetMs: (o) => (120 + 2 * o.warmupSeconds + 2 * o.seconds + 60) * 1000,
  cleanup,
  abort,
  main,
});

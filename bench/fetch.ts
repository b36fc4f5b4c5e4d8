// bench/fetch: the URL fetcher alone — `fetchToFile`, as a URL pull job runs it (SSRF-guarded
// agent, host limiter, staging file, MD5) — beside curl, on the same files from the same loopback
// origin with the same parallelism, writing to the same filesystem. No server, no database, no
// ffprobe: what one process's download path costs, which bench/ingest mixes with everything else.
//
//   node --import tsx bench/fetch.ts [--files 8] [--mb 100] [--rounds 3] [--dir <dir>]
//
// Prints per round curl's and the fetcher's MiB/s, and the fetcher's CPU per MiB on the main
// thread and on the others (libuv's file writes, the MD5 worker). The main thread's CPU per MiB is
// what caps one process on a machine with cores to spare: 1000 ÷ (ms per MiB) MiB/s.
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_FETCH_LIMITS, fetchToFile } from '../src/ingest/fetcher.js';
import { createHostLimiter } from '../src/ingest/host-limiter.js';
import { createGuardedAgent } from '../src/ingest/ssrf-guard.js';
import { runBench } from './lib/bench-main.js';
import { freePort, spawnNode } from './lib/child.js';
import { createCleanup } from './lib/cleanup.js';
import { runCurlPool } from './lib/curl-pool.js';
import { threadSnapshot, threadTimes } from './lib/ingest-sched.js';
import { readThrough, settlePageCache } from './lib/page-cache.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MIB = 1024 * 1024;

interface Options { files: number; mb: number; rounds: number; dir: string }
class UsageError extends Error {}

function parse(argv: string[]): Options {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { files: { type: 'string', default: '8' }, mb: { type: 'string', default: '100' }, rounds: { type: 'string', default: '3' }, dir: { type: 'string', default: tmpdir() } } }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const int = (name: string, v: string, lo: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < lo) throw new UsageError(`--${name} must be an integer ≥ ${lo}`);
    return n;
  };
  return { files: int('files', values.files, 1), mb: int('mb', values.mb, 1), rounds: int('rounds', values.rounds, 1), dir: values.dir };
}

const cleanup = createCleanup((m) => process.stderr.write(`${m}\n`));
const abort = new AbortController();

async function main(o: Options): Promise<number> {
  const work = mkdtempSync(join(o.dir, 'openvod-bench-fetch-'));
  cleanup.defer('remove work dir', () => rmSync(work, { recursive: true, force: true }));
  const originDir = join(work, 'origin');
  mkdirSync(originDir);
  const names = Array.from({ length: o.files }, (_, i) => `f${i}.bin`);
  for (const [i, name] of names.entries()) {
    const fd = openSync(join(originDir, name), 'w');
    const chunk = randomBytes(MIB);
    for (let j = 0; j < o.mb; j++) {
      chunk.writeUInt32BE(i, 0);
      chunk.writeUInt32BE(j, 4);
      writeSync(fd, chunk);
    }
    closeSync(fd);
  }
  const port = await freePort();
  const origin = spawnNode('origin', ['--import', 'tsx', join(ROOT, 'bench/lib/origin-server.ts'), '--port', String(port), '--dir', originDir], process.env);
  cleanup.defer('stop origin', () => origin.stop(2000));
  await origin.waitReady(`http://127.0.0.1:${port}/healthz`, 30_000);
  const agent = createGuardedAgent({ allowPrivate: true });
  cleanup.defer('close agent', () => agent.close());
  const hostLimiter = createHostLimiter({ perHost: o.files, global: o.files });
  const urls = names.map((n) => `http://127.0.0.1:${port}/${n}`);
  const out = join(work, 'out');
  const totalMib = o.files * o.mb;
  const prepare = async (): Promise<void> => {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out);
    await settlePageCache();
    await readThrough(names.map((n) => join(originDir, n)), abort.signal);
  };

  console.log(`bench/fetch: ${o.files} × ${o.mb} MiB from a loopback origin, all at once; curl vs fetchToFile; ${o.rounds} round(s)`);
  let curlMs = 0;
  let fetchMs = 0;
  let mainCpu = 0;
  let otherCpu = 0;
  for (let round = 1; round <= o.rounds; round++) {
    await prepare();
    const curl = await runCurlPool(urls.map((url, i) => ({ url, outPath: join(out, `c${i}`), expectedBytes: o.mb * MIB })), o.files, abort.signal);
    if (curl.failures.length > 0) throw new Error(`curl failed: ${curl.failures.map((f) => `${f.url}: ${f.reason}`).join('; ')}`);
    const c = curl.elapsedMs;
    await prepare();
    const before = threadSnapshot(process.pid);
    const t0 = performance.now();
    const results = await Promise.all(urls.map((url, i) => fetchToFile({
      url, file: join(out, `o${i}`), signal: abort.signal, limits: DEFAULT_FETCH_LIMITS, agent, hostLimiter,
    })));
    const f = performance.now() - t0;
    const threads = threadTimes(process.pid, before, threadSnapshot(process.pid));
    if (threads === undefined) throw new Error('no per-thread CPU times in /proc on this system');
    if (results.some((r) => r.size !== o.mb * MIB)) throw new Error('a download has the wrong size');
    curlMs += c;
    fetchMs += f;
    mainCpu += threads.main.cpuMs;
    otherCpu += threads.others.cpuMs;
    console.log(`round ${round}: curl ${(totalMib / (c / 1000)).toFixed(0)} MiB/s, fetchToFile ${(totalMib / (f / 1000)).toFixed(0)} MiB/s; `
      + `fetcher CPU per MiB: main thread ${(threads.main.cpuMs / totalMib).toFixed(2)} ms, other threads ${(threads.others.cpuMs / totalMib).toFixed(2)} ms`);
  }
  const mib = totalMib * o.rounds;
  const perMibMain = mainCpu / mib;
  console.log(`overall: curl ${(mib / (curlMs / 1000)).toFixed(0)} MiB/s, fetchToFile ${(mib / (fetchMs / 1000)).toFixed(0)} MiB/s, ratio ${(curlMs / fetchMs).toFixed(3)}; `
    + `main thread ${perMibMain.toFixed(2)} ms/MiB (one process's ceiling ≈ ${(1000 / perMibMain).toFixed(0)} MiB/s), other threads ${(otherCpu / mib).toFixed(2)} ms/MiB`);
  console.log(JSON.stringify({
    bench: 'fetch', files: o.files, mib: o.mb, rounds: o.rounds, curlMibPerS: mib / (curlMs / 1000), fetchMibPerS: mib / (fetchMs / 1000),
    ratio: curlMs / fetchMs, mainThreadMsPerMib: perMibMain, otherThreadsMsPerMib: otherCpu / mib,
  }));
  return 0;
}

await runBench({
  name: 'bench/fetch',
  argv: process.argv.slice(2),
  parse,
  isUsageError: (err) => err instanceof UsageError,
  budgetMs: (o) => (120 + o.rounds * o.files * o.mb * 0.2) * 1000,
  cleanup,
  abort,
  main,
});

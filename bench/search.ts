// bench/search: SearchMedia latency on a library of 1,000,000 videos, on SQLite and on Postgres.
// Goal: p95 under 50 ms for the typical queries.
//
//   node --import tsx bench/search.ts [--quick] [--rows 1000000] [--dialect both|sqlite|postgres]
//                                     [--samples 200] [--scrolls 6] [--pages 50]
//
// Each dialect gets a fresh migrated store (SQLite: a temp dir; Postgres: its own schema on
// OPENVOD_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test, dropped afterwards),
// seeded in bulk with deterministic synthetic videos (bench/lib/search-data.ts). Every query runs
// through the SearchMedia action itself (parameters → Match parser → SQL → rows and Total →
// MediaList with signed URLs), in this process, one at a time; only the HTTP and signature layers
// (measured by bench/rpc) are left out. Typical queries, each with fresh random values:
//   A  a title word + Status + a six-month CreationTime range, sorted by CreationTime, 20 a page,
//      with Title, CoverURL, Duration, Status and CateName returned;
//   B  deep scroll: ScrollToken traversals of --pages pages of 100 (Status + an open-ended time
//      range, ascending or descending, starting deep in the library).
// Informational rows (no goal): a title word alone; a 2-character title value (no trigram index
// can serve it: a scan); page mode at PageNo 50 × PageSize 100.
// Each row reports latency (p50/p95/max) and the mean CPU time per query (this process plus, on
// Postgres, its server backends from /proc): on a shared machine latency follows the load, CPU per
// query much less. A verdict compares p95 with the goal; the exit code is 0 either way (a bench
// reports, it does not gate).
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Params } from '../src/api/rpc/params.js';
import { loadConfig } from '../src/config/config.js';
import { isoSeconds } from '../src/domain/time.js';
import { storedUrlRenderer } from '../src/playback/playback-urls.js';
import { searchMedia } from '../src/search/search.actions.js';
import { type Dialect, openStore, type Store } from '../src/store/db.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { runBench } from './lib/bench-main.js';
import { createCleanup } from './lib/cleanup.js';
import { quantile } from './lib/latency.js';
import { ownCpuMs, processCpuMs } from './lib/proc-cpu.js';
import { benchVideo, mulberry32, type Rng, SPAN_MS, SPAN_START_MS, vocabulary } from './lib/search-data.js';
import { seedPostgres, seedSqlite } from './lib/search-seed.js';

const GOAL_P95_MS = 50;
const DEFAULT_PG = 'postgres://postgres@127.0.0.1:5432/test';
const USAGE = 'usage: node --import tsx bench/search.ts [--quick] [--rows N] [--dialect both|sqlite|postgres] [--samples N] [--scrolls N] [--pages N]';

interface Options {
  rows: number;
  dialects: Dialect[];
  samples: number;
  scrolls: number;
  pages: number;
}

class UsageError extends Error {
  constructor(problems: string[]) {
    super(`${problems.join('; ')}\n${USAGE}`);
    this.name = 'UsageError';
  }
}

function parseOptions(argv: string[]): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        quick: { type: 'boolean', default: false }, rows: { type: 'string' }, dialect: { type: 'string', default: 'both' },
        samples: { type: 'string', default: '200' }, scrolls: { type: 'string', default: '6' }, pages: { type: 'string', default: '50' },
      },
    }));
  } catch (err) {
    throw new UsageError([(err as Error).message]);
  }
  const problems: string[] = [];
  const int = (name: string, raw: string, min: number, max: number): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) problems.push(`--${name}: "${raw}" must be an integer in ${min}..${max}`);
    return n;
  };
  const dialects: Dialect[] = values.dialect === 'both' ? ['sqlite', 'postgres'] : values.dialect === 'sqlite' || values.dialect === 'postgres' ? [values.dialect] : [];
  if (dialects.length === 0) problems.push(`--dialect: "${values.dialect}" must be both, sqlite or postgres`);
  const opts = {
    rows: int('rows', values.rows ?? (values.quick ? '100000' : '1000000'), 1000, 20_000_000),
    dialects,
    samples: int('samples', values.samples, 10, 100_000),
    scrolls: int('scrolls', values.scrolls, 1, 1000),
    pages: int('pages', values.pages, 2, 10_000),
  };
  if (problems.length > 0) throw new UsageError(problems);
  return opts;
}

const cleanup = createCleanup((message) => void process.stderr.write(`${message}\n`));
const abort = new AbortController();
const say = (line: string): void => void process.stdout.write(`${line}\n`);

interface Row {
  dialect: Dialect;
  query: string;
  goal: boolean;
  samples: number[];
  /** CPU time per query: this process, plus on Postgres the server backends serving it. */
  cpu: number[];
  note: string;
}

const APPLICATION_NAME = 'openvod-bench-search';

interface Target {
  store: Store;
  dataDir: string;
  databaseUrl: string | undefined;
  /** CPU time so far of the Postgres backends serving the store (0 for SQLite: it runs in this process). */
  serverCpuMs(): Promise<number>;
}

async function openTarget(dialect: Dialect): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), 'openvod-bench-search-'));
  cleanup.defer(`remove ${dataDir}`, () => rmSync(dataDir, { recursive: true, force: true }));
  if (dialect === 'sqlite') return { store: openStore({ dataDir }), dataDir, databaseUrl: undefined, serverCpuMs: async () => 0 };
  const base = process.env.OPENVOD_BENCH_DATABASE_URL || DEFAULT_PG;
  const schema = `bench_search_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  cleanup.defer(`drop schema ${schema}`, async () => {
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    await c.query(`drop schema if exists ${schema} cascade`);
    await c.end();
  });
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  url.searchParams.set('application_name', APPLICATION_NAME);
  const databaseUrl = url.toString();
  const monitor = new pg.Client({ connectionString: base });
  await monitor.connect();
  cleanup.defer('close monitor connection', () => monitor.end());
  // /proc ticks are 10 ms: per query this is coarse, over a row's samples the mean is right.
  const serverCpuMs = async (): Promise<number> => {
    const r = await monitor.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [APPLICATION_NAME]);
    return r.rows.reduce((sum, { pid }) => sum + (processCpuMs(pid) ?? 0), 0);
  };
  return { store: openStore({ databaseUrl, dataDir }), dataDir, databaseUrl, serverCpuMs };
}

async function seed(dialect: Dialect, target: Target, rows: number): Promise<void> {
  const cateIds: number[] = [];
  for (let i = 0; i < 20; i++) {
    const c = await target.store.db.insertInto('categories')
      .values({ app_id: 'app-1000000', parent_id: -1, level: 0, cate_name: `Category ${i}`, type: 'default', created_at_ms: SPAN_START_MS })
      .returning('cate_id').executeTakeFirstOrThrow();
    cateIds.push(Number(c.cate_id));
  }
  const words = vocabulary();
  const rng = mulberry32(42);
  const row = (i: number) => benchVideo(rng, words, cateIds, i, rows);
  const started = performance.now();
  let last = started;
  const progress = (done: number) => {
    const now = performance.now();
    if (now - last > 10_000 || done === rows) {
      say(`  ${dialect}: ${done.toLocaleString('en')} rows seeded (${Math.round((done / (now - started)) * 1000).toLocaleString('en')} rows/s)`);
      last = now;
    }
  };
  if (dialect === 'sqlite') seedSqlite(join(target.dataDir, 'openvod.sqlite'), rows, row, progress, abort.signal);
  else await seedPostgres(target.databaseUrl as string, rows, row, progress, abort.signal);
  say(`  ${dialect}: seeded ${rows.toLocaleString('en')} videos in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

type Search = (params: Record<string, string | number | undefined>) => Promise<{ Total: number; ScrollToken?: string; MediaList: unknown[] }>;

function searcher(store: Store, dataDir: string): Search {
  const config = loadConfig({ flags: { dataDir }, env: {}, cwd: dataDir });
  return async (params) => {
    const nowMs = Date.now();
    const env = { store, url: storedUrlRenderer({ config, playbackKey: 'bench-playback-key' }, nowMs) };
    const map = new Map<string, string>();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) map.set(k, String(v));
    return (await searchMedia(env, new Params(map), nowMs)) as Awaited<ReturnType<Search>>;
  };
}

type Timer = <T>(row: Pick<Row, 'samples' | 'cpu'>, run: () => Promise<T>) => Promise<T>;

/** Times one query: latency, and CPU (this process plus the server's, read outside the timing). */
const timer = (serverCpuMs: () => Promise<number>): Timer => async (row, run) => {
  const s0 = await serverCpuMs();
  const c0 = ownCpuMs();
  const t0 = performance.now();
  const r = await run();
  row.samples.push(performance.now() - t0);
  const c1 = ownCpuMs();
  row.cpu.push(c1 - c0 + (await serverCpuMs()) - s0);
  return r;
};

const HALF_YEAR_MS = 182 * 86_400_000;
const randomTime = (rng: Rng, lo: number, hi: number): number => Math.floor(lo + rng() * (hi - lo));

function titleWordQuery(rng: Rng, words: readonly string[]) {
  const start = randomTime(rng, SPAN_START_MS, SPAN_START_MS + SPAN_MS - HALF_YEAR_MS);
  return {
    Match: `Title = '${words[Math.floor(rng() * words.length)]}' and Status in ('Normal') and CreationTime = ('${isoSeconds(start)}','${isoSeconds(start + HALF_YEAR_MS)}')`,
    SortBy: 'CreationTime:Desc', PageSize: 20, Fields: 'Title,CoverURL,Duration,Status,CateName',
  };
}

async function measure(dialect: Dialect, search: Search, timed: Timer, opts: Options): Promise<Row[]> {
  const rng = mulberry32(7);
  const words = vocabulary();
  const rows: Row[] = [];
  const add = (query: string, goal: boolean, note = ''): Row => {
    const row: Row = { dialect, query, goal, samples: [], cpu: [], note };
    rows.push(row);
    return row;
  };
  for (let i = 0; i < 20; i++) await search(titleWordQuery(rng, words)); // warm-up

  const a = add('A  title word + status + 6-month range, 20/page', true);
  let hits = 0;
  for (let i = 0; i < opts.samples && !abort.signal.aborted; i++) hits += (await timed(a, () => search(titleWordQuery(rng, words)))).Total;
  a.note = `avg Total ${Math.round(hits / Math.max(1, a.samples.length))}`;

  const every = add(`B  deep scroll, ${opts.pages} pages of 100 (every page)`, true);
  const firsts = add('   of which first pages (count Total)', false);
  let scrolled = 0;
  for (let s = 0; s < opts.scrolls && !abort.signal.aborted; s++) {
    const asc = s % 2 === 0;
    const at = isoSeconds(randomTime(rng, SPAN_START_MS + SPAN_MS * 0.2, SPAN_START_MS + SPAN_MS * 0.8));
    const base = { Match: `Status in ('Normal') and CreationTime = ${asc ? `['${at}',)` : `(,'${at}']`}`, SortBy: `CreationTime:${asc ? 'Asc' : 'Desc'}`, PageSize: 100 };
    let page = await timed(every, () => search(base));
    firsts.samples.push(every.samples[every.samples.length - 1] as number);
    firsts.cpu.push(every.cpu[every.cpu.length - 1] as number);
    scrolled += page.MediaList.length;
    for (let n = 2; n <= opts.pages && page.ScrollToken !== undefined; n++) {
      const token = page.ScrollToken;
      page = await timed(every, () => search({ ...base, PageNo: n, ScrollToken: token }));
      scrolled += page.MediaList.length;
    }
  }
  every.note = `${scrolled.toLocaleString('en')} videos read`;

  const word = add('i  title word alone, 20/page', false);
  for (let i = 0; i < Math.min(50, opts.samples); i++) await timed(word, () => search({ Match: `Title = '${words[Math.floor(rng() * words.length)]}'`, PageSize: 20 }));
  const short = add('i  2-character title value (scan)', false);
  for (let i = 0; i < 5; i++) await timed(short, () => search({ Match: `Title = '${String.fromCharCode(97 + i)}q' and Status in ('Normal')`, PageSize: 20 }));
  const deepPage = add('i  page mode PageNo 50 x PageSize 100', false);
  for (let i = 0; i < 10; i++) await timed(deepPage, () => search({ Match: "Status in ('Normal')", PageSize: 100, PageNo: 50 }));
  return rows;
}

function table(rows: readonly Row[]): string[] {
  const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-').padStart(7);
  const lines = [
    `${'dialect'.padEnd(9)}${'query'.padEnd(50)}${'n'.padStart(6)}${'p50 ms'.padStart(8)}${'p95 ms'.padStart(8)}${'max ms'.padStart(8)}${'cpu/q'.padStart(8)}  verdict      note`,
  ];
  for (const r of rows) {
    const sorted = Float64Array.from(r.samples).sort();
    const cpuMean = r.cpu.reduce((a, b) => a + b, 0) / Math.max(1, r.cpu.length);
    const p95 = quantile(sorted, 0.95);
    const verdict = !r.goal ? '(info)' : p95 <= GOAL_P95_MS ? 'PASS' : 'BELOW GOAL';
    lines.push(`${r.dialect.padEnd(9)}${r.query.padEnd(50)}${String(r.samples.length).padStart(6)} ${ms(quantile(sorted, 0.5))} ${ms(p95)} ` +
      `${ms(sorted[sorted.length - 1] ?? Number.NaN)} ${ms(cpuMean)}  ${verdict.padEnd(12)} ${r.note}`);
  }
  lines.push('cpu/q: mean CPU time per query — this process (SQLite runs in it) plus, on Postgres, the server backends; it moves');
  lines.push(`less than latency when the machine is shared. Load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} CPUs`);
  return lines;
}

async function main(opts: Options): Promise<number> {
  say(`bench/search: ${opts.rows.toLocaleString('en')} videos; goal: p95 ≤ ${GOAL_P95_MS} ms for rows A and B`);
  const all: Row[] = [];
  for (const dialect of opts.dialects) {
    if (abort.signal.aborted) break;
    const target = await openTarget(dialect);
    cleanup.defer(`close ${dialect} store`, () => target.store.close());
    await migrateToLatest(target.store);
    await seed(dialect, target, opts.rows);
    all.push(...(await measure(dialect, searcher(target.store, target.dataDir), timer(target.serverCpuMs), opts)));
    await target.store.close();
  }
  say('');
  for (const line of table(all)) say(line);
  return abort.signal.aborted ? 130 : 0;
}

await runBench({
  name: 'bench/search',
  argv: process.argv.slice(2),
  parse: parseOptions,
  isUsageError: (err) => err instanceof UsageError,
  budgetMs: (opts) => 20 * 60_000 + (opts.rows / 1_000_000) * 40 * 60_000,
  cleanup,
  abort,
  main,
});

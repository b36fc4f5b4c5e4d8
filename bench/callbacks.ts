// bench/callbacks: event callbacks end to end, against a real `openvod serve` and a fast loopback
// receiver in this process.
//
//   node --import tsx bench/callbacks.ts [--events 5000] [--videos 500] [--latency-seconds 5] [--rate 20] [--concurrency 16]
//
// 1. Throughput. A backlog of `--events` outbox events over `--videos` videos is written to the
//    store (recordEvent, as the producers do) before the server starts; the server then drains it
//    to the receiver. Events/s = deliveries between the first and the last receipt. Baseline, in
//    the same run: this process POSTs the same bodies to the same receiver over an undici Pool with
//    as many connections as the dispatcher's concurrency (`--concurrency`, notify.concurrency) —
//    the receiver's raw capacity.
// 2. Latency. For `--latency-seconds`, `--rate` UpdateVideoInfo calls per second (signed RPC),
//    each a state change whose MediaBaseChangeComplete callback is timed from just before the call
//    to its receipt (same clock: the receiver is in this process). p50/p95/max.
// Every event must arrive exactly once (counted by EventId); otherwise the run is INVALID.
// OPENVOD_DATABASE_URL (postgres://…, its own schema) benches PostgreSQL, as bench/rpc does.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { recordEvent } from '../src/events/event.repository.js';
import { saveMessageCallback } from '../src/notify/message-callback.repository.js';
import { VodRpcClient } from '../src/sdk/rpc-client.js';
import { isPostgresUrl, openStore, type Store } from '../src/store/db.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { videoRow } from '../test/helpers/seed.js';
import { freePort, openvodServeArgs, spawnNode } from './lib/child.js';
import { createCleanup } from './lib/cleanup.js';
import { runBench } from './lib/bench-main.js';
import { quantile } from './lib/latency.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const KEY = { accessKeyId: 'LTAIbenchRootKey0001', accessKeySecret: 'benchRootSecret000000000001' };
interface Options { events: number; videos: number; latencySeconds: number; rate: number; concurrency: number }

const USAGE = 'usage: node --import tsx bench/callbacks.ts [--events 5000] [--videos 500] [--latency-seconds 5] [--rate 20] [--concurrency 16]';

class UsageError extends Error {}

function parseOptions(argv: string[]): Options {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        events: { type: 'string', default: '5000' }, videos: { type: 'string', default: '500' }, 'latency-seconds': { type: 'string', default: '5' },
        rate: { type: 'string', default: '20' }, concurrency: { type: 'string', default: '16' },
      },
    }).values as Record<string, string | undefined>;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${USAGE}`);
  }
  const int = (name: string, min: number, max: number): number => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}`);
    return n;
  };
  return {
    events: int('events', 1, 200_000), videos: int('videos', 1, 100_000), latencySeconds: int('latency-seconds', 1, 120), rate: int('rate', 1, 500),
    concurrency: int('concurrency', 1, 1000),
  };
}

/** The fast receiver: 200 at once; every receipt kept with its time. */
interface Receipt { eventId: string; atMs: number; title: string | undefined }
function startReceiver(): Promise<{ server: Server; url: string; receipts: Receipt[]; onReceipt: (fn: () => void) => void }> {
  const receipts: Receipt[] = [];
  let listener: () => void = () => undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const atMs = performance.now();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { EventId: string; MediaContent?: { Title?: string } };
      const title = body.MediaContent?.Title === undefined ? undefined : (JSON.parse(body.MediaContent.Title) as { NewValue: string }).NewValue;
      receipts.push({ eventId: body.EventId, atMs, title });
      res.writeHead(200).end();
      listener();
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}/callback`, receipts, onReceipt: (fn) => (listener = fn) });
    });
  });
}

const cleanup = createCleanup((message) => void process.stderr.write(`${message}\n`));
const abort = new AbortController();

async function waitUntil(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (abort.signal.aborted) throw new Error('aborted');
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function seedBacklog(store: Store, opts: Options, callbackUrl: string): Promise<string[]> {
  await saveMessageCallback(store.db, { appId: 'app-1000000', callbackType: 'HTTP', callbackUrl, eventTypes: 'ALL', authSwitch: 'on', authKey: 'Bench123Key' }, Date.now());
  const videos = Array.from({ length: opts.videos }, () => videoRow());
  for (let i = 0; i < videos.length; i += 500) await store.db.insertInto('videos').values(videos.slice(i, i + 500)).execute();
  const bodies: string[] = [];
  for (let i = 0; i < opts.events; i += 500) {
    await store.db.transaction().execute(async (trx) => {
      for (let j = i; j < Math.min(i + 500, opts.events); j++) {
        const v = videos[j % videos.length]!;
        await recordEvent(trx, {
          appId: v.app_id, mediaId: v.video_id, type: 'MediaBaseChangeComplete',
          fields: { Status: 'success', MediaId: v.video_id, MediaType: 'video', OperateMode: 'update', MediaContent: { Title: JSON.stringify({ NewValue: `backlog ${j}` }) } },
        }, Date.now());
      }
    });
  }
  const rows = await store.db.selectFrom('events').select('body').orderBy('seq').execute();
  for (const r of rows) bodies.push(r.body);
  return bodies;
}

async function baseline(url: string, bodies: readonly string[], receipts: Receipt[], connections: number): Promise<number> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  try {
    const start = receipts.length;
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: connections }, async () => {
      while (next < bodies.length && !abort.signal.aborted) {
        const body = bodies[next++]!;
        const res = await pool.request({ method: 'POST', path: target.pathname, body, headers: { 'content-type': 'application/json' } });
        await res.body.dump();
        if (res.statusCode !== 200) throw new Error(`baseline POST answered ${res.statusCode}`);
      }
    }));
    const elapsed = performance.now() - t0;
    if (receipts.length - start !== bodies.length) throw new Error('baseline: the receiver did not see every POST');
    return (bodies.length / elapsed) * 1000;
  } finally {
    await pool.close();
  }
}

async function main(opts: Options): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'openvod-bench-callbacks-'));
  cleanup.defer('remove data dir', () => rmSync(dataDir, { recursive: true, force: true }));
  const databaseUrl = isPostgresUrl(process.env.OPENVOD_DATABASE_URL) ? process.env.OPENVOD_DATABASE_URL : undefined;
  const receiver = await startReceiver();
  cleanup.defer('stop receiver', () => new Promise<void>((r) => { receiver.server.closeAllConnections(); receiver.server.close(() => r()); }));

  const store = openStore({ databaseUrl, dataDir });
  cleanup.defer('close store', () => store.close());
  await migrateToLatest(store);
  process.stdout.write(`bench/callbacks: ${databaseUrl ? 'postgres' : 'sqlite'}; seeding ${opts.events} events over ${opts.videos} videos…\n`);
  const bodies = await seedBacklog(store, opts, receiver.url);

  const port = await freePort();
  const configFile = join(dataDir, 'bench.json');
  writeFileSync(configFile, JSON.stringify({ notify: { concurrency: opts.concurrency } }));
  const child = spawnNode('openvod', [...openvodServeArgs(ROOT), '--data-dir', dataDir, '--port', String(port), '--config', configFile], {
    ...process.env, OPENVOD_ACCESS_KEY_ID: KEY.accessKeyId, OPENVOD_ACCESS_KEY_SECRET: KEY.accessKeySecret, OPENVOD_LOG_LEVEL: 'warn',
    OPENVOD_ALLOW_PRIVATE_NETWORKS: '1', ...(databaseUrl ? { OPENVOD_DATABASE_URL: databaseUrl } : {}),
  });
  cleanup.defer('stop openvod', () => child.stop());
  await child.waitReady(`http://127.0.0.1:${port}/healthz`, 60_000);

  // 1. Throughput: the backlog drains as soon as the worker starts.
  await waitUntil('the backlog', () => receiver.receipts.length >= opts.events, 10 * 60_000);
  const backlog = receiver.receipts.slice(0, opts.events);
  const drainMs = backlog[backlog.length - 1]!.atMs - backlog[0]!.atMs;
  const openvodRate = opts.events > 1 ? ((opts.events - 1) / drainMs) * 1000 : Number.NaN;
  const bareRate = await baseline(receiver.url, bodies, receiver.receipts, opts.concurrency);
  const afterBaseline = receiver.receipts.length;

  // 2. Latency under a steady trickle of state changes.
  const vod = new VodRpcClient({ endpoint: `http://127.0.0.1:${port}`, ...KEY, method: 'POST' });
  const videoIds = (await store.db.selectFrom('videos').select('video_id').limit(50).execute()).map((r) => r.video_id);
  const sentAt = new Map<string, number>();
  const total = opts.latencySeconds * opts.rate;
  const t0 = performance.now();
  for (let i = 0; i < total && !abort.signal.aborted; i++) {
    const due = t0 + (i * 1000) / opts.rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const title = `latency ${i}`;
    sentAt.set(title, performance.now());
    await vod.call('UpdateVideoInfo', { VideoId: videoIds[i % videoIds.length]!, Title: title });
  }
  await waitUntil('the latency events', () => receiver.receipts.length >= afterBaseline + total, 120_000);
  const latencies = receiver.receipts.slice(afterBaseline)
    .map((r) => (r.title !== undefined && sentAt.has(r.title) ? r.atMs - sentAt.get(r.title)! : Number.NaN))
    .filter((x) => Number.isFinite(x))
    .sort((a, b) => a - b);

  // Exactly once: the backlog and the latency events, by EventId (the baseline re-sent the backlog bodies itself).
  const delivered = [...receiver.receipts.slice(0, opts.events), ...receiver.receipts.slice(afterBaseline)];
  const unique = new Set(delivered.map((r) => r.eventId)).size;
  const expected = opts.events + total;
  const valid = unique === expected && delivered.length === expected && latencies.length === total;

  const n = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
  const p50 = quantile(latencies, 0.5);
  const p95 = quantile(latencies, 0.95);
  const max = latencies[latencies.length - 1] ?? Number.NaN;
  process.stdout.write([
    '',
    `throughput  openvod ${n(openvodRate, 0)} events/s  (${opts.events} events, ${opts.videos} videos, ${opts.concurrency} in flight, drained in ${n(drainMs / 1000, 2)} s)`,
    `            baseline ${n(bareRate, 0)} POST/s  (same bodies, same receiver, ${opts.concurrency} connections from this process)`,
    `            ratio openvod/baseline ${n(openvodRate / bareRate, 2)}`,
    `latency     state change → receipt, ${total} UpdateVideoInfo at ${opts.rate}/s: p50 ${n(p50)} ms  p95 ${n(p95)} ms  max ${n(max)} ms`,
    `            (includes the RPC itself and the dispatcher's poll interval, notify.pollMs = 200 ms by default)`,
    `deliveries  ${delivered.length} received, ${unique} distinct, ${expected} expected → ${valid ? 'VALID' : 'INVALID'}`,
    JSON.stringify({
      bench: 'callbacks', database: databaseUrl ? 'postgres' : 'sqlite', eventsPerSecond: Math.round(openvodRate), baselinePerSecond: Math.round(bareRate),
      ratio: Number((openvodRate / bareRate).toFixed(3)), latencyP50Ms: Number(n(p50)), latencyP95Ms: Number(n(p95)), latencyMaxMs: Number(n(max)), valid,
    }),
    '',
  ].join('\n'));
  return valid ? 0 : 1;
}

await runBench({
  name: 'bench/callbacks',
  argv: process.argv.slice(2),
  parse: parseOptions,
  isUsageError: (err) => err instanceof UsageError,
  budgetMs: (o) => (180 + o.latencySeconds + o.events / 100) * 1000,
  cleanup,
  abort,
  main,
});

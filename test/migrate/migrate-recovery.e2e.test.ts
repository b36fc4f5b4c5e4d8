// Resolving submissions whose outcome the migrator does not know, against a real target, with
// the runner in this process so that answers can be lost on purpose:
//   - a crash after the target answered, resolved once the SessionId window has passed (by URL);
//   - an answer lost in the middle of a run (resent with its SessionId: the original jobs);
//   - a request that never reached the target (looked up, not found, sent as a new attempt);
// and --rewrite applied to the URLs sent.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openLedger } from '../../src/migrate/ledger/ledger.js';
import type { MigrateEvent } from '../../src/migrate/migrate.events.js';
import type { RunOptions } from '../../src/migrate/run/run-context.js';
import { runMigration, type RunResult } from '../../src/migrate/run/runner.js';
import { openSource } from '../../src/migrate/sources/index.js';
import type { MigrationSource, SourceItem } from '../../src/migrate/source.js';
import { md5Hex } from '../helpers/origin.js';
import { createRateLimiter } from '../../src/migrate/target/rate-limiter.js';
import { createTarget, type RpcCaller } from '../../src/migrate/target/target-client.js';
import { VodRpcClient } from '../../src/sdk/rpc-client.js';
import { makeVideo } from '../helpers/media-fixtures.js';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { TEST_KEY_ID, TEST_KEY_SECRET } from '../helpers/server.js';
import { jobsFor, ledgerRows, runCli, startTarget, targetKeys, workDir, type Target } from './migrate-kit.js';

const dir = workDir('migrate-recovery');
let target: Target;
let origin: Origin;
let clip: Buffer;

before(async () => {
  clip = readFileSync(await makeVideo(dir, { seconds: 1, width: 160, height: 120 }));
  origin = await startOrigin();
  target = await startTarget(dir);
});
after(async () => {
  await target?.server.cleanup();
  await origin?.close();
});

function library(prefix: string, n: number): { list: string; urls: string[] } {
  const urls: string[] = [];
  for (let i = 0; i < n; i++) {
    const path = `/${prefix}/c${i}.mp4`;
    origin.serveBytes(path, clip, { contentType: 'video/mp4' });
    urls.push(origin.url(path));
  }
  const list = join(dir, `${prefix}.txt`);
  writeFileSync(list, `${urls.join('\n')}\n`);
  return { list, urls };
}

const OPTIONS: RunOptions = {
  method: 'pull', maxInFlight: 50, pollIntervalMs: 200, pushConcurrencyPerHost: 4, pushAttempts: 3, verifyToleranceS: 1, retryFailed: false,
  rewrites: [], placement: {}, urlExpiresInS: 3600, sessionReuseMs: 8 * 60_000,
};

/** The runner in this process; `wrap` sits between it and the signed RPC client. */
async function runHere(
  list: string | MigrationSource, ledgerPath: string, o: { wrap?: (rpc: RpcCaller) => RpcCaller; options?: Partial<RunOptions> } = {},
): Promise<{ result: RunResult; events: MigrateEvent[] }> {
  const ledger = openLedger(ledgerPath, { lock: true });
  const source = typeof list === 'string' ? openSource(`urls:${list}`, {}) : list;
  const rpc: RpcCaller = new VodRpcClient({ endpoint: target.url, accessKeyId: TEST_KEY_ID, accessKeySecret: TEST_KEY_SECRET, method: 'POST' });
  const events: MigrateEvent[] = [];
  try {
    const t = createTarget({
      rpc: o.wrap ? o.wrap(rpc) : rpc, limiter: createRateLimiter({ rates: {}, defaultRate: Infinity }), attempts: 1,
      backoff: { strategy: 'full', baseMs: 10, capMs: 50 }, timeoutMs: 30_000,
    });
    const result = await runMigration({ source, ledger, target: t, emit: (e) => events.push(e), signal: new AbortController().signal }, { ...OPTIONS, ...o.options });
    return { result, events };
  } finally {
    await source.close();
    ledger.close();
  }
}

/** Lets calls of `action` through, and does `what` with the first one. */
function onFirst(action: string, what: 'lose-answer' | 'never-send') {
  let done = false;
  return (rpc: RpcCaller): RpcCaller => ({
    async call<T>(a: string, params?: Record<string, string | number | boolean | undefined>, opts?: { signal?: AbortSignal }) {
      if (a !== action || done) return rpc.call<T>(a, params, opts);
      done = true;
      if (what === 'lose-answer') await rpc.call<T>(a, params, opts);
      throw new TypeError('fetch failed');
    },
  });
}

async function assertOnce(urls: readonly string[]): Promise<void> {
  for (const url of urls) assert.equal((await jobsFor(target.vod, url)).length, 1, url);
}

describe('unknown outcomes', () => {
  test('crash after the answer, the SessionId window passed: found by URL and the marker in UserData', async () => {
    const { list, urls } = library('late', 5);
    const ledger = join(dir, 'late.sqlite');
    const crashed = await runCli(['--source', `urls:${list}`, '--endpoint', target.url, '--state', ledger, ...targetKeys, '--json'],
      { OPENVOD_MIGRATE_TEST_CRASH: 'after-submit-answer:1' });
    assert.equal(crashed.signal, 'SIGKILL');
    assert.equal(ledgerRows(ledger).filter((r) => r.state === 'submitting').length, 5);
    const { result, events } = await runHere(list, ledger, { options: { sessionReuseMs: 0 } });
    assert.equal(result.outcome, 'done');
    assert.equal(result.counts.byState.succeeded, 5);
    const found = events.filter((e) => e.type === 'recovered');
    assert.equal(found.length, 5);
    assert.ok(found.every((e) => e.type === 'recovered' && e.how === 'found by URL'));
    assert.equal(events.filter((e) => e.type === 'submitted').length, 0);
    await assertOnce(urls);
  });

  test('an answer lost mid-run: resent with its SessionId, the target answers the original jobs', async () => {
    const { list, urls } = library('lost', 4);
    const { result, events } = await runHere(list, join(dir, 'lost.sqlite'), { wrap: onFirst('UploadMediaByURL', 'lose-answer') });
    assert.equal(result.outcome, 'done');
    assert.equal(result.counts.byState.succeeded, 4);
    const recovered = events.filter((e) => e.type === 'recovered');
    assert.equal(recovered.length, 4);
    assert.ok(recovered.every((e) => e.type === 'recovered' && e.how === 'resent with its SessionId'));
    await assertOnce(urls);
    for (const r of ledgerRows(join(dir, 'lost.sqlite'))) assert.equal(r.attempts, 1);
  });

  test('a request that never reached the target, window passed: not found by URL, sent as a new attempt', async () => {
    const { list, urls } = library('never', 3);
    const ledger = join(dir, 'never.sqlite');
    const { result, events } = await runHere(list, ledger, { wrap: onFirst('UploadMediaByURL', 'never-send'), options: { sessionReuseMs: 0 } });
    assert.equal(result.outcome, 'done');
    assert.equal(result.counts.byState.succeeded, 3);
    assert.equal(events.filter((e) => e.type === 'recovered').length, 0);
    const submitted = events.filter((e) => e.type === 'submitted');
    assert.equal(submitted.length, 3);
    assert.ok(submitted.every((e) => e.type === 'submitted' && e.attempt === 2));
    await assertOnce(urls);
  });

  test('--rewrite turns the listed URLs into the ones the target fetches', async () => {
    const path = '/rewritten/clip.mp4';
    origin.serveBytes(path, clip, { contentType: 'video/mp4' });
    const list = join(dir, 'rewrite.txt');
    writeFileSync(list, 'http://public.example.invalid/rewritten/clip.mp4\n');
    const ledger = join(dir, 'rewrite.sqlite');
    const r = await runCli(['--source', `urls:${list}`, '--endpoint', target.url, '--state', ledger, ...targetKeys, '--poll-interval', '0.2', '--json',
      '--rewrite', `^http://public\\.example\\.invalid/=${origin.url('/')}`]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const [row] = ledgerRows(ledger);
    assert.equal(row?.item_id, 'http://public.example.invalid/rewritten/clip.mp4');
    assert.equal(row?.submitted_url, origin.url(path));
    assert.equal(origin.requests(path).length > 0, true);
  });

  test('verification: a target that holds something else fails the item with its own code', async () => {
    origin.serveBytes('/verify/ok.mp4', clip, { contentType: 'video/mp4' });
    const items: SourceItem[] = [
      { id: origin.url('/verify/ok.mp4'), fileName: 'ok.mp4', md5: md5Hex(clip), size: clip.length, durationS: 1, extra: {} },
      { id: `${origin.url('/verify/ok.mp4')}?md5`, fileName: 'md5.mp4', md5: '0'.repeat(32), extra: {} },
      { id: `${origin.url('/verify/ok.mp4')}?size`, fileName: 'size.mp4', size: clip.length + 1, extra: {} },
      { id: `${origin.url('/verify/ok.mp4')}?duration`, fileName: 'duration.mp4', durationS: 30, extra: {} },
    ];
    const source: MigrationSource = {
      kind: 'test', spec: 'test:verify', defaultMethod: 'pull', methods: ['pull'],
      async *list() {
        yield* items;
      },
      close: async () => {},
    };
    const ledger = join(dir, 'verify.sqlite');
    const { result } = await runHere(source, ledger);
    assert.equal(result.outcome, 'done');
    assert.deepEqual(result.counts.failuresByCode, { 'Migrate.Md5Mismatch': 1, 'Migrate.SizeMismatch': 1, 'Migrate.DurationMismatch': 1 });
    const rows = new Map(ledgerRows(ledger).map((r) => [r.file_name, r]));
    assert.equal(rows.get('ok.mp4')?.state, 'succeeded');
    assert.equal(rows.get('md5.mp4')?.error_code, 'Migrate.Md5Mismatch');
    assert.ok(rows.get('md5.mp4')?.video_id, 'the video is kept for inspection (a retry deletes it first)');
  });
});

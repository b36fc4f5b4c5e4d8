// Process-level proofs with real worker processes (worker-process.fixture.ts) sharing one database:
// crash recovery after SIGKILL, and — on Postgres — two processes racing over many jobs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase, testDialect } from '../helpers/store.js';
import { openStore, type Store } from '../../src/store/db.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { enqueueJob, getJob } from '../../src/jobs/job.repository.js';
import { waitFor } from './job-test-kit.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const fixture = fileURLToPath(new URL('./worker-process.fixture.ts', import.meta.url));

interface RunRow {
  job_id: string;
  worker: string;
  attempt: number;
  started_ms: number;
  ended_ms: number | null;
}

interface WorkerProcess {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<unknown>;
}

let tdb: TestDatabase;
let store: Store;
const children: WorkerProcess[] = [];

before(async () => {
  tdb = await createTestDatabase();
  store = openStore({ databaseUrl: tdb.databaseUrl, dataDir: tdb.dataDir });
  await migrateToLatest(store);
  await sql`create table job_runs (job_id text not null, worker text not null, attempt integer not null, started_ms bigint not null, ended_ms bigint)`.execute(store.db);
});

after(async () => {
  for (const w of children) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await Promise.all(children.map((w) => w.exited));
  await store.close();
  await tdb.cleanup();
});

async function startWorkerProcess(workerId: string, opts: { concurrency: number; leaseMs: number; heartbeatMs: number; pollMs: number }): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      FIXTURE_WORKER_ID: workerId,
      FIXTURE_DATABASE_URL: tdb.databaseUrl ?? '',
      FIXTURE_DATA_DIR: tdb.dataDir,
      FIXTURE_CONCURRENCY: String(opts.concurrency),
      FIXTURE_LEASE_MS: String(opts.leaseMs),
      FIXTURE_HEARTBEAT_MS: String(opts.heartbeatMs),
      FIXTURE_POLL_MS: String(opts.pollMs),
    },
  });
  let err = '';
  let out = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = once(child, 'exit');
  const w: WorkerProcess = { child, stderr: () => err, exited };
  children.push(w);
  await waitFor(`worker ${workerId} ready`, () => {
    if (child.exitCode !== null) throw new Error(`worker ${workerId} exited early (${child.exitCode}): ${err}`);
    return out.includes('ready\n');
  }, { timeoutMs: 30_000 });
  return w;
}

async function stop(w: WorkerProcess): Promise<void> {
  w.child.kill('SIGTERM');
  await w.exited;
  assert.equal(w.child.exitCode, 0, `worker exit: ${w.stderr()}`);
}

const runsOf = async (jobId?: string): Promise<RunRow[]> => {
  const q = jobId === undefined ? sql<RunRow>`select * from job_runs order by started_ms` : sql<RunRow>`select * from job_runs where job_id = ${jobId} order by attempt`;
  return (await q.execute(store.db)).rows.map((r) => ({ ...r, attempt: Number(r.attempt), started_ms: Number(r.started_ms), ended_ms: r.ended_ms === null ? null : Number(r.ended_ms) }));
};

test(`a job whose worker is SIGKILLed mid-run is finished by another worker once the lease expires (${testDialect})`, async () => {
  const leaseMs = 1500;
  const { jobId } = await enqueueJob(store.db, { kind: 'test.sleep', payload: { ms: 4000, marker: 'crash' }, maxAttempts: 3 });
  const a = await startWorkerProcess('crash-A', { concurrency: 1, leaseMs, heartbeatMs: 300, pollMs: 50 });
  await waitFor('worker A started the job', async () => (await runsOf(jobId)).some((r) => r.worker === 'crash-A'));
  a.child.kill('SIGKILL');
  await a.exited;
  assert.equal(a.child.signalCode, 'SIGKILL');

  const b = await startWorkerProcess('crash-B', { concurrency: 1, leaseMs, heartbeatMs: 300, pollMs: 50 });
  const row = await waitFor('job succeeded', async () => {
    const r = await getJob(store.db, jobId);
    return r?.status === 'succeeded' ? r : undefined;
  }, { timeoutMs: 60_000 });
  await stop(b);

  const runs = await runsOf(jobId);
  assert.deepEqual(runs.map((r) => [r.worker, r.attempt, r.ended_ms !== null]), [
    ['crash-A', 1, false],
    ['crash-B', 2, true],
  ], `runs: ${JSON.stringify(runs)}; worker B stderr: ${b.stderr()}`);
  assert.equal(runs.filter((r) => r.ended_ms !== null).length, 1, 'the side effect completed exactly once');
  assert.equal(row.attempts, 2);
  assert.equal(row.locked_by, null);
});

test('two worker processes racing over 200 jobs run each exactly once, never overlapping', { skip: testDialect === 'sqlite' ? 'SQLite is single-writer by design: concurrent claimers are a Postgres concern (run with OPENVOD_TEST_DATABASE_URL)' : false }, async () => {
  const opts = { concurrency: 4, leaseMs: 10_000, heartbeatMs: 1000, pollMs: 10 };
  const [p, q] = await Promise.all([startWorkerProcess('race-P', opts), startWorkerProcess('race-Q', opts)]);
  const ids: string[] = [];
  await store.db.transaction().execute(async (trx) => {
    for (let i = 0; i < 200; i++) {
      const { jobId } = await enqueueJob(trx, { kind: 'test.sleep', payload: { ms: 5 + (i % 7) * 3, marker: `race-${i}` } });
      ids.push(jobId);
    }
  });
  await waitFor('all 200 jobs succeeded', async () => {
    const r = await store.db.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('n')).where('job_id', 'in', ids).where('status', '=', 'succeeded').executeTakeFirstOrThrow();
    return Number(r.n) === 200;
  }, { timeoutMs: 120_000, intervalMs: 100 });
  await Promise.all([stop(p), stop(q)]);

  const runs = (await runsOf()).filter((r) => ids.includes(r.job_id));
  const byJob = new Map<string, RunRow[]>();
  for (const r of runs) byJob.set(r.job_id, [...(byJob.get(r.job_id) ?? []), r]);
  const overlapping = [...byJob.values()].filter((rs) =>
    rs.some((x, i) => rs.some((y, j) => i < j && x.started_ms < (y.ended_ms ?? Number.POSITIVE_INFINITY) && y.started_ms < (x.ended_ms ?? Number.POSITIVE_INFINITY))),
  );
  assert.deepEqual(overlapping, [], 'no two executions of a job overlapped');
  const notOnce = ids.filter((id) => byJob.get(id)?.length !== 1);
  assert.deepEqual(notOnce, [], 'every job ran exactly once');
  assert.ok(runs.every((r) => r.ended_ms !== null && r.attempt === 1), 'every run completed on its first attempt');
  const perWorker = new Map<string, number>();
  for (const r of runs) perWorker.set(r.worker, (perWorker.get(r.worker) ?? 0) + 1);
  assert.ok((perWorker.get('race-P') ?? 0) > 0 && (perWorker.get('race-Q') ?? 0) > 0, `both processes took part: ${JSON.stringify([...perWorker])}`);
});

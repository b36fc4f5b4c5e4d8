// The worker against a real store (SQLite, or Postgres with OPENVOD_TEST_DATABASE_URL).
// Waits are polls with generous deadlines; nothing asserts on elapsed time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestStore, testDialect } from '../helpers/store.js';
import type { Store } from '../../src/store/db.js';
import { createWorker, type Worker, type WorkerOptions } from '../../src/jobs/worker.js';
import { claimJobs, enqueueJob, getJob, cancelJob, type JobRecord } from '../../src/jobs/job.repository.js';
import { JobConfigError, LeaseLostError, PermanentJobError, WorkerCloseError, WorkerClosingError, WorkerStateError } from '../../src/jobs/job.errors.js';
import { silentJobLogger } from '../../src/jobs/job-logger.js';
import type { JobContext } from '../../src/jobs/job-registry.js';
import { abortableSleep, captureLogger, type SleepHandler, testRegistry, waitFor } from './job-test-kit.js';

type TestStore = Awaited<ReturnType<typeof createTestStore>>;

async function withStore(fn: (t: TestStore) => Promise<void>): Promise<void> {
  const t = await createTestStore();
  try {
    await fn(t);
  } finally {
    await t.cleanup();
  }
}

function makeWorker(store: Store, handle: SleepHandler, overrides: Partial<WorkerOptions> = {}): Worker {
  return createWorker({
    store,
    registry: testRegistry(handle),
    workerId: `test-worker-${Math.random().toString(36).slice(2, 8)}`,
    concurrency: 2,
    leaseMs: 3000,
    heartbeatMs: 300,
    pollMs: 25,
    backoff: { strategy: 'full', baseMs: 20, capMs: 50 },
    closeGraceMs: 2000,
    log: silentJobLogger,
    ...overrides,
  });
}

const enqueue = (store: Store, marker: string, extra: { maxAttempts?: number; ms?: number } = {}) =>
  enqueueJob(store.db, { kind: 'test.sleep', payload: { ms: extra.ms ?? 0, marker }, ...(extra.maxAttempts === undefined ? {} : { maxAttempts: extra.maxAttempts }) });

const statusIs = (store: Store, jobId: string, status: JobRecord['status']) => async () => {
  const row = await getJob(store.db, jobId);
  return row?.status === status ? row : undefined;
};

test(`a worker runs a job to success; its log lines carry jobId and kind (${testDialect})`, () =>
  withStore(async ({ store }) => {
    const log = captureLogger();
    const seen: JobContext[] = [];
    const worker = makeWorker(
      store,
      async (payload, ctx) => {
        seen.push(ctx);
        ctx.log.info({ marker: payload.marker }, 'handler ran');
        return { kind: 'done' };
      },
      { log },
    );
    const { jobId } = await enqueue(store, 'hello');
    worker.start();
    worker.start(); // idempotent
    const row = await waitFor('job succeeded', statusIs(store, jobId, 'succeeded'));
    await worker.close();
    assert.equal(row.attempts, 1);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.jobId, jobId);
    assert.equal(seen[0]?.attempt, 1);
    assert.equal(seen[0]?.maxAttempts, 3);
    const jobLines = log.entries.filter((e) => e.fields.jobId === jobId);
    assert.ok(jobLines.some((e) => e.message === 'handler ran' && e.fields.kind === 'test.sleep' && e.fields.marker === 'hello'));
    assert.ok(jobLines.some((e) => e.message === 'job succeeded' && e.fields.kind === 'test.sleep'));
    assert.ok(log.entries.every((e) => e.fields.workerId === worker.workerId), 'every line names the worker');
  }));

test(`thrown errors are retried with backoff until the job succeeds (${testDialect})`, () =>
  withStore(async ({ store }) => {
    const attempts: number[] = [];
    const worker = makeWorker(store, async (_p, ctx) => {
      attempts.push(ctx.attempt);
      if (ctx.attempt < 3) throw new Error(`flaky ${ctx.attempt}`, { cause: new Error('socket hang up') });
      return { kind: 'done' };
    });
    const { jobId } = await enqueue(store, 'flaky', { maxAttempts: 5 });
    worker.start();
    const row = await waitFor('job succeeded', statusIs(store, jobId, 'succeeded'));
    await worker.close();
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.equal(row.attempts, 3);
    assert.equal(row.last_error, null);
  }));

test(`a failed attempt is rescheduled by the backoff policy and records its error (${testDialect})`, () =>
  withStore(async ({ store }) => {
    let calls = 0;
    const worker = makeWorker(
      store,
      async () => {
        calls += 1;
        throw new Error('upstream 503', { cause: new Error('connection reset') });
      },
      { backoff: { strategy: 'full', baseMs: 60_000, capMs: 60_000 }, random: () => 0.5 },
    );
    const { jobId } = await enqueue(store, 'backoff', { maxAttempts: 3 });
    worker.start();
    const row = await waitFor('retry scheduled', async () => {
      const r = await getJob(store.db, jobId);
      return r?.status === 'ready' && r.attempts === 1 ? r : undefined;
    });
    await worker.close();
    assert.equal(calls, 1);
    assert.equal(row.run_at_ms - row.updated_at_ms, 30_000, 'full jitter with random 0.5 of a 60 s ceiling');
    assert.equal(row.last_error, 'Error: upstream 503 <- caused by: Error: connection reset');
  }));

test(`a retry outcome with an explicit delay is honoured (${testDialect})`, () =>
  withStore(async ({ store }) => {
    const worker = makeWorker(store, async (_p, ctx) => (ctx.attempt === 1 ? { kind: 'retry', reason: 'Retry-After', delayMs: 10 } : { kind: 'done' }));
    const { jobId } = await enqueue(store, 'retry-after');
    worker.start();
    const row = await waitFor('job succeeded', statusIs(store, jobId, 'succeeded'));
    await worker.close();
    assert.equal(row.attempts, 2);
  }));

test(`a PermanentJobError goes dead without retries (${testDialect})`, () =>
  withStore(async ({ store }) => {
    let calls = 0;
    const worker = makeWorker(store, async () => {
      calls += 1;
      throw new PermanentJobError('source returned 404');
    });
    const { jobId } = await enqueue(store, 'permanent', { maxAttempts: 5 });
    worker.start();
    const row = await waitFor('job dead', statusIs(store, jobId, 'dead'));
    await sleep(100); // room for a (wrong) retry to show up
    await worker.close();
    assert.equal(calls, 1);
    assert.equal(row.attempts, 1);
    assert.match(row.last_error ?? '', /PermanentJobError: source returned 404/);
  }));

test(`a job that always fails is dead after max attempts (${testDialect})`, () =>
  withStore(async ({ store }) => {
    let calls = 0;
    const worker = makeWorker(store, async () => {
      calls += 1;
      throw new Error('always');
    });
    const { jobId } = await enqueue(store, 'doomed', { maxAttempts: 3 });
    worker.start();
    const row = await waitFor('job dead', statusIs(store, jobId, 'dead'));
    await worker.close();
    assert.equal(calls, 3);
    assert.equal(row.attempts, 3);
    assert.equal(row.last_error, 'Error: always');
  }));

test(`a stored payload that fails the catalog schema is dead without calling the handler (${testDialect})`, () =>
  withStore(async ({ store }) => {
    let calls = 0;
    const worker = makeWorker(store, async () => {
      calls += 1;
      return { kind: 'done' };
    });
    const now = Date.now();
    await store.db
      .insertInto('jobs')
      .values({ job_id: 'bad-payload', kind: 'test.sleep', payload: '{"ms":"later"}', status: 'ready', attempts: 0, max_attempts: 3, run_at_ms: now, created_at_ms: now, updated_at_ms: now })
      .execute();
    worker.start();
    const row = await waitFor('job dead', statusIs(store, 'bad-payload', 'dead'));
    await worker.close();
    assert.equal(calls, 0);
    assert.match(row.last_error ?? '', /JobPayloadError: invalid payload for job kind "test.sleep"/);
  }));

test(`heartbeats keep a job that outlives its lease from being reclaimed (${testDialect})`, () =>
  withStore(async ({ store }) => {
    const leaseMs = 800;
    let finished = false;
    const worker = makeWorker(
      store,
      async (_p, ctx) => {
        await abortableSleep(leaseMs * 4, ctx.signal);
        await ctx.heartbeat(); // an explicit renewal works too
        finished = true;
        return { kind: 'done' };
      },
      { leaseMs, heartbeatMs: 150 },
    );
    const { jobId } = await enqueue(store, 'long');
    worker.start();
    await waitFor('job running', statusIs(store, jobId, 'running'));
    let intruderClaims = 0;
    while (!finished) {
      const stolen = await claimJobs(store, { workerId: 'intruder', limit: 10, leaseMs: 60_000, nowMs: Date.now() });
      intruderClaims += stolen.length;
      await sleep(40);
    }
    const row = await waitFor('job succeeded', statusIs(store, jobId, 'succeeded'));
    await worker.close();
    assert.equal(intruderClaims, 0);
    assert.equal(row.attempts, 1);
  }));

test(`when another worker takes over the job, the old handler is aborted and its result discarded (${testDialect})`, () =>
  withStore(async ({ store }) => {
    let abortReason: unknown;
    let handlerReturned = false;
    const worker = makeWorker(
      store,
      async (_p, ctx) => {
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        abortReason = ctx.signal.reason;
        handlerReturned = true;
        return { kind: 'done' }; // ignores the abort and claims success: must not be recorded
      },
      { leaseMs: 2000, heartbeatMs: 100 },
    );
    const { jobId } = await enqueue(store, 'taken-over');
    worker.start();
    const running = await waitFor('job running', statusIs(store, jobId, 'running'));
    // What a reclaim by another worker does to the row.
    await store.db
      .updateTable('jobs')
      .set({ locked_by: 'new-owner', attempts: running.attempts + 1, locked_until_ms: Date.now() + 60_000 })
      .where('job_id', '=', jobId)
      .execute();
    await waitFor('handler aborted', () => handlerReturned);
    await waitFor('run recorded', () => worker.runningJobIds().length === 0);
    await worker.close();
    assert.ok(abortReason instanceof LeaseLostError);
    const row = await getJob(store.db, jobId);
    assert.equal(row?.status, 'running');
    assert.equal(row?.locked_by, 'new-owner');
  }));

test(`cancelling a running job aborts its handler (${testDialect})`, () =>
  withStore(async ({ store }) => {
    let abortReason: unknown;
    const worker = makeWorker(
      store,
      async (_p, ctx) => {
        try {
          await abortableSleep(60_000, ctx.signal);
        } catch (err) {
          abortReason = err;
          throw err;
        }
        return { kind: 'done' };
      },
      { heartbeatMs: 100 },
    );
    const { jobId } = await enqueue(store, 'cancel-me');
    worker.start();
    await waitFor('job running', statusIs(store, jobId, 'running'));
    assert.equal(await cancelJob(store.db, jobId), true);
    await waitFor('handler aborted', () => abortReason !== undefined);
    await waitFor('run recorded', () => worker.runningJobIds().length === 0);
    await worker.close();
    assert.ok(abortReason instanceof LeaseLostError);
    assert.equal((await getJob(store.db, jobId))?.status, 'cancelled');
  }));

test(`drain stops claiming and lets running jobs finish (${testDialect})`, () =>
  withStore(async ({ store }) => {
    let aborted = false;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const worker = makeWorker(store, async (payload, ctx) => {
      if (payload.marker === 'first') await gate;
      aborted ||= ctx.signal.aborted;
      return { kind: 'done' };
    });
    const first = await enqueue(store, 'first');
    worker.start();
    await waitFor('first job running', statusIs(store, first.jobId, 'running'));
    const drained = worker.drain();
    const second = await enqueue(store, 'second');
    worker.notify();
    await sleep(100);
    assert.equal((await getJob(store.db, second.jobId))?.status, 'ready', 'nothing claimed while draining');
    release();
    await drained;
    assert.equal((await getJob(store.db, first.jobId))?.status, 'succeeded');
    assert.equal(aborted, false, 'drain does not abort');
    const secondRow = await getJob(store.db, second.jobId);
    assert.equal(secondRow?.status, 'ready');
    assert.equal(secondRow?.attempts, 0);
    assert.throws(() => worker.start(), WorkerStateError);
    await worker.close();
    await worker.drain();
  }));

test(`close aborts running jobs and releases their leases at once; it is idempotent (${testDialect})`, () =>
  withStore(async ({ store }) => {
    const reasons: unknown[] = [];
    const worker = makeWorker(
      store,
      async (_p, ctx) => {
        try {
          await abortableSleep(60_000, ctx.signal);
        } catch (err) {
          reasons.push(err);
          throw err;
        }
        return { kind: 'done' };
      },
      { leaseMs: 60_000, heartbeatMs: 1000 },
    );
    const a = await enqueue(store, 'a');
    const b = await enqueue(store, 'b');
    worker.start();
    await waitFor('both running', () => worker.runningJobIds().length === 2);
    const closing = worker.close();
    assert.equal(worker.close(), closing, 'the same promise');
    await closing;
    await worker.close();
    assert.equal(reasons.length, 2);
    assert.ok(reasons.every((r) => r instanceof WorkerClosingError));
    for (const id of [a.jobId, b.jobId]) {
      const row = await getJob(store.db, id);
      assert.equal(row?.status, 'ready');
      assert.equal(row?.locked_by, null);
      assert.equal(row?.attempts, 0, 'a shutdown does not spend an attempt');
    }
    const reclaimed = await claimJobs(store, { workerId: 'next', limit: 10, leaseMs: 1000, nowMs: Date.now() });
    assert.equal(reclaimed.length, 2, 'claimable at once, though the 60 s lease had not run out');
    assert.deepEqual(worker.runningJobIds(), []);
    assert.throws(() => worker.start(), WorkerStateError);
  }));

test(`close releases the lease of a handler that ignores the abort, and discards its late result (${testDialect})`, () =>
  withStore(async ({ store }) => {
    let started = false;
    let finished = false;
    const worker = makeWorker(
      store,
      async () => {
        started = true;
        await sleep(800);
        finished = true;
        return { kind: 'done' };
      },
      { closeGraceMs: 50, leaseMs: 60_000, heartbeatMs: 1000 },
    );
    const { jobId } = await enqueue(store, 'stubborn');
    worker.start();
    // Not the row's status: a job claimed while close() begins is handed back without running.
    await waitFor('handler started', () => started);
    await worker.close();
    assert.equal(finished, false, 'close did not wait for the handler');
    assert.equal((await getJob(store.db, jobId))?.status, 'ready');
    await waitFor('handler finished', () => finished);
    await sleep(50);
    const row = await getJob(store.db, jobId);
    assert.equal(row?.status, 'ready', 'the late success is not recorded');
    assert.equal(row?.attempts, 0);
  }));

test(`close runs every step and reports failures (${testDialect})`, () =>
  withStore(async ({ store }) => {
    let aborted = false;
    const worker = makeWorker(
      store,
      async (_p, ctx) => {
        ctx.signal.addEventListener('abort', () => {
          aborted = true;
        });
        await sleep(300);
        return { kind: 'done' };
      },
      { closeGraceMs: 20 },
    );
    const { jobId } = await enqueue(store, 'store-gone');
    worker.start();
    await waitFor('job running', () => worker.runningJobIds().includes(jobId));
    await store.close(); // every write from here on fails
    const closing = worker.close();
    await assert.rejects(closing, WorkerCloseError);
    await assert.rejects(worker.close(), WorkerCloseError);
    assert.equal(aborted, true, 'handlers were aborted even though the store is gone');
    assert.deepEqual(worker.runningJobIds(), []);
  }));

test(`notify wakes an idle worker without waiting for the next poll (${testDialect})`, () =>
  withStore(async ({ store }) => {
    const worker = makeWorker(store, async () => ({ kind: 'done' }), { pollMs: 600_000 });
    worker.start();
    await sleep(100); // the first poll found nothing; the next is ten minutes away
    const { jobId } = await enqueue(store, 'wake');
    worker.notify();
    await waitFor('job succeeded', statusIs(store, jobId, 'succeeded'), { timeoutMs: 15_000 });
    await worker.close();
  }));

test('worker options are validated, every problem at once', () =>
  withStore(async ({ store }) => {
    assert.throws(
      () => makeWorker(store, async () => ({ kind: 'done' }), { workerId: '', concurrency: 0, leaseMs: 100, heartbeatMs: 200, pollMs: -1 }),
      (err: unknown) => err instanceof JobConfigError && err.problems.length === 4,
    );
  }));

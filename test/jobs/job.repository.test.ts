// The jobs table on the current dialect (SQLite, or Postgres with OPENVOD_TEST_DATABASE_URL).
// Clocks are explicit, so leases expire without waiting.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestStore, testDialect } from '../helpers/store.js';
import {
  cancelJob,
  claimJobs,
  completeJob,
  enqueueJob,
  failJob,
  getJob,
  heartbeatJob,
  type JobLease,
  type JobRecord,
  releaseJob,
} from '../../src/jobs/job.repository.js';
import { JobPayloadError } from '../../src/jobs/job.errors.js';

let t: Awaited<ReturnType<typeof createTestStore>>;
before(async () => {
  t = await createTestStore();
});
after(async () => {
  await t.cleanup();
});

const T0 = 1_700_000_000_000;
let seq = 0;
const uniqueWorker = (name: string) => `${name}-${++seq}`;
const leaseOf = (job: JobRecord): JobLease => ({ jobId: job.job_id, workerId: job.locked_by ?? '', attempt: job.attempts });

// Each test uses its own clock epoch far from the others, so jobs left behind by one test are not
// due (or already claimed) in the next.
let epoch = T0;
const nextEpoch = () => (epoch += 10_000_000);

async function claimOne(workerId: string, nowMs: number, leaseMs = 1000): Promise<JobRecord | undefined> {
  const [job] = await claimJobs(t.store, { workerId, limit: 1, leaseMs, nowMs });
  return job;
}

async function clearQueue(): Promise<void> {
  await t.store.db.deleteFrom('jobs').execute();
}

test(`enqueue in a transaction that rolls back leaves no job (${testDialect})`, async () => {
  await clearQueue();
  const rollback = new Error('rollback');
  let jobId = '';
  await assert.rejects(
    t.store.db.transaction().execute(async (trx) => {
      ({ jobId } = await enqueueJob(trx, { kind: 'test.sleep', payload: { ms: 1, marker: 'rolled-back' } }));
      assert.ok(await getJob(trx, jobId), 'visible inside the transaction');
      throw rollback;
    }),
    (err) => err === rollback,
  );
  assert.equal(await getJob(t.store.db, jobId), undefined);
  assert.deepEqual(await claimJobs(t.store, { workerId: 'w', limit: 10, leaseMs: 1000, nowMs: Date.now() + 1e9 }), []);

  const committed = await t.store.db.transaction().execute((trx) => enqueueJob(trx, { kind: 'test.sleep', payload: { ms: 1, marker: 'kept' } }));
  assert.equal((await getJob(t.store.db, committed.jobId))?.status, 'ready');
});

test(`enqueue validates the payload, applies catalog defaults and dedupes on jobId (${testDialect})`, async () => {
  const now = nextEpoch();
  await assert.rejects(
    enqueueJob(t.store.db, { kind: 'test.sleep', payload: { ms: -1, marker: 'x' } }),
    JobPayloadError,
  );
  const first = await enqueueJob(t.store.db, { kind: 'test.sleep', payload: { ms: 1, marker: 'a' }, jobId: 'fixed-id', nowMs: now });
  const again = await enqueueJob(t.store.db, { kind: 'test.sleep', payload: { ms: 2, marker: 'b' }, jobId: 'fixed-id', nowMs: now });
  assert.deepEqual(first, { jobId: 'fixed-id', created: true });
  assert.deepEqual(again, { jobId: 'fixed-id', created: false });
  const row = await getJob(t.store.db, 'fixed-id');
  assert.ok(row);
  assert.deepEqual(JSON.parse(row.payload), { ms: 1, marker: 'a' });
  assert.equal(row.max_attempts, 3, 'the catalog default');
  assert.equal(row.attempts, 0);
  assert.equal(row.run_at_ms, now);
  assert.equal(row.created_at_ms, now);
  assert.equal(typeof row.run_at_ms, 'number');
  await t.store.db.deleteFrom('jobs').where('job_id', '=', 'fixed-id').execute();
});

test(`claim takes due jobs oldest first, up to the limit, only of the given kinds (${testDialect})`, async () => {
  await clearQueue();
  const now = nextEpoch();
  const a = await enqueueJob(t.store.db, { kind: 'test.sleep', payload: { ms: 1, marker: 'a' }, runAtMs: now - 30, nowMs: now - 100 });
  const b = await enqueueJob(t.store.db, { kind: 'test.sleep', payload: { ms: 1, marker: 'b' }, runAtMs: now - 20, nowMs: now - 100 });
  const later = await enqueueJob(t.store.db, { kind: 'test.sleep', payload: { ms: 1, marker: 'later' }, runAtMs: now + 500, nowMs: now - 100 });

  assert.deepEqual(await claimJobs(t.store, { workerId: 'w', kinds: [], limit: 5, leaseMs: 1000, nowMs: now }), []);
  assert.deepEqual(await claimJobs(t.store, { workerId: 'w', kinds: ['other.kind'], limit: 5, leaseMs: 1000, nowMs: now }), []);

  const first = await claimJobs(t.store, { workerId: 'w1', kinds: ['test.sleep'], limit: 1, leaseMs: 1000, nowMs: now });
  assert.deepEqual(first.map((j) => j.job_id), [a.jobId]);
  const [claimed] = first;
  assert.ok(claimed);
  assert.equal(claimed.status, 'running');
  assert.equal(claimed.attempts, 1);
  assert.equal(claimed.locked_by, 'w1');
  assert.equal(claimed.locked_until_ms, now + 1000);

  const rest = await claimJobs(t.store, { workerId: 'w2', limit: 10, leaseMs: 1000, nowMs: now });
  assert.deepEqual(rest.map((j) => j.job_id), [b.jobId], 'the future job is not due, the running one is leased');
  const due = await claimJobs(t.store, { workerId: 'w2', limit: 10, leaseMs: 1000, nowMs: now + 500 });
  assert.deepEqual(due.map((j) => j.job_id), [later.jobId]);
});

test(`claim then complete (${testDialect})`, async () => {
  await clearQueue();
  const now = nextEpoch();
  const { jobId } = await enqueueJob(t.store.db, { kind: 'test.sleep', payload: { ms: 1, marker: 'c' }, nowMs: now });
  const job = await claimOne('w', now);
  assert.equal(job?.job_id, jobId);
  assert.ok(job);
  assert.equal(await heartbeatJob(t.store.db, leaseOf(job), { leaseMs: 1000, nowMs: now + 10 }), true);
  assert.equal((await getJob(t.store.db, jobId))?.locked_until_ms, now + 1010);
  assert.equal(await completeJob(t.store.db, leaseOf(job), { nowMs: now + 20 }), true);
  const row = await getJob(t.store.db, jobId);
  assert.equal(row?.status, 'succeeded');
  assert.equal(row?.finished_at_ms, now + 20);
  assert.equal(row?.locked_by, null);
  assert.equal(await completeJob(t.store.db, leaseOf(job), { nowMs: now + 30 }), false, 'a second completion is refused');
  assert.equal(await claimOne('w', now + 1e6), undefined, 'a finished job is never claimed again');
});

test(`an expired lease is reclaimed by another worker; the old worker can no longer write (${testDialect})`, async () => {
  await clearQueue();
  const now = nextEpoch();
  const { jobId } = await enqueueJob(t.store.db, { kind: 'test.sleep', payload: { ms: 1, marker: 'lease' }, nowMs: now });
  const byA = await claimOne(uniqueWorker('A'), now, 1000);
  assert.ok(byA);
  assert.equal(await claimOne(uniqueWorker('B'), now + 999), undefined, 'still leased');
  assert.equal(await claimOne(uniqueWorker('B'), now + 1000), undefined, 'leased up to and including locked_until_ms');
  const bId = uniqueWorker('B');
  const byB = await claimOne(bId, now + 1001, 1000);
  assert.equal(byB?.job_id, jobId);
  assert.equal(byB?.attempts, 2, 'the reclaim counts as an attempt');
  assert.equal(byB?.locked_by, bId);

  const a = leaseOf(byA);
  assert.equal(await heartbeatJob(t.store.db, a, { leaseMs: 1000, nowMs: now + 1002 }), false);
  assert.equal(await completeJob(t.store.db, a, { nowMs: now + 1003 }), false);
  assert.equal(await failJob(t.store.db, a, { error: 'late', permanent: true, retryDelayMs: 0, nowMs: now + 1003 }), 'lost');
  assert.equal(await releaseJob(t.store.db, a, { nowMs: now + 1003 }), false);
  let row = await getJob(t.store.db, jobId);
  assert.equal(row?.status, 'running');
  assert.equal(row?.locked_by, bId, "the old worker did not clobber the new owner's lease");

  assert.ok(byB);
  assert.equal(await completeJob(t.store.db, leaseOf(byB), { nowMs: now + 1500 }), true);
  row = await getJob(t.store.db, jobId);
  assert.equal(row?.status, 'succeeded');
});

test(`the same worker id reclaiming its own expired job fences the earlier attempt (${testDialect})`, async () => {
  await clearQueue();
  const now = nextEpoch();
  await enqueueJob(t.store.db, { kind: 'test.sleep', payload: { ms: 1, marker: 'self' }, nowMs: now });
  const first = await claimOne('same', now, 100);
  const second = await claimOne('same', now + 101, 100);
  assert.ok(first && second);
  assert.equal(await completeJob(t.store.db, leaseOf(first), { nowMs: now + 102 }), false, 'attempt 1 is stale');
  assert.equal(await completeJob(t.store.db, leaseOf(second), { nowMs: now + 102 }), true);
});

test(`failJob schedules a retry with the given delay, then dies after max attempts (${testDialect})`, async () => {
  await clearQueue();
  const now = nextEpoch();
  const { jobId } = await enqueueJob(t.store.db, { kind: 'test.sleep', payload: { ms: 1, marker: 'f' }, maxAttempts: 2, nowMs: now });
  const one = await claimOne('w', now);
  assert.ok(one);
  assert.equal(await failJob(t.store.db, leaseOf(one), { error: 'boom 1', permanent: false, retryDelayMs: 250, nowMs: now + 10 }), 'ready');
  let row = await getJob(t.store.db, jobId);
  assert.equal(row?.status, 'ready');
  assert.equal(row?.run_at_ms, now + 260);
  assert.equal(row?.last_error, 'boom 1');
  assert.equal(row?.locked_by, null);
  assert.equal(await claimOne('w', now + 259), undefined, 'not before the backoff');
  const two = await claimOne('w', now + 260);
  assert.equal(two?.attempts, 2);
  assert.ok(two);
  assert.equal(await failJob(t.store.db, leaseOf(two), { error: 'boom 2', permanent: false, retryDelayMs: 250, nowMs: now + 300 }), 'dead');
  row = await getJob(t.store.db, jobId);
  assert.equal(row?.status, 'dead');
  assert.equal(row?.last_error, 'boom 2');
  assert.equal(row?.finished_at_ms, now + 300);
  assert.equal(await claimOne('w', now + 1e6), undefined);
});

test(`a permanent failure is dead at once, with attempts left (${testDialect})`, async () => {
  await clearQueue();
  const now = nextEpoch();
  const { jobId } = await enqueueJob(t.store.db, { kind: 'test.sleep', payload: { ms: 1, marker: 'p' }, maxAttempts: 5, nowMs: now });
  const job = await claimOne('w', now);
  assert.ok(job);
  assert.equal(await failJob(t.store.db, leaseOf(job), { error: 'no such source', permanent: true, retryDelayMs: 0, nowMs: now + 1 }), 'dead');
  const row = await getJob(t.store.db, jobId);
  assert.equal(row?.status, 'dead');
  assert.equal(row?.attempts, 1);
});

test(`a job whose worker keeps dying runs out of attempts (${testDialect})`, async () => {
  await clearQueue();
  const now = nextEpoch();
  const { jobId } = await enqueueJob(t.store.db, { kind: 'test.sleep', payload: { ms: 1, marker: 'poison' }, maxAttempts: 2, nowMs: now });
  assert.equal((await claimOne('w1', now, 100))?.attempts, 1);
  assert.equal((await claimOne('w2', now + 101, 100))?.attempts, 2);
  assert.equal(await claimOne('w3', now + 202, 100), undefined, 'no attempts left: not claimed');
  const row = await getJob(t.store.db, jobId);
  assert.equal(row?.status, 'dead');
  assert.match(row?.last_error ?? '', /lease expired/);
  assert.equal(row?.attempts, 2);
});

test(`release gives the job back at once without spending the attempt (${testDialect})`, async () => {
  await clearQueue();
  const now = nextEpoch();
  const { jobId } = await enqueueJob(t.store.db, { kind: 'test.sleep', payload: { ms: 1, marker: 'r' }, nowMs: now });
  const job = await claimOne('w1', now, 60_000);
  assert.ok(job);
  assert.equal(await releaseJob(t.store.db, leaseOf(job), { nowMs: now + 5 }), true);
  const row = await getJob(t.store.db, jobId);
  assert.equal(row?.status, 'ready');
  assert.equal(row?.attempts, 0);
  assert.equal(row?.run_at_ms, now + 5);
  const again = await claimOne('w2', now + 5);
  assert.equal(again?.job_id, jobId, 'claimable at once, long before the old lease would have expired');
  assert.equal(again?.attempts, 1);
});

test(`cancel stops a ready job and fences a running one (${testDialect})`, async () => {
  await clearQueue();
  const now = nextEpoch();
  const ready = await enqueueJob(t.store.db, { kind: 'test.sleep', payload: { ms: 1, marker: 'cancel-ready' }, runAtMs: now + 1000, nowMs: now });
  assert.equal(await cancelJob(t.store.db, ready.jobId, { nowMs: now }), true);
  assert.equal(await claimOne('w', now + 5000), undefined);
  assert.equal((await getJob(t.store.db, ready.jobId))?.status, 'cancelled');

  const running = await enqueueJob(t.store.db, { kind: 'test.sleep', payload: { ms: 1, marker: 'cancel-running' }, nowMs: now });
  const job = await claimOne('w', now + 5000);
  assert.ok(job);
  assert.equal(await cancelJob(t.store.db, running.jobId, { nowMs: now + 5001, reason: 'user asked' }), true);
  assert.equal(await heartbeatJob(t.store.db, leaseOf(job), { leaseMs: 1000, nowMs: now + 5002 }), false);
  assert.equal(await completeJob(t.store.db, leaseOf(job), { nowMs: now + 5003 }), false);
  const row = await getJob(t.store.db, running.jobId);
  assert.equal(row?.status, 'cancelled');
  assert.equal(row?.last_error, 'user asked');
  assert.equal(await cancelJob(t.store.db, running.jobId), false, 'already finished');
});

test(`concurrent claimers never take the same job (${testDialect})`, async () => {
  await clearQueue();
  const now = nextEpoch();
  await t.store.db.transaction().execute(async (trx) => {
    for (let i = 0; i < 40; i++) await enqueueJob(trx, { kind: 'test.sleep', payload: { ms: 1, marker: `c${i}` }, nowMs: now });
  });
  const batches = await Promise.all(Array.from({ length: 8 }, (_, i) => claimJobs(t.store, { workerId: `w${i}`, limit: 7, leaseMs: 10_000, nowMs: now })));
  const ids = batches.flat().map((j) => j.job_id);
  assert.equal(new Set(ids).size, ids.length, 'no job claimed twice');
  assert.equal(ids.length, 40, 'enough claim capacity (56) for all 40 jobs');
});

// The jobs table: enqueue (inside the caller's transaction), claim with a lease, heartbeat, and
// the transitions out of `running`. Every transition after the claim is fenced on the lease —
// `status = 'running' AND locked_by = workerId AND attempts = attempt` — so a worker whose lease
// ran out cannot overwrite the result of the worker that reclaimed the job.
//
// Times are the caller's clock (`nowMs`); hosts sharing a database need reasonably synced clocks
// (skew eats into the lease).
import { randomUUID } from 'node:crypto';
import type { ExpressionBuilder, Kysely, Selectable, Transaction } from 'kysely';
import type { Store } from '../store/db.js';
import type { Database, JobTable } from '../store/schema.js';
import { JOB_CATALOG, type JobKind, type JobPayloads } from './job-catalog.js';
import { JobPayloadError } from './job.errors.js';

export type DbOrTrx = Kysely<Database> | Transaction<Database>;
export type JobRecord = Selectable<JobTable>;
export type JobStatus = JobTable['status'];

export interface EnqueueJobInput<K extends JobKind> {
  readonly kind: K;
  readonly payload: JobPayloads[K];
  /** Not before this time (default: now). */
  readonly runAtMs?: number;
  /** Default: the catalog's `maxAttempts` for the kind. */
  readonly maxAttempts?: number;
  /** Idempotency key: enqueueing an id that exists already is a no-op (`created: false`). */
  readonly jobId?: string;
  readonly nowMs?: number;
}

export interface EnqueuedJob {
  readonly jobId: string;
  readonly created: boolean;
}

/**
 * Inserts a ready job. Pass the transaction that writes the domain row the job serves, so both
 * commit or neither does. The payload is validated against the catalog first.
 */
export async function enqueueJob<K extends JobKind>(db: DbOrTrx, input: EnqueueJobInput<K>): Promise<EnqueuedJob> {
  const spec = JOB_CATALOG[input.kind];
  const parsed = spec.payload.safeParse(input.payload);
  if (!parsed.success) throw new JobPayloadError(input.kind, parsed.error.message, { cause: parsed.error });
  const maxAttempts = input.maxAttempts ?? spec.maxAttempts;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be an integer >= 1, got ${maxAttempts}`);
  const now = input.nowMs ?? Date.now();
  const jobId = input.jobId ?? randomUUID();
  const inserted = await db
    .insertInto('jobs')
    .values({
      job_id: jobId,
      kind: input.kind,
      payload: JSON.stringify(parsed.data),
      status: 'ready',
      attempts: 0,
      max_attempts: maxAttempts,
      run_at_ms: input.runAtMs ?? now,
      locked_by: null,
      locked_until_ms: null,
      last_error: null,
      created_at_ms: now,
      updated_at_ms: now,
      finished_at_ms: null,
    })
    .onConflict((oc) => oc.column('job_id').doNothing())
    .returning('job_id')
    .executeTakeFirst();
  return { jobId, created: inserted !== undefined };
}

export interface ClaimJobsInput {
  readonly workerId: string;
  /** Only these kinds (default: any). An empty list claims nothing. */
  readonly kinds?: readonly string[];
  readonly limit: number;
  readonly leaseMs: number;
  readonly nowMs: number;
}

/**
 * Claims up to `limit` jobs that are ready and due, or running with an expired lease (their worker
 * died or stalled), oldest `run_at_ms` first. Each claim increments `attempts`, so a job that keeps
 * killing its worker runs out of attempts: an expired job that has none left goes `dead` here
 * instead of being claimed.
 *
 * Postgres: `UPDATE … WHERE job_id IN (SELECT … FOR UPDATE SKIP LOCKED)` lets concurrent claimers
 * pass each other without blocking or double-claiming. SQLite serialises writers, and a single
 * `UPDATE … RETURNING` is atomic, so the same statement without the locking clause suffices.
 */
export async function claimJobs(store: Store, input: ClaimJobsInput): Promise<JobRecord[]> {
  if (input.limit <= 0 || (input.kinds !== undefined && input.kinds.length === 0)) return [];
  const { db, dialect } = store;
  const now = input.nowMs;
  const kinds = input.kinds;

  await db
    .updateTable('jobs')
    .set({ status: 'dead', last_error: 'lease expired and no attempts left', locked_by: null, locked_until_ms: null, updated_at_ms: now, finished_at_ms: now })
    .where('job_id', 'in', () => {
      let q = db
        .selectFrom('jobs')
        .select('job_id')
        .where('status', '=', 'running')
        .where('locked_until_ms', '<', now)
        .whereRef('attempts', '>=', 'max_attempts');
      if (kinds !== undefined) q = q.where('kind', 'in', kinds);
      return dialect === 'postgres' ? q.forUpdate().skipLocked() : q;
    })
    .execute();

  const claimed = await db
    .updateTable('jobs')
    .set((eb) => ({
      status: 'running',
      attempts: eb('attempts', '+', 1),
      locked_by: input.workerId,
      locked_until_ms: now + input.leaseMs,
      updated_at_ms: now,
    }))
    .where('job_id', 'in', () => {
      let q = db
        .selectFrom('jobs')
        .select('job_id')
        .where((eb) =>
          eb.or([
            eb.and([eb('status', '=', 'ready'), eb('run_at_ms', '<=', now)]),
            eb.and([eb('status', '=', 'running'), eb('locked_until_ms', '<', now), eb('attempts', '<', eb.ref('max_attempts'))]),
          ]),
        )
        .orderBy('run_at_ms')
        .orderBy('job_id')
        .limit(input.limit);
      if (kinds !== undefined) q = q.where('kind', 'in', kinds);
      return dialect === 'postgres' ? q.forUpdate().skipLocked() : q;
    })
    .returningAll()
    .execute();
  return claimed.sort((a, b) => a.run_at_ms - b.run_at_ms || (a.job_id < b.job_id ? -1 : 1));
}

/** Identifies one claim of a job: the fencing token for every later transition. */
export interface JobLease {
  readonly jobId: string;
  readonly workerId: string;
  readonly attempt: number;
}

/** Extends the lease to `nowMs + leaseMs`; false if this worker no longer holds it. */
export async function heartbeatJob(db: DbOrTrx, lease: JobLease, input: { leaseMs: number; nowMs: number }): Promise<boolean> {
  const r = await db
    .updateTable('jobs')
    .set({ locked_until_ms: input.nowMs + input.leaseMs, updated_at_ms: input.nowMs })
    .where(leaseHeld(lease))
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/** Marks the job `succeeded`; false if the lease was lost (the result is discarded). */
export async function completeJob(db: DbOrTrx, lease: JobLease, input: { nowMs: number }): Promise<boolean> {
  const now = input.nowMs;
  const r = await db
    .updateTable('jobs')
    .set({ status: 'succeeded', locked_by: null, locked_until_ms: null, last_error: null, updated_at_ms: now, finished_at_ms: now })
    .where(leaseHeld(lease))
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

export interface FailJobInput {
  readonly error: string;
  /** Go `dead` now, whatever the attempts left (PermanentJobError). */
  readonly permanent: boolean;
  /** Delay before the next attempt, when one is left. */
  readonly retryDelayMs: number;
  readonly nowMs: number;
}

/** `ready`: retry scheduled; `dead`: permanent or out of attempts; `lost`: the lease was lost, nothing written. */
export type FailJobResult = 'ready' | 'dead' | 'lost';

export async function failJob(db: DbOrTrx, lease: JobLease, input: FailJobInput): Promise<FailJobResult> {
  const now = input.nowMs;
  if (!input.permanent) {
    const r = await db
      .updateTable('jobs')
      .set({ status: 'ready', run_at_ms: now + Math.max(0, Math.round(input.retryDelayMs)), locked_by: null, locked_until_ms: null, last_error: input.error, updated_at_ms: now })
      .where(leaseHeld(lease))
      .whereRef('attempts', '<', 'max_attempts')
      .executeTakeFirst();
    if (r.numUpdatedRows > 0n) return 'ready';
  }
  const r = await db
    .updateTable('jobs')
    .set({ status: 'dead', locked_by: null, locked_until_ms: null, last_error: input.error, updated_at_ms: now, finished_at_ms: now })
    .where(leaseHeld(lease))
    .executeTakeFirst();
  return r.numUpdatedRows > 0n ? 'dead' : 'lost';
}

/**
 * Gives the job back without spending the attempt (the worker is shutting down): `ready`, due
 * now, claimable at once by any worker. False if the lease was lost.
 */
export async function releaseJob(db: DbOrTrx, lease: JobLease, input: { nowMs: number }): Promise<boolean> {
  const now = input.nowMs;
  const r = await db
    .updateTable('jobs')
    .set((eb) => ({ status: 'ready', attempts: eb('attempts', '-', 1), run_at_ms: now, locked_by: null, locked_until_ms: null, updated_at_ms: now }))
    .where(leaseHeld(lease))
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/**
 * Cancels a job that has not finished. A running job's worker learns it at its next heartbeat
 * (lease lost → its handler's signal is aborted) and its result is discarded.
 */
export async function cancelJob(db: DbOrTrx, jobId: string, input: { nowMs?: number; reason?: string } = {}): Promise<boolean> {
  const now = input.nowMs ?? Date.now();
  const r = await db
    .updateTable('jobs')
    .set({ status: 'cancelled', locked_by: null, locked_until_ms: null, last_error: input.reason ?? 'cancelled', updated_at_ms: now, finished_at_ms: now })
    .where('job_id', '=', jobId)
    .where('status', 'in', ['ready', 'running'])
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

export async function getJob(db: DbOrTrx, jobId: string): Promise<JobRecord | undefined> {
  return db.selectFrom('jobs').selectAll().where('job_id', '=', jobId).executeTakeFirst();
}

// The lease condition shared by every transition out of `running`.
function leaseHeld(lease: JobLease) {
  return (eb: ExpressionBuilder<Database, 'jobs'>) =>
    eb.and([eb('job_id', '=', lease.jobId), eb('status', '=', 'running'), eb('locked_by', '=', lease.workerId), eb('attempts', '=', lease.attempt)]);
}

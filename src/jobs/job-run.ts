// One claimed job inside a worker: runs its handler with a context, renews the lease while it
// runs (aborting the handler if the lease is lost), and records the outcome — fenced on the lease,
// so a run that lost its job writes nothing.
import type { Store } from '../store/db.js';
import { backoffDelayMs, type BackoffPolicy } from './backoff.js';
import { isJobKind, type JobKind } from './job-catalog.js';
import type { JobLogger } from './job-logger.js';
import type { JobContext, JobOutcome, JobRegistry } from './job-registry.js';
import { describeError, JobPayloadError, LeaseLostError, PermanentJobError } from './job.errors.js';
import { completeJob, failJob, heartbeatJob, type JobLease, type JobRecord, releaseJob } from './job.repository.js';

export interface JobRunDeps {
  readonly store: Store;
  readonly registry: JobRegistry;
  readonly workerId: string;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly backoff: BackoffPolicy;
  readonly now: () => number;
  readonly random: () => number;
  /** The worker's logger; the run adds jobId, kind and attempt. */
  readonly log: JobLogger;
}

export interface JobRun {
  readonly lease: JobLease;
  readonly log: JobLogger;
  /** Settles (never rejects) once the handler has finished and its outcome is recorded. */
  readonly done: Promise<void>;
  /** The worker is closing: abort the handler; an error it then throws releases the job instead of failing it. */
  abortForShutdown(reason: Error): void;
  /** The worker stopped waiting for this run: stop heartbeats and record nothing (the worker releases the lease). */
  abandon(): void;
}

type Settled = { readonly ok: true; readonly outcome: JobOutcome } | { readonly ok: false; readonly error: unknown };

export function startJobRun(deps: JobRunDeps, job: JobRecord): JobRun {
  const lease: JobLease = { jobId: job.job_id, workerId: deps.workerId, attempt: job.attempts };
  const log = deps.log.child({ jobId: job.job_id, kind: job.kind, attempt: job.attempts });
  const controller = new AbortController();
  let stopReason: 'shutdown' | 'lease_lost' | undefined;
  let abandoned = false;
  let leaseUntilMs = job.locked_until_ms ?? deps.now() + deps.leaseMs;
  let renewing: Promise<boolean> | undefined;

  const loseLease = (why: string, cause?: unknown): void => {
    if (controller.signal.aborted) return;
    stopReason = 'lease_lost';
    log.warn({ why }, 'lease lost; aborting the handler');
    controller.abort(new LeaseLostError(job.job_id, cause === undefined ? undefined : { cause }));
  };

  // Coalesces concurrent renewals; resolves false once the lease is known to be lost.
  const renew = (): Promise<boolean> => {
    renewing ??= (async () => {
      const nowMs = deps.now();
      try {
        if (await heartbeatJob(deps.store.db, lease, { leaseMs: deps.leaseMs, nowMs })) {
          leaseUntilMs = nowMs + deps.leaseMs;
          return true;
        }
        loseLease('the job is no longer running under this lease (reclaimed or cancelled)');
        return false;
      } catch (err) {
        if (deps.now() < leaseUntilMs) {
          log.warn({ err }, 'heartbeat failed; will retry before the lease expires');
          return true;
        }
        loseLease('could not renew the lease before it expired', err);
        return false;
      } finally {
        renewing = undefined;
      }
    })();
    return renewing;
  };

  const timer = setInterval(() => {
    if (!abandoned && stopReason === undefined) void renew();
  }, deps.heartbeatMs);

  const done = (async () => {
    const startedMs = deps.now();
    log.debug('job started');
    const settled = await runHandler(deps, job, (kind) => ({
      jobId: job.job_id,
      kind,
      attempt: job.attempts,
      maxAttempts: job.max_attempts,
      signal: controller.signal,
      log,
      heartbeat: async () => {
        if (controller.signal.aborted && stopReason === 'lease_lost') throw new LeaseLostError(job.job_id);
        if (!(await renew())) throw new LeaseLostError(job.job_id);
      },
    }));
    clearInterval(timer);
    if (abandoned) {
      log.warn({ durationMs: deps.now() - startedMs }, 'handler finished after the worker gave up on it; outcome not recorded');
      return;
    }
    try {
      await record(deps, job, lease, log, settled, stopReason, deps.now() - startedMs);
    } catch (err) {
      log.error({ err }, 'could not record the job outcome; the job will run again once its lease expires');
    }
  })();

  return {
    lease,
    log,
    done,
    abortForShutdown(reason: Error) {
      if (controller.signal.aborted) return;
      stopReason = 'shutdown';
      controller.abort(reason);
    },
    abandon() {
      abandoned = true;
      clearInterval(timer);
    },
  };
}

async function runHandler(deps: JobRunDeps, job: JobRecord, context: (kind: JobKind) => JobContext): Promise<Settled> {
  try {
    if (!isJobKind(job.kind)) throw new PermanentJobError(`job kind "${job.kind}" is not in the catalog`);
    let payload: unknown;
    try {
      payload = JSON.parse(job.payload);
    } catch (err) {
      throw new JobPayloadError(job.kind, 'stored payload is not JSON', { cause: err });
    }
    const outcome: unknown = await deps.registry.run(job.kind, payload, context(job.kind));
    if (!isOutcome(outcome)) throw new TypeError(`handler for "${job.kind}" returned no valid outcome`);
    return { ok: true, outcome };
  } catch (error) {
    return { ok: false, error };
  }
}

function isOutcome(value: unknown): value is JobOutcome {
  if (typeof value !== 'object' || value === null || !('kind' in value)) return false;
  return value.kind === 'done' || (value.kind === 'retry' && 'reason' in value && typeof value.reason === 'string');
}

async function record(
  deps: JobRunDeps,
  job: JobRecord,
  lease: JobLease,
  log: JobLogger,
  settled: Settled,
  stopReason: 'shutdown' | 'lease_lost' | undefined,
  durationMs: number,
): Promise<void> {
  const db = deps.store.db;
  const nowMs = deps.now();
  if (settled.ok && settled.outcome.kind === 'done') {
    if (await completeJob(db, lease, { nowMs })) log.info({ durationMs }, 'job succeeded');
    else log.warn({ durationMs }, 'job finished but its lease was lost; result discarded');
    return;
  }
  if (!settled.ok && stopReason === 'shutdown') {
    if (await releaseJob(db, lease, { nowMs })) log.info({ durationMs, err: settled.error }, 'job aborted by shutdown; released');
    else log.warn({ durationMs }, 'job aborted by shutdown; lease already lost');
    return;
  }
  const permanent = !settled.ok && settled.error instanceof PermanentJobError;
  const error = settled.ok ? `retry requested: ${settled.outcome.kind === 'retry' ? settled.outcome.reason : ''}` : describeError(settled.error);
  const requestedDelayMs = settled.ok && settled.outcome.kind === 'retry' ? settled.outcome.delayMs : undefined;
  const policy: BackoffPolicy = { ...deps.backoff, ...(isJobKind(job.kind) ? deps.registry.spec(job.kind).backoff : undefined) };
  const retryDelayMs = requestedDelayMs ?? backoffDelayMs(policy, { attempt: job.attempts, random: deps.random });
  const result = await failJob(db, lease, { error, permanent, retryDelayMs, nowMs });
  const fields = { durationMs, ...(settled.ok ? {} : { err: settled.error }) };
  switch (result) {
    case 'ready':
      log.warn({ ...fields, retryDelayMs }, `job failed; retry scheduled (attempt ${job.attempts} of ${job.max_attempts})`);
      return;
    case 'dead':
      log.error(fields, permanent ? 'job failed permanently' : `job failed; no attempts left (${job.max_attempts})`);
      return;
    case 'lost':
      log.warn(fields, 'job failed but its lease was lost; nothing recorded');
      return;
  }
}

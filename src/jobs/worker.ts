// A worker claims jobs of its registry's kinds, up to `concurrency` at once, and runs them
// (see job-run.ts for one job's life). Lifecycle, after BullMQ's Worker:
//   start()  begins polling; notify() wakes the poll loop early (after an enqueue);
//   drain()  stops claiming and waits for the running jobs to finish;
//   close()  stops claiming, aborts running handlers through their AbortSignal, waits up to
//            `closeGraceMs` for them, and releases every lease still held so the jobs are
//            claimable at once. Idempotent; every step runs even if an earlier one failed.
import type { Store } from '../store/db.js';
import { createWaker, settlesWithin } from './poll-loop.js';
import { type BackoffPolicy, backoffPolicyProblems, DEFAULT_BACKOFF } from './backoff.js';
import type { JobLogger } from './job-logger.js';
import type { JobRegistry } from './job-registry.js';
import { JobConfigError, WorkerCloseError, WorkerClosingError, WorkerStateError } from './job.errors.js';
import { claimJobs, type JobRecord, releaseJob } from './job.repository.js';
import { type JobRun, startJobRun } from './job-run.js';

export interface WorkerOptions {
  readonly store: Store;
  readonly registry: JobRegistry;
  /** Unique per process (it fences the leases), e.g. `${hostname}:${pid}:${random}`. */
  readonly workerId: string;
  readonly concurrency: number;
  /** How long a claim (or a heartbeat) holds the job before another worker may reclaim it. */
  readonly leaseMs: number;
  /** Lease renewal interval while a handler runs; must be below `leaseMs` (a third of it is sensible). */
  readonly heartbeatMs: number;
  /** Idle sleep between polls when there is nothing to claim. */
  readonly pollMs: number;
  readonly log: JobLogger;
  /** Clock for leases and schedules (default `Date.now`). */
  readonly now?: () => number;
  /** Retry backoff for kinds that do not set their own (default `DEFAULT_BACKOFF`). */
  readonly backoff?: Partial<BackoffPolicy>;
  /** How long `close()` waits for aborted handlers before releasing their leases (default 2000). */
  readonly closeGraceMs?: number;
  /** Jitter source, uniform in [0, 1) (default `Math.random`). */
  readonly random?: () => number;
}

export interface Worker {
  readonly workerId: string;
  /** Begins polling. A no-op if already started; throws `WorkerStateError` after drain/close. */
  start(): void;
  /** Wakes the poll loop now (call after enqueueing). */
  notify(): void;
  /** Stops claiming and resolves when every running job has finished and been recorded. */
  drain(): Promise<void>;
  /** Stops claiming, aborts running jobs and releases their leases. Rejects with `WorkerCloseError` if a step failed. */
  close(): Promise<void>;
  /** Ids of the jobs running now. */
  runningJobIds(): string[];
}

type State = 'idle' | 'running' | 'draining' | 'closing' | 'closed';

export function createWorker(options: WorkerOptions): Worker {
  const backoff: BackoffPolicy = { ...DEFAULT_BACKOFF, ...options.backoff };
  const closeGraceMs = options.closeGraceMs ?? 2_000;
  validateOptions(options, backoff, closeGraceMs);
  const { store, registry, workerId, concurrency, pollMs } = options;
  const now = options.now ?? Date.now;
  const log = options.log.child({ component: 'jobs.worker', workerId });
  const runDeps = {
    store,
    registry,
    workerId,
    leaseMs: options.leaseMs,
    heartbeatMs: options.heartbeatMs,
    backoff,
    now,
    random: options.random ?? Math.random,
    log,
  };
  const runs = new Map<string, JobRun>();
  const waker = createWaker();
  let state: State = 'idle';
  let loopDone: Promise<void> = Promise.resolve();
  let drainPromise: Promise<void> | undefined;
  let closePromise: Promise<void> | undefined;
  let markClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });

  const startRun = (job: JobRecord): void => {
    const run = startJobRun(runDeps, job);
    runs.set(job.job_id, run);
    void run.done.finally(() => {
      if (runs.get(job.job_id) === run) runs.delete(job.job_id);
      waker.wake();
    });
  };

  // Claimed after close() began: hand the job straight back.
  const giveBack = async (job: JobRecord): Promise<void> => {
    try {
      await releaseJob(store.db, { jobId: job.job_id, workerId, attempt: job.attempts }, { nowMs: now() });
    } catch (err) {
      log.error({ err, jobId: job.job_id, kind: job.kind }, 'could not release a job claimed during close; it will be reclaimed when its lease expires');
    }
  };

  const loop = async (): Promise<void> => {
    let failures = 0;
    while (state === 'running') {
      const free = concurrency - runs.size;
      if (free <= 0) {
        await waker.wait(pollMs);
        continue;
      }
      let jobs: JobRecord[];
      try {
        jobs = await claimJobs(store, { workerId, kinds: registry.kinds, limit: free, leaseMs: options.leaseMs, nowMs: now() });
        failures = 0;
      } catch (err) {
        failures += 1;
        log.error({ err, failures }, 'claiming jobs failed');
        await waker.wait(pollMs * Math.min(2 ** failures, 32));
        continue;
      }
      for (const job of jobs) {
        if (state === 'running' || state === 'draining') startRun(job);
        else await giveBack(job);
      }
      if (jobs.length > 0) log.debug({ claimed: jobs.length, running: runs.size }, 'claimed jobs');
      if (jobs.length < free) await waker.wait(pollMs);
    }
  };

  const settleAll = (): Promise<unknown> => Promise.all([...runs.values()].map((r) => r.done));

  const close = async (): Promise<void> => {
    const errors: unknown[] = [];
    const step = async (name: string, fn: () => Promise<void> | void): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
        log.error({ err }, `close: ${name} failed`);
      }
    };
    state = 'closing';
    waker.wake();
    await step('stop polling', async () => {
      if (!(await settlesWithin(loopDone, closeGraceMs))) log.warn('close: the poll loop is still busy; a job it claims will be given back');
    });
    await step('abort running jobs', () => {
      const reason = new WorkerClosingError(workerId);
      for (const run of runs.values()) {
        try {
          run.abortForShutdown(reason);
        } catch (err) {
          errors.push(err);
          run.log.error({ err }, 'close: aborting the handler threw');
        }
      }
    });
    await step('wait for aborted jobs', async () => {
      if (!(await settlesWithin(settleAll(), closeGraceMs))) log.warn({ stillRunning: runs.size }, 'close: handlers ignored the abort; releasing their leases');
    });
    await step('release leases', async () => {
      for (const [jobId, run] of [...runs]) {
        run.abandon();
        runs.delete(jobId);
        try {
          const released = await releaseJob(store.db, run.lease, { nowMs: now() });
          run.log.info({ released }, 'close: lease released');
        } catch (err) {
          errors.push(err);
          run.log.error({ err }, 'close: could not release the lease; the job will be reclaimed when it expires');
        }
      }
    });
    waker.dispose();
    state = 'closed';
    markClosed();
    if (errors.length > 0) throw new WorkerCloseError(workerId, errors);
    log.info('worker closed');
  };

  return {
    workerId,
    start() {
      if (state === 'running') return;
      if (state !== 'idle') throw new WorkerStateError(`worker ${workerId} cannot start: it is ${state}`);
      state = 'running';
      loopDone = loop().catch((err: unknown) => log.error({ err }, 'poll loop crashed'));
      log.info({ concurrency, kinds: registry.kinds }, 'worker started');
    },
    notify() {
      waker.wake();
    },
    drain() {
      if (closePromise) return closePromise.catch(() => undefined);
      drainPromise ??= (async () => {
        if (state === 'idle' || state === 'running') state = 'draining';
        waker.wake();
        await loopDone;
        // close() during a drain stops waiting for handlers that ignore the abort.
        await Promise.race([settleAll(), closed]);
        log.info('worker drained');
      })();
      return drainPromise;
    },
    close() {
      closePromise ??= close();
      return closePromise;
    },
    runningJobIds() {
      return [...runs.keys()];
    },
  };
}

function validateOptions(o: WorkerOptions, backoff: BackoffPolicy, closeGraceMs: number): void {
  const problems: string[] = [];
  const positive = (name: string, v: number) => {
    if (!Number.isFinite(v) || v <= 0) problems.push(`${name} must be a positive number, got ${v}`);
  };
  if (o.workerId.length === 0) problems.push('workerId must not be empty');
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1) problems.push(`concurrency must be an integer >= 1, got ${o.concurrency}`);
  positive('leaseMs', o.leaseMs);
  positive('heartbeatMs', o.heartbeatMs);
  positive('pollMs', o.pollMs);
  if (o.heartbeatMs >= o.leaseMs) problems.push(`heartbeatMs (${o.heartbeatMs}) must be below leaseMs (${o.leaseMs})`);
  if (!Number.isFinite(closeGraceMs) || closeGraceMs < 0) problems.push(`closeGraceMs must be >= 0, got ${closeGraceMs}`);
  problems.push(...backoffPolicyProblems(backoff));
  if (problems.length > 0) throw new JobConfigError('worker options', problems);
}

// The `ingest.url` job: runs the steps of one URL pull from wherever the last run stopped.
// Failures with a documented code end the URL job; anything else is retried by the queue with
// backoff (a crash or a lost lease resumes the download with Range), and the last attempt ends
// the job with a code instead of leaving it hanging.
import { defineJobHandler } from '../jobs/job-registry.js';
import { FetchError } from '../ingest/fetch-errors.js';
import { isOperationalProbeFailure } from '../media-pipeline/media-analysis.js';
import type { IngestDeps } from './url-ingest.deps.js';
import { failUrlJob, finishStep } from './url-ingest.finish.js';
import { analyseStep, downloadStep, JobMovedOnError, storeStep, UrlJobFailure } from './url-ingest.steps.js';
import { findOrphanedUrlJobs, findUrlJob, TERMINAL_STATUSES, transitionUrlJob } from './url-upload.repository.js';

export const urlIngestHandler = (deps: IngestDeps) =>
  defineJobHandler('ingest.url', async ({ jobId }, ctx) => {
    const db = deps.store.db;
    let job = await findUrlJob(db, jobId);
    if (!job || TERMINAL_STATUSES.includes(job.status)) return { kind: 'done' };
    if (job.status === 'PENDING') {
      await transitionUrlJob(db, jobId, ['PENDING'], { status: 'DOWNLOADING', updated_at_ms: deps.clock() });
      job = await findUrlJob(db, jobId);
      if (!job || job.status === 'PENDING' || TERMINAL_STATUSES.includes(job.status)) return { kind: 'done' };
    }
    try {
      for (;;) {
        ctx.signal.throwIfAborted();
        switch (job.status) {
          case 'DOWNLOADING': await downloadStep(deps, job, ctx.signal); break;
          case 'DOWNLOAD_SUCCESS': await analyseStep(deps, job, ctx.signal); break;
          case 'UPLOADING': await storeStep(deps, job, ctx.signal); break;
          case 'UPLOAD_SUCCESS': await finishStep(deps, job); return { kind: 'done' };
          default: return { kind: 'done' };
        }
        const next = await findUrlJob(db, jobId);
        if (!next) return { kind: 'done' };
        job = next;
      }
    } catch (err) {
      if (err instanceof JobMovedOnError) return { kind: 'done' };
      if (ctx.signal.aborted) throw err; // the worker is closing or lost the lease: resume later
      if (err instanceof UrlJobFailure) {
        await failUrlJob(deps, job, err.status, err.code, err.message);
        return { kind: 'done' };
      }
      // Another run of the job, spaced out far beyond the fetcher's own quick retries, while the
      // job has runs left; each run resumes from the bytes kept.
      const runsLeft = ctx.attempt < Math.min(deps.runAttempts, ctx.maxAttempts);
      const runAgain = (e: { code: string; message: string }, what: string, notBeforeMs = 0) => {
        const delayMs = Math.max(notBeforeMs, nextRunDelayMs(deps.retryBaseMs, ctx.attempt));
        ctx.log.warn({ code: e.code, delayMs }, `${what}; the job runs again later`);
        return { kind: 'retry' as const, reason: `${e.code}: ${e.message}`, delayMs };
      };
      if (err instanceof FetchError && err.code !== 'Cancelled') {
        // A transient fault (stall, 5xx, reset, connect, throttling).
        if (err.retryable && runsLeft) return runAgain(err, 'transient download failure', err.retryAfterMs);
        await failUrlJob(deps, job, 'DOWNLOAD_FAIL', err.code, err.message);
        return { kind: 'done' };
      }
      if (isOperationalProbeFailure(err)) {
        // ffprobe timed out, could not start or crashed: nothing is known about the file.
        if (runsLeft) return runAgain(err, 'media analysis failed');
        await failUrlJob(deps, job, 'UPLOAD_FAIL', 'MediaAnalysisFailed', `The analysis failed on ${ctx.attempt} runs: ${err.message}`);
        return { kind: 'done' };
      }
      if (ctx.attempt >= ctx.maxAttempts) {
        await failUrlJob(deps, job, job.status === 'DOWNLOADING' ? 'DOWNLOAD_FAIL' : 'UPLOAD_FAIL', 'InternalError', `The job failed ${ctx.attempt} times: ${(err as Error).message}`);
        return { kind: 'done' };
      }
      throw err;
    }
  });

/** Exponential from `baseMs`, full jitter in its upper half, capped at 10 minutes. */
export function nextRunDelayMs(baseMs: number, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(10 * 60_000, baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * URL jobs whose queue entry died without the handler getting to end them (the worker was
 * killed on every attempt) are ended here with a code, so no job stays "DOWNLOADING" forever.
 */
export async function reconcileOrphanedUrlJobs(deps: IngestDeps): Promise<number> {
  const orphans = await findOrphanedUrlJobs(deps.store.db, 100);
  for (const job of orphans) {
    await failUrlJob(deps, job, job.status === 'DOWNLOADING' || job.status === 'PENDING' ? 'DOWNLOAD_FAIL' : 'UPLOAD_FAIL', 'InternalError', 'The job was abandoned after its worker failed repeatedly.');
  }
  return orphans.length;
}

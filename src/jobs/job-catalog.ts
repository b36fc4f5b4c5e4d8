// The one catalog of job kinds: kind → payload type (compile time) and kind → spec (run time:
// payload schema, attempts, backoff). Both are keyed by the same union, so the compiler refuses a
// kind that is in one and not the other.
//
// Adding a kind (e.g. `ingest.url`):
//   1. add `'ingest.url': { uploadJobId: string }` to `JobPayloads`;
//   2. add its spec to `JOB_CATALOG` (schema, maxAttempts, optional backoff) — tsc insists;
//   3. write the handler with `defineJobHandler('ingest.url', …)` next to the code it drives
//      (e.g. `src/ingest/url-job.handler.ts`) and add it to the list `src/server.ts` passes to
//      `createJobRegistry` — start-up fails if it is missing or listed twice;
//   4. enqueue with `enqueueJob(trx, { kind: 'ingest.url', payload })` in the transaction that
//      writes the domain row.
import { z } from 'zod';
import type { BackoffPolicy } from './backoff.js';

export interface JobPayloads {
  /** Diagnostic/test kind: sleeps `ms` (abortably); `marker` tags the run. */
  'test.sleep': { ms: number; marker: string };
  /** Removes the stored bytes of a deleted video (everything under `prefix`). */
  'media.purge': { prefix: string; sourceLocation?: string | undefined };
  /** Pulls one UploadMediaByURL source: download, analyse, store, finish (url_upload_jobs row `jobId`). */
  'ingest.url': { jobId: string };
  /** Analyses an uploaded video (probe, cover, Normal, events) once its object is complete. */
  'media.analyse-upload': { videoId: string };
  'media.analyse-registered': { videoId: string };
}

export type JobKind = keyof JobPayloads;

export interface JobKindSpec<P> {
  readonly description: string;
  /** Validates the stored JSON before the handler sees it (a mismatch is a permanent failure). */
  readonly payload: z.ZodType<P>;
  /** Default for `enqueueJob`; a job that has been claimed this many times goes `dead`. */
  readonly maxAttempts: number;
  /** Overrides the worker's backoff for this kind (fields not given fall back). */
  readonly backoff?: Partial<BackoffPolicy>;
}

export type JobCatalog = { readonly [K in JobKind]: JobKindSpec<JobPayloads[K]> };

export const JOB_CATALOG: JobCatalog = Object.freeze({
  'test.sleep': {
    description: 'Sleeps for `ms` milliseconds; used by tests and as a queue smoke check.',
    payload: z.object({ ms: z.number().int().min(0), marker: z.string() }),
    maxAttempts: 3,
  },
  'media.purge': {
    description: 'Deletes every stored object under a deleted video\'s prefix.',
    // sourceLocation: the declared storage that also holds files under the prefix (a source
    // OpenVOD wrote there); never set for registered media, whose source is the user's object.
    payload: z.object({ prefix: z.string().regex(/^[0-9a-f]{32}\/$/), sourceLocation: z.string().min(1).optional() }),
    maxAttempts: 20,
  },
  'ingest.url': {
    description: 'Downloads, analyses and stores one UploadMediaByURL source.',
    payload: z.object({ jobId: z.string().regex(/^[0-9a-f]{32}$/) }),
    // Each claim is one run of the pipeline, which retries network faults itself; a run that
    // dies (crash, lost lease) resumes where the last one stopped.
    maxAttempts: 8,
    backoff: { baseMs: 2_000, capMs: 10 * 60_000 },
  },
  'media.analyse-upload': {
    description: 'Probes an uploaded video, grabs its cover and makes it Normal (or UploadFail when it is not media).',
    payload: z.object({ videoId: z.string().regex(/^[0-9a-f]{32}$/) }),
    maxAttempts: 5,
    backoff: { baseMs: 2_000, capMs: 5 * 60_000 },
  },
  'media.analyse-registered': {
    description: 'Probes a registered object in place (no copy), grabs its cover, and with VOD_NO_TRANSCODE makes it Normal.',
    payload: z.object({ videoId: z.string().regex(/^[0-9a-f]{32}$/) }),
    maxAttempts: 5,
    backoff: { baseMs: 2_000, capMs: 5 * 60_000 },
  },
});

export const JOB_KINDS: readonly JobKind[] = Object.freeze(Object.keys(JOB_CATALOG).filter(isJobKind));

export function isJobKind(value: string): value is JobKind {
  return Object.prototype.hasOwnProperty.call(JOB_CATALOG, value);
}

// The steps of one URL pull, each owning one thing and one status transition:
//   download  DOWNLOADING → DOWNLOAD_SUCCESS   source → local staging file (resumable)
//   analyse   DOWNLOAD_SUCCESS → UPLOADING     ffprobe + cover frame, recorded on the video
//   store     UPLOADING → UPLOAD_SUCCESS       staging file → blob store (a rename on fs)
//   finish    UPLOAD_SUCCESS → SUCCESS         video Normal + events, in one transaction
// Each step can run again after a crash: it starts from what the previous run persisted.
import { existsSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fetchToFile } from '../ingest/fetcher.js';
import type { MediaInfo } from '../media/media-info.js';
import { analysedVideoColumns, grabCover, NotMediaError, probeSource } from '../media-pipeline/media-analysis.js';
import type { BlobStore } from '../blob/blob-store.js';
import { DEFAULT_STORAGE_LOCATION } from '../domain/storage.js';
import { objectPath } from '../playback/playback-urls.js';
import { contentTypeFor } from '../playback/content-type.js';
import { findVideo } from '../videos/video.repository.js';
import type { IngestDeps } from './url-ingest.deps.js';
import { recordProgress, transitionUrlJob, type UrlJobRow } from './url-upload.repository.js';

/** A failure that ends the URL job (no retry) with a documented ErrorCode. */
export class UrlJobFailure extends Error {
  constructor(
    readonly status: 'DOWNLOAD_FAIL' | 'UPLOAD_FAIL',
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UrlJobFailure';
  }
}

/** The transition did not happen: someone else moved the job on (cancel, another worker). */
export class JobMovedOnError extends Error {
  constructor(jobId: string, from: string) {
    super(`url job ${jobId} is no longer ${from}`);
    this.name = 'JobMovedOnError';
  }
}

export const stagingPath = (deps: IngestDeps, job: UrlJobRow): string => join(deps.stagingDir, `${job.job_id}.${job.file_extension}`);
export const sourceKey = (job: UrlJobRow): string => `${job.video_id}/source.${job.file_extension}`;
export const coverKey = (job: UrlJobRow): string => `${job.video_id}/covers/${job.job_id}-00001.jpg`;
/** URL without auth_key, as callbacks carry them (receivers sign URLs themselves). */
export const plainMediaUrl = (deps: IngestDeps, key: string, location: string = DEFAULT_STORAGE_LOCATION): string =>
  `${deps.config.publicUrl}${objectPath(location, key)}`;

/** The blob store of the storage the job's video was created in (its source goes there). */
export const sourceBlobs = (deps: IngestDeps, job: UrlJobRow): BlobStore => deps.storages.of(job.storage_location).blobs;

async function move(deps: IngestDeps, job: UrlJobRow, from: UrlJobRow['status'], changes: Parameters<typeof transitionUrlJob>[3]): Promise<void> {
  const ok = await transitionUrlJob(deps.store.db, job.job_id, [from], { ...changes, updated_at_ms: deps.clock() });
  if (!ok) throw new JobMovedOnError(job.job_id, from);
}

export async function downloadStep(deps: IngestDeps, job: UrlJobRow, signal: AbortSignal): Promise<void> {
  await mkdir(deps.stagingDir, { recursive: true });
  const file = stagingPath(deps, job);
  // Resume from the last progress that was recorded (bytes written after it are not trusted:
  // the fetcher cuts the file back and re-hashes what it keeps).
  const have = Math.min(existsSync(file) ? statSync(file).size : 0, job.bytes_fetched);
  const resume = have > 0
    ? { bytes: have, total: job.resume_total ?? undefined, etag: job.resume_etag ?? undefined, lastModified: job.resume_last_modified ?? undefined }
    : undefined;
  let lastWrite = 0;
  const result = await fetchToFile({
    url: job.source_url,
    file,
    resume,
    signal,
    limits: deps.fetchLimits,
    agent: deps.agent,
    hostLimiter: deps.hostLimiter,
    onProgress: (p) => {
      const now = deps.clock();
      if (now - lastWrite < deps.progressEveryMs) return;
      lastWrite = now;
      recordProgress(deps.store.db, job.job_id, { bytes: p.bytes, total: p.total, etag: p.validator.etag, lastModified: p.validator.lastModified, nowMs: now }).catch(
        (err: unknown) => deps.log.warn({ err, jobId: job.job_id }, 'could not record download progress'),
      );
    },
  });
  deps.log.info({ jobId: job.job_id, size: result.size, resumedFrom: result.resumedFromBytes, attempts: result.attempts }, 'source downloaded');
  await move(deps, job, 'DOWNLOADING', {
    status: 'DOWNLOAD_SUCCESS', file_size: result.size, bytes_fetched: result.size, md5: result.md5, final_url: result.finalUrl,
    resume_etag: result.etag ?? null, resume_last_modified: result.lastModified ?? null,
  });
}

export async function analyseStep(deps: IngestDeps, job: UrlJobRow, signal: AbortSignal): Promise<void> {
  const file = stagingPath(deps, job);
  let info: MediaInfo;
  try {
    info = await probeSource(deps, file, signal);
  } catch (err) {
    // A file that is not media ends the job; a probe that timed out or could not start is an
    // operational fault, retried by the queue.
    if (err instanceof NotMediaError) {
      throw new UrlJobFailure('UPLOAD_FAIL', err.code, `The source is not an audio or video file: ${(err.cause as Error).message}`, { cause: err });
    }
    throw err;
  }
  const cover = job.cover_url === ''
    ? await grabCover(deps, { source: file, info, coverKey: coverKey(job), scratchPath: `${file}.cover.jpg`, signal, logContext: { jobId: job.job_id } })
    : undefined;
  const db = deps.store.db;
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('videos')
      .set({ ...analysedVideoColumns(info, { sizeBytes: job.file_size, md5: job.md5, coverKey: cover }), modified_at_ms: deps.clock() })
      .where('video_id', '=', job.video_id)
      .execute();
    const ok = await transitionUrlJob(trx, job.job_id, ['DOWNLOAD_SUCCESS'], { status: 'UPLOADING', updated_at_ms: deps.clock() });
    if (!ok) throw new JobMovedOnError(job.job_id, 'DOWNLOAD_SUCCESS');
  });
}

export async function storeStep(deps: IngestDeps, job: UrlJobRow, signal: AbortSignal): Promise<void> {
  const file = stagingPath(deps, job);
  const key = sourceKey(job);
  const blobs = sourceBlobs(deps, job);
  if (existsSync(file)) {
    try {
      await blobs.putFile(key, file, { contentType: contentTypeFor(key), md5Hex: job.md5 ?? undefined, move: true, signal });
    } catch (err) {
      if (signal.aborted) throw err;
      throw new UrlJobFailure('UPLOAD_FAIL', 'StorageFailed', `Storing the file failed: ${(err as Error).message}`, { cause: err });
    }
  } else {
    // A previous run moved it into the store and died before recording that.
    const stored = await blobs.stat(key);
    if (!stored || (job.md5 !== null && stored.etag !== job.md5)) {
      throw new UrlJobFailure('UPLOAD_FAIL', 'StorageFailed', 'The downloaded file was lost before it was stored.');
    }
  }
  await move(deps, job, 'UPLOADING', { status: 'UPLOAD_SUCCESS' });
}

/** Removes what a failed job left: its staging files and anything stored under its video. */
export async function discardJobFiles(deps: IngestDeps, job: UrlJobRow): Promise<void> {
  const file = stagingPath(deps, job);
  await rm(file, { force: true });
  await rm(`${file}.cover.jpg`, { force: true });
  const video = await findVideo(deps.store.db, job.video_id);
  // Only bytes this job stored: its source and its cover.
  if (!video || video.storage_key === null) {
    await sourceBlobs(deps, job).delete(sourceKey(job));
    await deps.blobs.delete(coverKey(job));
  }
}

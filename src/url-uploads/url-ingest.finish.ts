// The last transaction of a URL pull, success or failure: the video, the job and the events
// commit together (reference events §1.1, §1.3, §1.4, §1.5 for the bodies).
import { recordEvent } from '../events/event.repository.js';
import type { MediaInfo } from '../media/media-info.js';
import { videoReadyEvents } from '../media-pipeline/completion-events.js';
import { blobKeyOf } from '../playback/playback-urls.js';
import { findVideo } from '../videos/video.repository.js';
import type { IngestDeps } from './url-ingest.deps.js';
import { coverKey, discardJobFiles, plainMediaUrl, sourceBlobs, sourceKey } from './url-ingest.steps.js';
import { transitionUrlJob, type UrlJobRow } from './url-upload.repository.js';

export type FinishResult = 'finished' | 'video-deleted';

export async function finishStep(deps: IngestDeps, job: UrlJobRow): Promise<FinishResult> {
  const db = deps.store.db;
  const now = deps.clock();
  const key = sourceKey(job);
  const result = await db.transaction().execute(async (trx): Promise<FinishResult> => {
    const video = await findVideo(trx, job.video_id);
    if (!video) return 'video-deleted';
    await trx
      .updateTable('videos')
      .set({ status: 'Normal', storage_key: key, template_group_id: video.template_group_id || 'VOD_NO_TRANSCODE', modified_at_ms: now })
      .where('video_id', '=', job.video_id)
      .execute();
    const ok = await transitionUrlJob(trx, job.job_id, ['UPLOAD_SUCCESS'], { status: 'SUCCESS', updated_at_ms: now, completed_at_ms: now });
    if (!ok) return 'finished';
    const info = video.media_info === null ? undefined : (JSON.parse(video.media_info) as MediaInfo);
    const cover = blobKeyOf(video.cover_url);
    const events = videoReadyEvents({
      videoId: job.video_id, sizeBytes: job.file_size ?? 0, fileUrl: plainMediaUrl(deps, key, job.storage_location), info,
      cover: cover !== undefined && cover === coverKey(job) ? { key: cover, url: plainMediaUrl(deps, cover), jobId: job.job_id } : undefined,
    });
    events.push({
      type: 'UploadByURLComplete',
      fields: { VideoId: job.video_id, JobId: job.job_id, SourceURL: job.source_url, Size: String(job.file_size ?? 0), Status: 'success' },
    });
    // recordEvent echoes UserData.Extend and keeps the callback override; the row is at hand.
    for (const e of events) await recordEvent(trx, { appId: job.app_id, mediaId: job.video_id, userData: video.user_data, ...e }, now);
    return 'finished';
  });
  if (result === 'video-deleted') {
    // The video was deleted while its source was being pulled: drop what was stored.
    await deps.blobs.deletePrefix(`${job.video_id}/`);
    await sourceBlobs(deps, job).deletePrefix(`${job.video_id}/`);
    await failUrlJob(deps, job, 'UPLOAD_FAIL', 'InvalidVideo.NotFound', 'The video was deleted while its source was being pulled.');
  }
  return result;
}

/**
 * Ends a job in failure: job status and code, the video `UploadFail`, an UploadByURLComplete
 * `fail` event — together — then the job's files are removed. A job already ended is left alone.
 */
export async function failUrlJob(deps: IngestDeps, job: UrlJobRow, status: 'DOWNLOAD_FAIL' | 'UPLOAD_FAIL', code: string, message: string): Promise<void> {
  const now = deps.clock();
  const from: UrlJobRow['status'][] = ['PENDING', 'DOWNLOADING', 'DOWNLOAD_SUCCESS', 'UPLOADING', 'UPLOAD_SUCCESS'];
  const failed = await deps.store.db.transaction().execute(async (trx) => {
    const ok = await transitionUrlJob(trx, job.job_id, from, {
      status, error_code: code, error_message: message.slice(0, 1024), updated_at_ms: now, completed_at_ms: now,
    });
    if (!ok) return false;
    await trx.updateTable('videos').set({ status: 'UploadFail', modified_at_ms: now }).where('video_id', '=', job.video_id).execute();
    await recordEvent(trx, {
      appId: job.app_id, mediaId: job.video_id, type: 'UploadByURLComplete', userData: job.user_data,
      // VideoId is sent on failure too (ApsaraVideo's sample omits it): the receiver needs it to
      // link the failure to the media it got from UploadMediaByURL.
      fields: { VideoId: job.video_id, JobId: job.job_id, SourceURL: job.source_url, Status: 'fail', ErrorCode: code, ErrorMessage: message.slice(0, 1024) },
    }, now);
    return true;
  });
  if (failed) await discardJobFiles(deps, job);
}

// The `media.analyse-upload` job, queued with the video's move to UploadSucc: the same analysis
// as URL pull (probe, cover, columns), then `Normal` with FileUploadComplete,
// VideoAnalysisComplete and SnapshotComplete — in one transaction.
//
// A file that is not media ends the video `UploadFail` with FileUploadComplete (the bytes did
// arrive) and a failed VideoAnalysisComplete (ErrorCode InvalidMediaFile), and its bytes are
// removed: nothing unplayable stays stored. The upload address stays valid, so the client can
// upload a correct file to it (RefreshUploadVideo for a new credential).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { recordEvent } from '../events/event.repository.js';
import type { IngestDeps } from '../url-uploads/url-ingest.deps.js';
import { defineJobHandler } from '../jobs/job-registry.js';
import type { MediaInfo } from '../media/media-info.js';
import { videoReadyEvents } from '../media-pipeline/completion-events.js';
import { withLocalFile } from '../media-pipeline/local-file.js';
import { analysedVideoColumns, analysisFailureCode, grabCover, NotMediaError, probeSource } from '../media-pipeline/media-analysis.js';
import { blobRef, mediaPath, objectPath } from '../playback/playback-urls.js';
import { findVideo, type VideoRow } from '../videos/video.repository.js';

export type UploadAnalyseDeps = Pick<IngestDeps, 'config' | 'store' | 'blobs' | 'storages' | 'log' | 'clock' | 'stagingDir' | 'ffprobePath' | 'ffmpegPath' | 'ffprobeFallbackPath' | 'ffmpegFallbackPath' | 'coverMaxWidth'>;

/** The cover OpenVOD grabs for an uploaded video (re-grabbed after a new upload). */
export const uploadCoverKey = (videoId: string): string => `${videoId}/covers/upload-00001.jpg`;

const plainUrl = (deps: UploadAnalyseDeps, key: string): string => `${deps.config.publicUrl}${mediaPath(key)}`;

/** The video as the job found it: the analysis applies only if it is still that upload. */
const sameUpload = (now: VideoRow | undefined, then: VideoRow): now is VideoRow =>
  now !== undefined && now.status === 'UploadSucc' && now.file_md5 === then.file_md5 && now.storage_key === then.storage_key;

export const uploadAnalyseHandler = (deps: UploadAnalyseDeps) =>
  defineJobHandler('media.analyse-upload', async ({ videoId }, ctx) => {
    const db = deps.store.db;
    const video = await findVideo(db, videoId);
    if (!video || video.status !== 'UploadSucc' || video.storage_key === null) return { kind: 'done' };
    const source = video.storage_key;
    const coverKey = uploadCoverKey(videoId);
    const wantCover = video.cover_url === '' || video.cover_url === blobRef(coverKey);
    let info: MediaInfo;
    let cover: string | undefined;
    try {
      await mkdir(deps.stagingDir, { recursive: true });
      ({ info, cover } = await withLocalFile(deps.storages.of(video.storage_location).blobs, source, deps.stagingDir, ctx.signal, async (file) => {
        const probed = await probeSource(deps, file, ctx.signal);
        const grabbed = wantCover
          ? await grabCover(deps, { source: file, info: probed, coverKey, scratchPath: join(deps.stagingDir, `${videoId}.cover.jpg`), signal: ctx.signal, logContext: { videoId } })
          : undefined;
        return { info: probed, cover: grabbed };
      }));
    } catch (err) {
      if (err instanceof NotMediaError) {
        await failUpload(deps, video, err.code, err.message);
        return { kind: 'done' };
      }
      if (ctx.signal.aborted) throw err;
      if (ctx.attempt >= ctx.maxAttempts) {
        await failUpload(deps, video, analysisFailureCode(err), `The analysis failed ${ctx.attempt} times: ${(err as Error).message}`);
        return { kind: 'done' };
      }
      throw err;
    }

    const nowMs = deps.clock();
    const applied = await db.transaction().execute(async (trx) => {
      const current = await findVideo(trx, videoId);
      if (!sameUpload(current, video)) return false; // deleted, or a newer upload (its own job analyses it)
      await trx
        .updateTable('videos')
        .set({
          ...analysedVideoColumns(info, { sizeBytes: current.size, md5: current.file_md5, coverKey: cover }),
          status: 'Normal', template_group_id: current.template_group_id || 'VOD_NO_TRANSCODE', modified_at_ms: nowMs,
        })
        .where('video_id', '=', videoId)
        .execute();
      const events = videoReadyEvents({
        videoId, sizeBytes: current.size ?? 0, fileUrl: `${deps.config.publicUrl}${objectPath(current.storage_location, source)}`, info,
        cover: cover === undefined ? undefined : { key: cover, url: plainUrl(deps, cover), jobId: ctx.jobId },
      });
      for (const e of events) await recordEvent(trx, { appId: current.app_id, mediaId: videoId, userData: current.user_data, ...e }, nowMs);
      return true;
    });
    if (!applied && cover !== undefined) ctx.log.info({ videoId }, 'the video changed during its analysis; results dropped');
    return { kind: 'done' };
  });

async function failUpload(deps: UploadAnalyseDeps, video: VideoRow, code: string, message: string): Promise<void> {
  const nowMs = deps.clock();
  const source = video.storage_key as string;
  const failed = await deps.store.db.transaction().execute(async (trx) => {
    const current = await findVideo(trx, video.video_id);
    if (!sameUpload(current, video)) return false;
    await trx
      .updateTable('videos')
      .set({ status: 'UploadFail', storage_key: null, media_info: null, modified_at_ms: nowMs })
      .where('video_id', '=', video.video_id)
      .execute();
    await trx
      .updateTable('upload_objects')
      .set({ stored_at_ms: null, etag: null, content_md5: null, crc64: null, object_type: null })
      .where('media_id', '=', video.video_id)
      .execute();
    await recordEvent(trx, { appId: current.app_id, mediaId: video.video_id, type: 'FileUploadComplete', fields: { VideoId: video.video_id, Status: 'success', Size: current.size ?? 0 } }, nowMs);
    await recordEvent(trx, {
      appId: current.app_id, mediaId: video.video_id, type: 'VideoAnalysisComplete',
      fields: { VideoId: video.video_id, Status: 'fail', ErrorCode: code, ErrorMessage: message.slice(0, 1024) },
    }, nowMs);
    return true;
  });
  if (!failed) return;
  // Only the bytes that were analysed: a new upload that landed meanwhile is left alone.
  const blobs = deps.storages.of(video.storage_location).blobs;
  const stored = await blobs.stat(source);
  if (stored && stored.etag === video.file_md5) await blobs.delete(source);
  deps.log.info({ videoId: video.video_id, code }, code === 'InvalidMediaFile' ? 'uploaded file is not playable media; video UploadFail' : 'analysis of the uploaded file failed on its last run; video UploadFail');
}

// The `media.analyse-registered` job, queued by RegisterMedia: the object is probed where it is
// (an fs storage's file in place, an S3 object through a presigned URL read with ranges — never
// copied), a cover is grabbed into OpenVOD's own storage unless a CoverURL was given, and the
// video gets its columns. With TemplateGroupId VOD_NO_TRANSCODE it becomes Normal; without, it
// stays UploadSucc as on ApsaraVideo (registered, not playable until processed). Events:
// VideoAnalysisComplete and SnapshotComplete — registration itself sends no upload event.
// An object that is not media makes the video UploadFail; the user's object is left untouched.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { NO_TRANSCODE_GROUP } from '../domain/storage.js';
import { recordEvent } from '../events/event.repository.js';
import { defineJobHandler } from '../jobs/job-registry.js';
import type { MediaInfo } from '../media/media-info.js';
import { videoReadyEvents } from '../media-pipeline/completion-events.js';
import { withReadableSource } from '../media-pipeline/local-file.js';
import { analysedVideoColumns, analysisFailureCode, grabCover, NotMediaError, probeSource } from '../media-pipeline/media-analysis.js';
import { mediaPath, objectPath } from '../playback/playback-urls.js';
import type { IngestDeps } from '../url-uploads/url-ingest.deps.js';
import { findVideo, type VideoRow } from '../videos/video.repository.js';

export type RegisterAnalyseDeps = Pick<IngestDeps, 'config' | 'store' | 'blobs' | 'storages' | 'log' | 'clock' | 'stagingDir' | 'ffprobePath' | 'ffmpegPath' | 'ffprobeFallbackPath' | 'ffmpegFallbackPath' | 'coverMaxWidth'>;

export const registeredCoverKey = (videoId: string): string => `${videoId}/covers/register-00001.jpg`;

const stillWaiting = (now: VideoRow | undefined, then: VideoRow): now is VideoRow =>
  now !== undefined && now.status === 'UploadSucc' && now.media_info === null && now.storage_key === then.storage_key;

export const registerAnalyseHandler = (deps: RegisterAnalyseDeps) =>
  defineJobHandler('media.analyse-registered', async ({ videoId }, ctx) => {
    const db = deps.store.db;
    const video = await findVideo(db, videoId);
    if (!video || video.status !== 'UploadSucc' || video.media_info !== null || video.storage_key === null) return { kind: 'done' };
    const storage = deps.storages.get(video.storage_location);
    if (!storage) {
      await fail(deps, video, 'InvalidStorage.NotFound', `The storage "${video.storage_location}" is no longer declared.`);
      return { kind: 'done' };
    }
    const source = video.storage_key;
    const coverKey = registeredCoverKey(videoId);
    let info: MediaInfo;
    let cover: string | undefined;
    try {
      await mkdir(deps.stagingDir, { recursive: true });
      ({ info, cover } = await withReadableSource(storage.blobs, source, deps.stagingDir, ctx.signal, async (input) => {
        const probed = await probeSource(deps, input, ctx.signal);
        const grabbed = video.cover_url === ''
          ? await grabCover(deps, { source: input, info: probed, coverKey, scratchPath: join(deps.stagingDir, `${videoId}.cover.jpg`), signal: ctx.signal, logContext: { videoId } })
          : undefined;
        return { info: probed, cover: grabbed };
      }));
    } catch (err) {
      if (err instanceof NotMediaError) {
        await fail(deps, video, err.code, err.message);
        return { kind: 'done' };
      }
      if (ctx.signal.aborted) throw err;
      if (ctx.attempt >= ctx.maxAttempts) {
        await fail(deps, video, analysisFailureCode(err), `The analysis failed ${ctx.attempt} times: ${(err as Error).message}`);
        return { kind: 'done' };
      }
      throw err;
    }

    const nowMs = deps.clock();
    await db.transaction().execute(async (trx) => {
      const current = await findVideo(trx, videoId);
      if (!stillWaiting(current, video)) return;
      await trx
        .updateTable('videos')
        .set({
          ...analysedVideoColumns(info, { sizeBytes: current.size, md5: current.file_md5, coverKey: cover }),
          status: current.template_group_id === NO_TRANSCODE_GROUP ? 'Normal' : 'UploadSucc',
          modified_at_ms: nowMs,
        })
        .where('video_id', '=', videoId)
        .execute();
      const events = videoReadyEvents({
        videoId, sizeBytes: current.size ?? 0, fileUrl: `${deps.config.publicUrl}${objectPath(current.storage_location, source)}`, info,
        cover: cover === undefined ? undefined : { key: cover, url: `${deps.config.publicUrl}${mediaPath(cover)}`, jobId: ctx.jobId },
      }).filter((e) => e.type !== 'FileUploadComplete');
      for (const e of events) await recordEvent(trx, { appId: current.app_id, mediaId: videoId, userData: current.user_data, ...e }, nowMs);
    });
    return { kind: 'done' };
  });

async function fail(deps: RegisterAnalyseDeps, video: VideoRow, code: string, message: string): Promise<void> {
  const nowMs = deps.clock();
  await deps.store.db.transaction().execute(async (trx) => {
    const current = await findVideo(trx, video.video_id);
    if (!stillWaiting(current, video)) return;
    await trx.updateTable('videos').set({ status: 'UploadFail', modified_at_ms: nowMs }).where('video_id', '=', video.video_id).execute();
    await recordEvent(trx, {
      appId: current.app_id, mediaId: video.video_id, type: 'VideoAnalysisComplete', userData: current.user_data,
      fields: { VideoId: video.video_id, Status: 'fail', ErrorCode: code, ErrorMessage: message.slice(0, 1024) },
    }, nowMs);
  });
  deps.log.info({ videoId: video.video_id, code }, code === 'InvalidMediaFile' ? 'registered object is not playable media; video UploadFail' : 'analysis of the registered object failed on its last run; video UploadFail');
}

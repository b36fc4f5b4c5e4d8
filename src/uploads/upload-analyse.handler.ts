// The `media.analyse-upload` job, queued with the video's move to UploadSucc: the same analysis
// as URL pull (probe, cover, columns), then `Normal` with FileUploadComplete,
// VideoAnalysisComplete and SnapshotComplete — in one transaction. A video uploaded in parts gets
// its FileMD5 here too: one pass over the file on a worker thread, beside ffprobe and ffmpeg
// (CompleteMultipartUpload does not read the object; media-pipeline/file-md5.ts says why).
//
// The job applies its results only to the upload it analysed: the video still UploadSucc from
// the same stored object (upload_objects' stored_at_ms and ETag, which every PutObject and
// Complete rewrites), so a newer upload that landed meanwhile is left to its own job.
//
// A file that is not media ends the video `UploadFail` with FileUploadComplete (the bytes did
// arrive) and a failed VideoAnalysisComplete (ErrorCode InvalidMediaFile), and its bytes are
// removed: nothing unplayable stays stored. The upload address stays valid, so the client can
// upload a correct file to it (RefreshUploadVideo for a new credential).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely, Transaction } from 'kysely';
import { recordEvent } from '../events/event.repository.js';
import type { IngestDeps } from '../url-uploads/url-ingest.deps.js';
import { defineJobHandler } from '../jobs/job-registry.js';
import type { MediaInfo } from '../media/media-info.js';
import { videoReadyEvents } from '../media-pipeline/completion-events.js';
import { fileMd5 } from '../media-pipeline/file-md5.js';
import { withLocalFile } from '../media-pipeline/local-file.js';
import { analysedVideoColumns, analysisFailureCode, grabCover, NotMediaError, probeSource } from '../media-pipeline/media-analysis.js';
import { blobRef, mediaPath, objectPath } from '../playback/playback-urls.js';
import type { Database } from '../store/schema.js';
import { findVideo, type VideoRow } from '../videos/video.repository.js';
import { findUploadObjectOfMedia, type UploadObjectRow } from './upload.repository.js';

export type UploadAnalyseDeps = Pick<IngestDeps, 'config' | 'store' | 'blobs' | 'storages' | 'log' | 'clock' | 'stagingDir' | 'ffprobePath' | 'ffmpegPath' | 'ffprobeFallbackPath' | 'ffmpegFallbackPath' | 'coverMaxWidth'>;

/** The cover OpenVOD grabs for an uploaded video (re-grabbed after a new upload). */
export const uploadCoverKey = (videoId: string): string => `${videoId}/covers/upload-00001.jpg`;

const plainUrl = (deps: UploadAnalyseDeps, key: string): string => `${deps.config.publicUrl}${mediaPath(key)}`;

/** The video and its stored object as the job found them. */
interface Analysed {
  readonly video: VideoRow;
  readonly object: UploadObjectRow | undefined;
}

/** The video now, if it is still the upload the job analysed (else undefined). */
async function stillSameUpload(db: Kysely<Database> | Transaction<Database>, then: Analysed): Promise<VideoRow | undefined> {
  const now = await findVideo(db, then.video.video_id);
  if (!now || now.status !== 'UploadSucc' || now.file_md5 !== then.video.file_md5 || now.storage_key !== then.video.storage_key) return undefined;
  const object = await findUploadObjectOfMedia(db, then.video.video_id);
  return object?.stored_at_ms === then.object?.stored_at_ms && object?.etag === then.object?.etag ? now : undefined;
}

export const uploadAnalyseHandler = (deps: UploadAnalyseDeps) =>
  defineJobHandler('media.analyse-upload', async ({ videoId }, ctx) => {
    const db = deps.store.db;
    const video = await findVideo(db, videoId);
    if (!video || video.status !== 'UploadSucc' || video.storage_key === null) return { kind: 'done' };
    const then: Analysed = { video, object: await findUploadObjectOfMedia(db, videoId) };
    const source = video.storage_key;
    const blobs = deps.storages.of(video.storage_location).blobs;
    const blobEtag = (await blobs.stat(source))?.etag;
    const coverKey = uploadCoverKey(videoId);
    const wantCover = video.cover_url === '' || video.cover_url === blobRef(coverKey);
    let info: MediaInfo;
    let cover: string | undefined;
    let md5: string | null;
    try {
      await mkdir(deps.stagingDir, { recursive: true });
      ({ info, cover, md5 } = await withLocalFile(blobs, source, deps.stagingDir, ctx.signal, async (file) => {
        // Stopped when the analysis fails: a file that is not media is not worth hashing.
        const hashing = new AbortController();
        const stop = (): void => hashing.abort(ctx.signal.reason);
        ctx.signal.addEventListener('abort', stop, { once: true });
        const digest = video.file_md5 === null ? fileMd5.hash(file, hashing.signal) : undefined;
        digest?.catch(() => undefined); // awaited below, unless the analysis fails first
        try {
          const probed = await probeSource(deps, file, ctx.signal);
          const grabbed = wantCover
            ? await grabCover(deps, { source: file, info: probed, coverKey, scratchPath: join(deps.stagingDir, `${videoId}.cover.jpg`), signal: ctx.signal, logContext: { videoId } })
            : undefined;
          const hashed = await digest;
          if (hashed && hashed.size !== video.size) throw new Error(`the stored file has ${hashed.size} bytes, the upload ${video.size}`);
          return { info: probed, cover: grabbed, md5: hashed?.md5 ?? video.file_md5 };
        } finally {
          hashing.abort();
          ctx.signal.removeEventListener('abort', stop);
        }
      }));
    } catch (err) {
      if (err instanceof NotMediaError) {
        await failUpload(deps, then, blobEtag, err.code, err.message);
        return { kind: 'done' };
      }
      if (ctx.signal.aborted) throw err;
      if (ctx.attempt >= ctx.maxAttempts) {
        await failUpload(deps, then, blobEtag, analysisFailureCode(err), `The analysis failed ${ctx.attempt} times: ${(err as Error).message}`);
        return { kind: 'done' };
      }
      throw err;
    }

    const nowMs = deps.clock();
    const applied = await db.transaction().execute(async (trx) => {
      const current = await stillSameUpload(trx, then);
      if (!current) return false; // deleted, or a newer upload (its own job analyses it)
      await trx
        .updateTable('videos')
        .set({
          ...analysedVideoColumns(info, { sizeBytes: current.size, md5, coverKey: cover }),
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

/**
 * Ends the video UploadFail and removes the bytes analysed — only those: `blobEtag` is the
 * object's validator when the job began, so a new upload that landed meanwhile is left alone.
 */
async function failUpload(deps: UploadAnalyseDeps, then: Analysed, blobEtag: string | undefined, code: string, message: string): Promise<void> {
  const { video } = then;
  const nowMs = deps.clock();
  const source = video.storage_key as string;
  const failed = await deps.store.db.transaction().execute(async (trx) => {
    const current = await stillSameUpload(trx, then);
    if (!current) return false;
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
  const blobs = deps.storages.of(video.storage_location).blobs;
  const stored = await blobs.stat(source);
  if (stored && stored.etag === blobEtag) await blobs.delete(source);
  deps.log.info({ videoId: video.video_id, code }, code === 'InvalidMediaFile' ? 'uploaded file is not playable media; video UploadFail' : 'analysis of the uploaded file failed on its last run; video UploadFail');
}

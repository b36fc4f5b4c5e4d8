// What a finished object (PutObject, or CompleteMultipartUpload) does, in one transaction with
// the record of the stored object:
//   video → `UploadSucc`, its source is the object, and a `media.analyse-upload` job is queued
//           (the analysis makes it Normal, or UploadFail when it is not media);
//   image → `Normal`, and an ImageUploadComplete event.
import type { Transaction } from 'kysely';
import type { ServiceDeps } from '../api/rpc/action.js';
import { recordEvent } from '../events/event.repository.js';
import { enqueueJob } from '../jobs/job.repository.js';
import type { BlobStore } from '../blob/blob-store.js';
import { OssError } from '../oss/oss-errors.js';
import { mediaPath } from '../playback/playback-urls.js';
import type { Database, UploadObjectTable } from '../store/schema.js';
import { findVideo } from '../videos/video.repository.js';
import { findImage, recordStoredObject, type UploadObjectRow } from './upload.repository.js';

export type StoredObject = Pick<UploadObjectTable, 'size' | 'etag' | 'content_md5' | 'crc64' | 'object_type' | 'content_type'> & {
  /** The object's MD5, or null when a video's analysis is to compute it (a multipart upload's). */
  md5Hex: string | null;
  size: number;
};

/** Refuses bytes for media that no longer exists (deleted after its address was issued). */
export async function assertMediaAlive(deps: ServiceDeps, target: UploadObjectRow): Promise<void> {
  const db = deps.store.db;
  const alive = target.media_type === 'video' ? await findVideo(db, target.media_id) : await findImage(db, target.media_id);
  if (!alive) throw new OssError('AccessDenied', `The ${target.media_type} this upload address was issued for no longer exists.`);
}

/**
 * Records the stored object and moves its media on. `alsoInTransaction` runs in the same
 * transaction (CompleteMultipartUpload removes its upload there). Rejects with AccessDenied,
 * after removing the bytes from `blobs` — the store they were just written to — when the media
 * was deleted meanwhile: its purge (DeleteVideo) may have run before they landed there.
 */
export async function finishObject(
  deps: ServiceDeps,
  target: UploadObjectRow,
  blobs: BlobStore,
  stored: StoredObject,
  alsoInTransaction?: (trx: Transaction<Database>) => Promise<void>,
): Promise<void> {
  const nowMs = deps.clock();
  const outcome = await deps.store.db.transaction().execute(async (trx) => {
    await recordStoredObject(trx, target.object_key, {
      size: stored.size, etag: stored.etag, content_md5: stored.content_md5, crc64: stored.crc64, object_type: stored.object_type,
      content_type: stored.content_type, stored_at_ms: nowMs,
    });
    await alsoInTransaction?.(trx);
    if (target.media_type === 'video') {
      const video = await findVideo(trx, target.media_id);
      if (!video) return 'gone' as const;
      await trx
        .updateTable('videos')
        .set({ status: 'UploadSucc', storage_key: target.blob_key, size: stored.size, file_md5: stored.md5Hex, modified_at_ms: nowMs })
        .where('video_id', '=', target.media_id)
        .execute();
      await enqueueJob(trx, { kind: 'media.analyse-upload', payload: { videoId: target.media_id }, nowMs });
      return 'video' as const;
    }
    const image = await findImage(trx, target.media_id);
    if (!image) return 'gone' as const;
    await trx
      .updateTable('images')
      .set({ status: 'Normal', size: stored.size, file_md5: stored.md5Hex, modified_at_ms: nowMs })
      .where('image_id', '=', target.media_id)
      .execute();
    await recordEvent(trx, {
      appId: image.app_id, mediaId: image.image_id, type: 'ImageUploadComplete', userData: image.user_data,
      fields: { ImageId: image.image_id, Status: 'success', Size: stored.size, FileURL: `${deps.config.publicUrl}${mediaPath(image.blob_key)}`, AppId: image.app_id },
    }, nowMs);
    return 'image' as const;
  });
  if (outcome === 'gone') {
    await blobs.delete(target.blob_key);
    throw new OssError('AccessDenied', `The ${target.media_type} this upload address was issued for was deleted during the upload.`);
  }
  if (outcome === 'video') deps.notifyWorkers();
}

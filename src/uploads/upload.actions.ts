// CreateUploadVideo, RefreshUploadVideo, CreateUploadImage (reference §3). Each issues an upload
// address on OpenVOD's own upload endpoint and a temporary credential scoped to that one object;
// the media row, the object it expects and the credential commit together.
import type { ActionContext, ActionTable } from '../api/rpc/action.js';
import type { Params } from '../api/rpc/params.js';
import { ApiError, missing } from '../domain/errors.js';
import { newMediaId } from '../domain/ids.js';
import { checkDescription, checkTags, checkTitle, checkUrlField } from '../domain/media-fields.js';
import { DEFAULT_APP_ID } from '../domain/storage.js';
import { checkUserData } from '../domain/user-data.js';
import { storedMediaUrl } from '../media-pipeline/media-ref.js';
import { contentTypeFor } from '../playback/content-type.js';
import { signedMediaUrl } from '../playback/playback-urls.js';
import { checkTemplateGroup, checkWorkflow } from '../url-uploads/url-upload.request.js';
import { videoRowForUpload } from '../videos/video.factory.js';
import { categoryExists, findVideo, findVideoByReference, insertVideo } from '../videos/video.repository.js';
import {
  encodeUploadAddress, encodeUploadAuth, imageBlobKey, imageObjectKey, newCredential, videoBlobKey, videoObjectKey,
} from './upload-credential.js';
import { checkFileSize, checkReferenceId, fileNameBase, imageExtension, imageType, videoExtension } from './upload.request.js';
import { findUploadObjectOfMedia, insertCredential, insertImage, insertUploadObject } from './upload.repository.js';

/** The storage a new video's source goes to (images always go to OpenVOD's own storage). */
const storageOf = (ctx: ActionContext, p: Params): string => ctx.deps.storages.forNewMedia(p.get('StorageLocation')).location;

async function checkCategory(ctx: ActionContext, cateId: number | undefined): Promise<void> {
  if (cateId !== undefined && !(await categoryExists(ctx.deps.store.db, cateId))) throw new ApiError('InvalidCateId.NotFound', `The category ${cateId} does not exist.`);
}

function credentialAnswer(ctx: ActionContext, objectKey: string) {
  const { upload, publicUrl, regionId } = ctx.deps.config;
  const cred = newCredential({ bucket: upload.bucket, objectKey, nowMs: ctx.nowMs, ttlS: upload.credentialTtlS });
  return {
    cred,
    UploadAddress: encodeUploadAddress(publicUrl, upload.bucket, objectKey),
    UploadAuth: encodeUploadAuth(cred, upload.credentialTtlS, regionId),
  };
}

/** Anything but an ApiError while creating the records is the service's fault: AddVideoFailed. */
async function creating<T>(ctx: ActionContext, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    ctx.log.error({ err }, 'creating an upload failed');
    throw new ApiError('AddVideoFailed', undefined, { cause: err });
  }
}

export const uploadActions: ActionTable = {
  async CreateUploadVideo(ctx, p) {
    const fileName = p.required('FileName');
    const ext = videoExtension(fileName);
    const title = checkTitle(p.required('Title'));
    checkFileSize(p.get('FileSize'), ctx.deps.config.upload.maxObjectBytes);
    const description = checkDescription(p.get('Description') ?? '');
    const tags = checkTags(p.get('Tags') ?? '');
    const coverUrl = storedMediaUrl(ctx.deps.config.publicUrl, checkUrlField('CoverURL', p.get('CoverURL') ?? ''));
    const cateId = p.int('CateId');
    // "WorkflowId wins over TemplateGroupId": OpenVOD has neither workflows nor transcoding.
    checkWorkflow(p.get('WorkflowId'));
    const templateGroupId = checkTemplateGroup(p.get('TemplateGroupId'));
    const storage = storageOf(ctx, p);
    const userData = checkUserData(p.get('UserData') ?? '');
    const appId = p.get('AppId') ?? DEFAULT_APP_ID;
    const referenceId = checkReferenceId(p.get('ReferenceId'));
    // Accepted for compatibility; a cover is grabbed from the video either way.
    p.bool('EnableFirstFrameCover');
    p.bool('GenerateThumbnail');
    await checkCategory(ctx, cateId);
    const db = ctx.deps.store.db;
    if (referenceId !== undefined && (await findVideoByReference(db, referenceId))) {
      throw new ApiError('InvalidReferenceId.Duplicate', `The ReferenceId "${referenceId}" is already in use.`);
    }

    const videoId = newMediaId();
    const objectKey = videoObjectKey(videoId, ext);
    const answer = credentialAnswer(ctx, objectKey);
    await creating(ctx, () =>
      db.transaction().execute(async (trx) => {
        await insertVideo(trx, videoRowForUpload({
          videoId, appId, nowMs: ctx.nowMs, storageLocation: storage, title, description, tags, cateId, coverUrl, templateGroupId,
          userData, fileName, referenceId,
        }));
        await insertUploadObject(trx, {
          object_key: objectKey, bucket: answer.cred.bucket, media_type: 'video', media_id: videoId, app_id: appId,
          blob_key: videoBlobKey(videoId, ext), content_type: contentTypeFor(objectKey), size: null, etag: null, content_md5: null,
          crc64: null, object_type: null, stored_at_ms: null, created_at_ms: ctx.nowMs,
        });
        await insertCredential(trx, answer.cred);
      }),
    );
    return { VideoId: videoId, UploadAddress: answer.UploadAddress, UploadAuth: answer.UploadAuth };
  },

  async RefreshUploadVideo(ctx, p) {
    const db = ctx.deps.store.db;
    const videoId = p.get('VideoId');
    const referenceId = p.get('ReferenceId');
    if (videoId === undefined && referenceId === undefined) throw missing('VideoId');
    const video = videoId !== undefined ? await findVideo(db, videoId) : await findVideoByReference(db, referenceId as string);
    if (!video) throw new ApiError('InvalidVideo.NotFound');
    const target = await findUploadObjectOfMedia(db, video.video_id);
    if (!target || target.media_type !== 'video') {
      // A video made by URL pull or registration has no upload address to refresh.
      throw new ApiError('InvalidVideo.Damaged', 'The video was not created by CreateUploadVideo, so it has no upload address to refresh.');
    }
    const answer = credentialAnswer(ctx, target.object_key);
    await creating(ctx, () => insertCredential(db, answer.cred));
    return { VideoId: video.video_id, UploadAddress: answer.UploadAddress, UploadAuth: answer.UploadAuth };
  },

  async CreateUploadImage(ctx, p) {
    const type = imageType(p.required('ImageType'));
    const originalFileName = p.get('OriginalFileName');
    const ext = imageExtension(p.get('ImageExt'), originalFileName);
    const title = checkTitle(p.get('Title') ?? (originalFileName !== undefined && fileNameBase(originalFileName).trim() !== '' ? fileNameBase(originalFileName).slice(0, 64) : `image.${ext}`));
    const description = checkDescription(p.get('Description') ?? '');
    const tags = checkTags(p.get('Tags') ?? '');
    const cateId = p.int('CateId');
    const storage = storageOf(ctx, p);
    const userData = checkUserData(p.get('UserData') ?? '');
    const appId = p.get('AppId') ?? DEFAULT_APP_ID;
    await checkCategory(ctx, cateId);

    const imageId = newMediaId();
    const objectKey = imageObjectKey(type, imageId, ext);
    const blobKey = imageBlobKey(imageId, ext);
    const answer = credentialAnswer(ctx, objectKey);
    const db = ctx.deps.store.db;
    await creating(ctx, () =>
      db.transaction().execute(async (trx) => {
        await insertImage(trx, {
          image_id: imageId, app_id: appId, image_type: type, image_ext: ext, title, description, tags, cate_id: cateId ?? null,
          storage_location: storage, status: 'Uploading', original_file_name: originalFileName ?? '', blob_key: blobKey, object_key: objectKey,
          size: null, file_md5: null, user_data: userData, created_at_ms: ctx.nowMs, modified_at_ms: ctx.nowMs,
        });
        await insertUploadObject(trx, {
          object_key: objectKey, bucket: answer.cred.bucket, media_type: 'image', media_id: imageId, app_id: appId, blob_key: blobKey,
          content_type: contentTypeFor(objectKey), size: null, etag: null, content_md5: null, crc64: null, object_type: null,
          stored_at_ms: null, created_at_ms: ctx.nowMs,
        });
        await insertCredential(trx, answer.cred);
      }),
    );
    // The image is served by the playback route once uploaded; the URL is signed like every
    // media URL, and UpdateVideoInfo/CreateUploadVideo recognise it as a cover whatever its
    // auth_key (it is stored as a reference, signed afresh in every answer).
    const url = signedMediaUrl(ctx.deps, blobKey, ctx.nowMs);
    return { ImageId: imageId, ImageURL: url, FileURL: url, UploadAddress: answer.UploadAddress, UploadAuth: answer.UploadAuth };
  },
};

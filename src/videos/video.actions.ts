// GetVideoInfo, GetVideoInfos, GetVideoList, UpdateVideoInfo, DeleteVideo (reference §7).
import { ApiError, invalid, missing } from '../domain/errors.js';
import { checkDescription, checkTags, checkTitle, checkUrlField } from '../domain/media-fields.js';
import { parseIsoUtc } from '../domain/time.js';
import { checkUserData } from '../domain/user-data.js';
import type { ActionContext, ActionTable } from '../api/rpc/action.js';
import type { Params } from '../api/rpc/params.js';
import { recordEvent } from '../events/event.repository.js';
import { enqueueJob } from '../jobs/job.repository.js';
import { DEFAULT_STORAGE_LOCATION } from '../domain/storage.js';
import { unregisterMedia } from '../register/registration.repository.js';
import { storedMediaUrl } from '../media-pipeline/media-ref.js';
import { blobKeyOf, mediaPath, storedUrlRenderer } from '../playback/playback-urls.js';
import type { VideoTable } from '../store/schema.js';
import {
  categoryExists, deleteVideoRow, findVideo, findVideoByReference, findVideos, findVideosByReference, findVideoView, findVideoViews, listVideos,
  updateVideo, type VideoRow, type VideoViewRow,
} from './video.repository.js';
import { videoInfosItemView, videoInfoView, videoListItemView } from './video.view.js';

const MAX_IDS = 20;
const LIST_CAP = 5000;
const STATUSES = ['Uploading', 'UploadFail', 'UploadSucc', 'Transcoding', 'TranscodeFail', 'Checking', 'Blocked', 'Normal', 'ProduceFail'];

/** `VideoId` or else `ReferenceId`, as given: which one names the video. */
function videoKey(p: Params): { videoId: string } | { referenceId: string } {
  const videoId = p.get('VideoId');
  if (videoId !== undefined) return { videoId };
  const referenceId = p.get('ReferenceId');
  if (referenceId !== undefined) return { referenceId };
  throw missing('VideoId');
}

async function videoFromParams(ctx: ActionContext, p: Params): Promise<VideoRow> {
  const db = ctx.deps.store.db;
  const key = videoKey(p);
  const row = 'videoId' in key ? await findVideo(db, key.videoId) : await findVideoByReference(db, key.referenceId);
  if (!row) throw new ApiError('InvalidVideo.NotFound');
  return row;
}

type FoundRows<R> = { byId: R[]; byReference: R[] };

/**
 * `VideoIds` and/or `ReferenceIds` (≤20 each): the videos found, in the order asked and without
 * repeats, and the ids of each kind that matched nothing.
 */
async function videosFromParams<R extends VideoViewRow>(p: Params, verb: string, find: (ids: string[], refs: string[]) => Promise<FoundRows<R>>) {
  const tooMany = new ApiError('VideoIdsExceededMax', `At most ${MAX_IDS} videos may be ${verb} at once.`);
  const ids = p.list('VideoIds', { max: MAX_IDS, tooMany }) ?? [];
  const refs = p.list('ReferenceIds', { max: MAX_IDS, tooMany }) ?? [];
  if (ids.length === 0 && refs.length === 0) throw missing('VideoIds');
  const found = await find(ids, refs);
  const byId = new Map(found.byId.map((r) => [r.video_id, r]));
  const byRef = new Map(found.byReference.map((r) => [r.reference_id, r]));
  const videos = new Map<string, R>();
  for (const id of ids) { const r = byId.get(id); if (r) videos.set(r.video_id, r); }
  for (const ref of refs) { const r = byRef.get(ref); if (r && !videos.has(r.video_id)) videos.set(r.video_id, r); }
  return {
    videos: [...videos.values()],
    nonExistVideoIds: ids.filter((id) => !byId.has(id)),
    nonExistReferenceIds: refs.filter((ref) => !byRef.has(ref)),
  };
}

export const videoActions: ActionTable = {
  async GetVideoInfo(ctx, p) {
    const row = await findVideoView(ctx.deps.store.db, videoKey(p));
    if (!row) throw new ApiError('InvalidVideo.NotFound');
    return { Video: videoInfoView(row, storedUrlRenderer(ctx.deps, ctx.nowMs), ctx.deps.config.regionId) };
  },

  async GetVideoInfos(ctx, p) {
    const found = await videosFromParams(p, 'queried', (ids, refs) => findVideoViews(ctx.deps.store.db, ids, refs));
    const url = storedUrlRenderer(ctx.deps, ctx.nowMs);
    return {
      VideoList: found.videos.map((r) => videoInfosItemView(r, url)),
      NonExistVideoIds: found.nonExistVideoIds,
      NonExistReferenceIds: found.nonExistReferenceIds,
    };
  },

  async GetVideoList(ctx, p) {
    const pageNo = p.int('PageNo', { min: 1 }) ?? 1;
    const pageSize = p.int('PageSize', { min: 1, max: 100 }) ?? 10;
    if (pageNo * pageSize > LIST_CAP) {
      throw new ApiError('VideoListExceededMax', `GetVideoList reaches only the first ${LIST_CAP} matches; use SearchMedia with a ScrollToken to go further.`);
    }
    const statuses = p.list('Status', { max: STATUSES.length });
    for (const s of statuses ?? []) if (!STATUSES.includes(s)) throw invalid('Status', `Unknown status "${s}".`);
    const sortBy = p.oneOf('SortBy', ['CreationTime:Desc', 'CreationTime:Asc'] as const) ?? 'CreationTime:Desc';
    const time = (name: string): number | undefined => {
      const v = p.get(name);
      if (v === undefined) return undefined;
      const ms = parseIsoUtc(v);
      if (ms === undefined) throw invalid(name, 'It must be a UTC time like 2024-05-01T08:00:00Z.');
      return ms;
    };
    const { total, rows } = await listVideos(
      ctx.deps.store.db,
      {
        statuses,
        cateId: p.int('CateId'),
        startMs: time('StartTime'),
        endMs: time('EndTime'),
        storageLocation: p.get('StorageLocation'),
        referenceIds: p.list('ReferenceIds', { max: MAX_IDS }),
      },
      { offset: (pageNo - 1) * pageSize, limit: pageSize, ascending: sortBy === 'CreationTime:Asc' },
    );
    const url = storedUrlRenderer(ctx.deps, ctx.nowMs);
    return { Total: total, VideoList: { Video: rows.map((r) => videoListItemView(r, url)) } };
  },

  async UpdateVideoInfo(ctx, p) {
    const row = await videoFromParams(ctx, p);
    const changes: Partial<VideoTable> = {};
    const title = p.raw('Title');
    if (title !== undefined) changes.title = checkTitle(title);
    const description = p.raw('Description');
    if (description !== undefined) changes.description = checkDescription(description);
    const tags = p.raw('Tags');
    if (tags !== undefined) changes.tags = checkTags(tags);
    const cover = p.raw('CoverURL');
    // An OpenVOD media URL (e.g. CreateUploadImage's ImageURL) is kept as a reference to the
    // stored image, signed afresh in every answer; any other URL is kept as given.
    if (cover !== undefined) changes.cover_url = storedMediaUrl(ctx.deps.config.publicUrl, checkUrlField('CoverURL', cover));
    const userData = p.raw('UserData');
    if (userData !== undefined) changes.user_data = checkUserData(userData);
    const cateId = p.int('CateId');
    const db = ctx.deps.store.db;
    if (cateId !== undefined) {
      if (!(await categoryExists(db, cateId))) throw new ApiError('InvalidCateId.NotFound');
      changes.cate_id = cateId;
    }
    const content = baseChanges(row, changes, false, (stored) => plainStoredUrl(ctx.deps.config.publicUrl, stored));
    await db.transaction().execute(async (trx) => {
      await updateVideo(trx, row.video_id, { ...changes, modified_at_ms: ctx.nowMs });
      if (Object.keys(content).length > 0) {
        await recordEvent(trx, {
          appId: row.app_id, mediaId: row.video_id, type: 'MediaBaseChangeComplete',
          fields: { Status: 'success', MediaId: row.video_id, MediaType: 'video', OperateMode: 'update', MediaContent: content },
        }, ctx.nowMs);
      }
    });
    return {};
  },

  async DeleteVideo(ctx, p) {
    const db = ctx.deps.store.db;
    const found = await videosFromParams(p, 'deleted', async (ids, refs) => ({ byId: await findVideos(db, ids), byReference: await findVideosByReference(db, refs) }));
    // The row, its outbox events and the job that removes its bytes commit together: the bytes
    // are removed by a worker with retries, so a crash half-way never leaves an orphan behind.
    await db.transaction().execute(async (trx) => {
      for (const row of found.videos) {
        // The row goes first, so its events are told the media's UserData (callback override, Extend).
        await deleteVideoRow(trx, row.video_id);
        // A registered media's source is the user's object: only the registration goes.
        const registered = await unregisterMedia(trx, row.video_id);
        const sourceLocation = registered || row.storage_location === DEFAULT_STORAGE_LOCATION ? undefined : row.storage_location;
        await enqueueJob(trx, { kind: 'media.purge', payload: { prefix: `${row.video_id}/`, sourceLocation } });
        const removed = baseChanges(row, {}, true);
        await recordEvent(trx, {
          appId: row.app_id, mediaId: row.video_id, type: 'MediaBaseChangeComplete', userData: row.user_data,
          fields: { Status: 'success', MediaId: row.video_id, MediaType: 'video', OperateMode: 'delete', MediaContent: removed },
        }, ctx.nowMs);
        await recordEvent(trx, {
          appId: row.app_id, mediaId: row.video_id, type: 'DeleteMediaComplete', userData: row.user_data,
          fields: { Status: 'success', MediaId: row.video_id, MediaType: 'video', DeleteType: 'all' },
        }, ctx.nowMs);
      }
    });
    if (found.videos.length > 0) ctx.deps.notifyWorkers();
    return {
      NonExistVideoIds: found.nonExistVideoIds,
      ForbiddenVideoIds: [],
      NonExistReferenceIds: found.nonExistReferenceIds,
    };
  },
};

/**
 * MediaBaseChangeComplete's MediaContent: for each changed basic field, a JSON string
 * `{"OldValue":…,"NewValue":…}` (reference events §1.9). On delete only OldValue is given.
 */
function baseChanges(row: VideoRow, changes: Partial<VideoTable>, deleting = false, showUrl: (stored: string) => string = (s) => s): Record<string, string> {
  const fields: Array<[string, keyof VideoTable]> = [['Title', 'title'], ['Description', 'description'], ['CoverURL', 'cover_url'], ['CateId', 'cate_id'], ['Tags', 'tags']];
  const out: Record<string, string> = {};
  for (const [name, column] of fields) {
    const shown = (v: VideoTable[keyof VideoTable] | undefined) => (column === 'cover_url' && typeof v === 'string' ? showUrl(v) : v);
    const oldValue = shown(row[column]);
    if (deleting) {
      if (oldValue !== null && oldValue !== '') out[name] = JSON.stringify({ OldValue: oldValue });
      continue;
    }
    if (!(column in changes)) continue;
    const newValue = shown(changes[column]);
    if (newValue === oldValue) continue;
    out[name] = JSON.stringify(oldValue === null || oldValue === '' ? { NewValue: newValue } : { OldValue: oldValue, NewValue: newValue });
  }
  return out;
}

/** A stored URL as events show it: a `blob:` reference becomes its plain (unsigned) media URL. */
function plainStoredUrl(publicUrl: string, stored: string): string {
  const key = blobKeyOf(stored);
  return key === undefined ? stored : `${publicUrl}${mediaPath(key)}`;
}

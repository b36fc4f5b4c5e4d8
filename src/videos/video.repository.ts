import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, VideoTable } from '../store/schema.js';
import { preparedQuery } from '../store/db.js';

export type VideoRow = Selectable<VideoTable> & { cate_name: string | null };
type Db = Kysely<Database> | Transaction<Database>;

/**
 * The columns the API's video views render (video.view.ts). GetVideoInfo, GetVideoInfos and
 * GetVideoList read only these: the rest, `media_info` above all (every stream of the probed file
 * as JSON, a few KiB on a real video), is for the pipeline, GetMezzanineInfo and GetPlayInfo.
 */
const VIEW_COLUMNS = [
  'video_id', 'app_id', 'title', 'description', 'tags', 'cate_id', 'status', 'size', 'duration', 'cover_url', 'snapshots',
  'template_group_id', 'storage_location', 'user_data', 'reference_id', 'download_switch', 'created_at_ms', 'modified_at_ms',
] as const satisfies ReadonlyArray<keyof VideoTable>;
export type VideoViewRow = Pick<VideoRow, (typeof VIEW_COLUMNS)[number] | 'cate_name'>;

const base = (db: Db) =>
  db
    .selectFrom('videos')
    .leftJoin('categories', 'categories.cate_id', 'videos.cate_id')
    .selectAll('videos')
    .select('categories.cate_name');

const viewBase = (db: Db) =>
  db
    .selectFrom('videos')
    .leftJoin('categories', 'categories.cate_id', 'videos.cate_id')
    .select(VIEW_COLUMNS.map((c) => `videos.${c}` as const))
    .select('categories.cate_name');

// The hot reads of GetPlayInfo and GetVideoInfo: built and compiled once per database handle.
const findVideoQuery = preparedQuery((db, videoId: string) => base(db).where('videos.video_id', '=', videoId));
const findVideoViewQuery = preparedQuery((db, videoId: string) => viewBase(db).where('videos.video_id', '=', videoId));

/** A video's row as the API's views show it (VIEW_COLUMNS), by id or by ReferenceId. */
export async function findVideoView(db: Db, key: { videoId: string } | { referenceId: string }): Promise<VideoViewRow | undefined> {
  if ('videoId' in key) {
    const [row] = await findVideoViewQuery(db, key.videoId);
    return row as VideoViewRow | undefined;
  }
  return viewBase(db).where('videos.reference_id', '=', key.referenceId).executeTakeFirst();
}

/** Rows as the views show them, for ids and ReferenceIds (either list may be empty). */
export async function findVideoViews(db: Db, videoIds: readonly string[], referenceIds: readonly string[]): Promise<{ byId: VideoViewRow[]; byReference: VideoViewRow[] }> {
  const [byId, byReference] = await Promise.all([
    videoIds.length === 0 ? [] : viewBase(db).where('videos.video_id', 'in', videoIds).execute(),
    referenceIds.length === 0 ? [] : viewBase(db).where('videos.reference_id', 'in', referenceIds).execute(),
  ]);
  return { byId, byReference };
}

export async function findVideo(db: Db, videoId: string): Promise<VideoRow | undefined> {
  const [row] = await findVideoQuery(db, videoId);
  return row as VideoRow | undefined;
}

export async function findVideoByReference(db: Db, referenceId: string): Promise<VideoRow | undefined> {
  return base(db).where('videos.reference_id', '=', referenceId).executeTakeFirst();
}

export async function findVideos(db: Db, videoIds: readonly string[]): Promise<VideoRow[]> {
  if (videoIds.length === 0) return [];
  return base(db).where('videos.video_id', 'in', videoIds).execute();
}

export async function findVideosByReference(db: Db, referenceIds: readonly string[]): Promise<VideoRow[]> {
  if (referenceIds.length === 0) return [];
  return base(db).where('videos.reference_id', 'in', referenceIds).execute();
}

export async function insertVideo(db: Db, row: VideoTable): Promise<void> {
  await db.insertInto('videos').values(row).execute();
}

export interface VideoListFilter {
  statuses?: readonly string[] | undefined;
  cateId?: number | undefined;
  startMs?: number | undefined;
  endMs?: number | undefined;
  storageLocation?: string | undefined;
  referenceIds?: readonly string[] | undefined;
}

function filtered(db: Db, f: VideoListFilter) {
  let q = viewBase(db);
  if (f.statuses?.length) q = q.where('videos.status', 'in', f.statuses);
  if (f.cateId !== undefined) q = q.where('videos.cate_id', '=', f.cateId);
  if (f.startMs !== undefined) q = q.where('videos.created_at_ms', '>=', f.startMs);
  if (f.endMs !== undefined) q = q.where('videos.created_at_ms', '<=', f.endMs);
  if (f.storageLocation !== undefined) q = q.where('videos.storage_location', '=', f.storageLocation);
  if (f.referenceIds?.length) q = q.where('videos.reference_id', 'in', f.referenceIds);
  return q;
}

export async function listVideos(
  db: Db,
  f: VideoListFilter,
  page: { offset: number; limit: number; ascending: boolean },
): Promise<{ total: number; rows: VideoViewRow[] }> {
  const dir = page.ascending ? 'asc' : 'desc';
  const rows = await filtered(db, f)
    .orderBy('videos.created_at_ms', dir)
    .orderBy('videos.video_id', dir)
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  const count = await filtered(db, f)
    .clearSelect()
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return { total: Number(count.n), rows };
}

export async function updateVideo(db: Db, videoId: string, changes: Partial<VideoTable>): Promise<void> {
  await db.updateTable('videos').set(changes).where('video_id', '=', videoId).execute();
}

export async function deleteVideoRow(db: Db, videoId: string): Promise<void> {
  await db.deleteFrom('videos').where('video_id', '=', videoId).execute();
}

export async function categoryExists(db: Db, cateId: number): Promise<boolean> {
  const row = await db.selectFrom('categories').select('cate_id').where('cate_id', '=', cateId).executeTakeFirst();
  return row !== undefined;
}

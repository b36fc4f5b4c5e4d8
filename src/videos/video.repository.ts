import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, VideoTable } from '../store/schema.js';
import { preparedQuery } from '../store/db.js';

export type VideoRow = Selectable<VideoTable> & { cate_name: string | null };
type Db = Kysely<Database> | Transaction<Database>;

const base = (db: Db) =>
  db
    .selectFrom('videos')
    .leftJoin('categories', 'categories.cate_id', 'videos.cate_id')
    .selectAll('videos')
    .select('categories.cate_name');

// The hot read of GetVideoInfo/GetPlayInfo: built and compiled once per database handle.
const findVideoQuery = preparedQuery((db, videoId: string) => base(db).where('videos.video_id', '=', videoId));

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
  let q = base(db);
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
): Promise<{ total: number; rows: VideoRow[] }> {
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

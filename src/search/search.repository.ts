// SearchMedia's reads of `videos`: one filtered, sorted page (by offset, or by keyset after a
// scroll cursor), the count of all matches, and the names of categories.
import { type Compilable, CompiledQuery, type Kysely, type Selectable, type Transaction, sql } from 'kysely';
import type { Dialect } from '../store/db.js';
import type { Database, VideoTable } from '../store/schema.js';
import type { VideoFilter } from './match-check.js';
import type { SortKey } from './sort-by.js';
import { columnSql, filterSql, type FuzzyDriver } from './video-filter.sql.js';

type Db = Kysely<Database> | Transaction<Database>;
export type VideoRecord = Selectable<VideoTable>;

/** A position in a single-key sort order: the last row seen. */
export interface SortPosition {
  readonly sortValue: number;
  readonly videoId: string;
}

export interface VideoQuery {
  readonly filter: VideoFilter | undefined;
  readonly sort: readonly SortKey[];
  /** Scroll snapshot: only videos created at or before this. */
  readonly boundMs?: number | undefined;
  /** Keyset: only rows after this position (the sort must have exactly one key). */
  readonly after?: SortPosition | undefined;
  /** SQLite: looked-up candidates of a fuzzy condition, which then drive the query (fuzzy-driver.ts). */
  readonly driver?: FuzzyDriver | undefined;
  /** Sort the matches rather than walk a sort index looking for them (see search.service.ts). */
  readonly sortMatches?: boolean | undefined;
}

function matching(db: Db, dialect: Dialect, q: VideoQuery) {
  const opts = { driver: q.driver };
  const col = (c: 'created_at_ms' | 'modified_at_ms' | 'video_id') => columnSql(c, dialect, opts);
  let b = db.selectFrom('videos');
  if (q.filter) b = b.where(filterSql(q.filter, dialect, opts));
  if (q.boundMs !== undefined) b = b.where(sql<boolean>`${col('created_at_ms')} <= ${q.boundMs}`);
  if (q.after) {
    const key = q.sort[0] as SortKey;
    // Row values: both databases walk the (sort column, video_id) index from the position.
    b = b.where(sql<boolean>`(${col(key.column)}, ${col('video_id')}) ${sql.raw(key.desc ? '<' : '>')} (${q.after.sortValue}, ${q.after.videoId})`);
  }
  return b;
}

export interface PageWindow {
  readonly offset: number;
  readonly limit: number;
}

function orderedPage(db: Db, dialect: Dialect, q: VideoQuery, page: PageWindow) {
  const opts = { driver: q.driver };
  const last = q.sort[q.sort.length - 1] as SortKey;
  let b = matching(db, dialect, q).selectAll('videos');
  for (const key of q.sort) {
    const col = columnSql(key.column, dialect, opts);
    b = b.orderBy(q.sortMatches ? sql`${col} + 0` : col, key.desc ? 'desc' : 'asc');
  }
  b = b.orderBy(columnSql('video_id', dialect, opts), last.desc ? 'desc' : 'asc').limit(page.limit);
  return page.offset > 0 ? b.offset(page.offset) : b;
}

/**
 * Runs a search query planned for its own values. The store names parameterised statements so
 * that Postgres may reuse a generic plan (src/store/db.ts); for a search that is the wrong trade:
 * a generic plan can't see how rare a title word or how narrow a time range is, and a plan good
 * for one value is slow for another (walking the CreationTime index for a rare word). A leading
 * comment keeps the statement unnamed, so each run is planned with its values (about 1–2 ms).
 */
async function runPlannedForValues<R>(db: Db, query: Compilable<R>): Promise<R[]> {
  const c = query.compile();
  const r = await db.executeQuery(CompiledQuery.raw(`/* search: planned per values */ ${c.sql}`, [...c.parameters]) as CompiledQuery<R>);
  return [...r.rows];
}

export async function findVideoPage(db: Db, dialect: Dialect, q: VideoQuery, page: PageWindow): Promise<VideoRecord[]> {
  return runPlannedForValues(db, orderedPage(db, dialect, q, page));
}

/**
 * The page and, in the same pass, the number of all matches (a window count): for queries whose
 * matches are few and read anyway (a fuzzy driver's candidates), one pass instead of two. The total
 * is undefined when the page is empty (no row to carry it).
 */
export async function findVideoPageCounted(db: Db, dialect: Dialect, q: VideoQuery, page: PageWindow): Promise<{ rows: VideoRecord[]; total: number | undefined }> {
  const found = await runPlannedForValues(db, orderedPage(db, dialect, q, page).select(sql<number>`count(*) over ()`.as('search_total')));
  const rows = found.map(({ search_total: _, ...row }) => row);
  return { rows, total: found.length === 0 ? undefined : Number(found[0]?.search_total) };
}

export async function countVideos(db: Db, dialect: Dialect, q: VideoQuery): Promise<number> {
  const [r] = await runPlannedForValues(db, matching(db, dialect, q).select((eb) => eb.fn.countAll<number>().as('n')));
  return Number(r?.n ?? 0);
}

/** The newest creation time of any video (a scroll's snapshot bound); undefined when there is none. */
export async function newestCreationMs(db: Db): Promise<number | undefined> {
  const r = await db.selectFrom('videos').select('created_at_ms').orderBy('created_at_ms', 'desc').limit(1).executeTakeFirst();
  return r === undefined ? undefined : Number(r.created_at_ms);
}

export async function categoryNames(db: Db, cateIds: readonly number[]): Promise<Map<number, string>> {
  if (cateIds.length === 0) return new Map();
  const rows = await db.selectFrom('categories').select(['cate_id', 'cate_name']).where('cate_id', 'in', cateIds).execute();
  return new Map(rows.map((r) => [Number(r.cate_id), r.cate_name]));
}

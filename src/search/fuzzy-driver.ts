// SQLite only: how a query with a fuzzy condition is run. SQLite's planner can't tell how many rows
// an FTS5 query yields, so it always walks the B-tree range of the other conditions, testing each
// entry against the FTS result; for a rare word among all `Normal` videos that is the whole range.
// So when a required fuzzy condition has few candidates (≤ MAX_DRIVER_ROWS), they are looked up
// once and passed to the queries as a list (the FTS query then runs once, not in both the page and
// the count query), and we choose the access path with a simple cost model:
// - an index page holds about ENTRIES_PER_INDEX_PAGE entries, a candidate costs one table page;
// - the other conditions' range is counted, index-only, up to that many entries per candidate;
// - if the range is wider, the candidates drive the query (`drive`: the other columns are written
//   `+videos.col`, which keeps SQLite off their indexes); otherwise SQLite walks the range and
//   tests each entry against the list (a Bloom filter), reading only the rows that match.
// A condition with more candidates (a very common substring) is left to the planner as it is.
import { type Kysely, sql } from 'kysely';
import type { Store } from '../store/db.js';
import type { Database } from '../store/schema.js';
import type { VideoFilter } from './match-check.js';
import { countUpTo, type VideoQuery } from './search.repository.js';
import { type ContainsFilter, ftsPhrase, type FuzzyDriver, usesTrigrams } from './video-filter.sql.js';

export const MAX_DRIVER_ROWS = 5000;
const ENTRIES_PER_INDEX_PAGE = 80;

/** Fuzzy conditions every match must meet (the root, or items of a top-level `and`), index-usable. */
export function requiredContains(filter: VideoFilter | undefined): ContainsFilter[] {
  if (!filter) return [];
  const items = filter.type === 'and' ? filter.items : [filter];
  return items.filter((f): f is ContainsFilter => f.type === 'contains' && f.needles.every(usesTrigrams));
}

/** The filter without one of its top-level conditions. */
function without(filter: VideoFilter, node: VideoFilter): VideoFilter | undefined {
  if (filter === node) return undefined;
  if (filter.type !== 'and') return filter;
  const items = filter.items.filter((f) => f !== node);
  return items.length === 1 ? items[0] : { type: 'and', items };
}

/** Whether a top-level condition can narrow a B-tree range (the indexes of migration 0005). */
function narrowsAnIndex(filter: VideoFilter | undefined, q: VideoQuery): boolean {
  if (q.after) return true;
  const items = !filter ? [] : filter.type === 'and' ? filter.items : [filter];
  return items.some((f) =>
    (f.type === 'equals' && (f.column === 'status' || f.column === 'cate_id' || f.column === 'video_id'))
    || (f.type === 'range' && (f.column === 'created_at_ms' || f.column === 'modified_at_ms')));
}

export async function findFuzzyDriver(store: Store, q: VideoQuery): Promise<FuzzyDriver | undefined> {
  if (store.dialect !== 'sqlite' || !q.filter) return undefined;
  let best: { node: ContainsFilter; rowids: number[] } | undefined;
  for (const node of requiredContains(q.filter)) {
    const rowids = await candidates(store.db, node, Math.min(MAX_DRIVER_ROWS, best?.rowids.length ?? MAX_DRIVER_ROWS));
    if (rowids && (!best || rowids.length < best.rowids.length)) best = { node, rowids };
  }
  if (!best) return undefined;
  const rest = without(q.filter, best.node);
  if (!narrowsAnIndex(rest, q)) return { ...best, drive: true };
  const limit = Math.max(1, best.rowids.length) * ENTRIES_PER_INDEX_PAGE;
  const range = await countUpTo(store.db, store.dialect, { ...q, filter: rest, driver: undefined }, limit + 1);
  return { ...best, drive: range > limit };
}

/** The rowids matching any needle of the node, or undefined when there are more than `max`. */
async function candidates(db: Kysely<Database>, node: ContainsFilter, max: number): Promise<number[] | undefined> {
  const found = new Set<number>();
  for (const needle of node.needles) {
    const r = await sql<{ rowid: number }>`select rowid from videos_fts where videos_fts match ${ftsPhrase(node.column, needle)} limit ${max + 1}`.execute(db);
    for (const row of r.rows) found.add(Number(row.rowid));
    if (found.size > max) return undefined;
  }
  return [...found];
}

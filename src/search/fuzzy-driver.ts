// SQLite only: how a query with a fuzzy condition is run. SQLite's planner can't tell how many rows
// an FTS5 query yields, so left alone it walks the B-tree range of the other conditions and tests
// every entry against the FTS result — for a rare word among all `Normal` videos, the whole range,
// and the FTS query runs again for the count. So when a required fuzzy condition has at most
// MAX_DRIVER_ROWS candidates, they are looked up once and drive the queries: the page and the
// count read those rows by rowid (the other columns are written `+videos.col`, which keeps SQLite
// off their indexes). The cost is then bounded by the candidates, whatever the other conditions
// span. A condition with more candidates (a very common substring) is left to the planner.
import { type Kysely, sql } from 'kysely';
import type { Store } from '../store/db.js';
import type { Database } from '../store/schema.js';
import type { VideoFilter } from './match-check.js';
import { type ContainsFilter, ftsPhrase, type FuzzyDriver, usesTrigrams } from './video-filter.sql.js';

export const MAX_DRIVER_ROWS = 5000;

/** Fuzzy conditions every match must meet (the root, or items of a top-level `and`); with `indexable`, only those trigrams serve. */
export function requiredContains(filter: VideoFilter | undefined, indexable = true): ContainsFilter[] {
  if (!filter) return [];
  const items = filter.type === 'and' ? filter.items : [filter];
  return items.filter((f): f is ContainsFilter => f.type === 'contains' && (!indexable || f.needles.every(usesTrigrams)));
}

/** The required fuzzy condition with the fewest candidates, if one has at most MAX_DRIVER_ROWS. */
export async function findFuzzyDriver(store: Store, filter: VideoFilter | undefined): Promise<FuzzyDriver | undefined> {
  if (store.dialect !== 'sqlite') return undefined;
  let best: FuzzyDriver | undefined;
  for (const node of requiredContains(filter)) {
    const rowids = await candidates(store.db, node, Math.min(MAX_DRIVER_ROWS, best?.rowids.length ?? MAX_DRIVER_ROWS));
    if (rowids && (!best || rowids.length < best.rowids.length)) best = { node, rowids };
  }
  return best;
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

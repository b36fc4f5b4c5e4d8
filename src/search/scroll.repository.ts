// The state behind ScrollTokens: one row per scroll (the search it continues, its snapshot bound,
// its Total, its expiry) and one cursor per page served (the position after that page), so a
// page can be asked again (a retried request) or a few pages skipped.
//
// This state is disposable: on Postgres its writes commit without waiting for the WAL flush
// (synchronous_commit off, for these transactions only). A crash may lose the last cursors or a
// new scroll; the client then gets InvalidScrollToken.Expired and starts over — never wrong rows.
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { Store } from '../store/db.js';
import type { Database, SearchScrollTable } from '../store/schema.js';
import type { SortPosition } from './search.repository.js';

type Db = Kysely<Database> | Transaction<Database>;
export type ScrollRow = Selectable<SearchScrollTable>;

export interface ScrollCursor extends SortPosition {
  /** Results before this position in the scroll's order. */
  readonly rowsBefore: number;
}

/** Runs scroll-state writes in one transaction that does not wait for durability. */
async function disposableWrite(store: Store, write: (trx: Transaction<Database>) => Promise<void>): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    if (store.dialect === 'postgres') await sql`set local synchronous_commit = off`.execute(trx);
    await write(trx);
  });
}

export async function insertScroll(store: Store, row: SearchScrollTable, cursor: ScrollCursor): Promise<void> {
  await disposableWrite(store, async (trx) => {
    await trx.insertInto('search_scrolls').values(row).execute();
    await trx.insertInto('search_scroll_cursors').values(cursorRow(row.token, cursor)).execute();
  });
}

export async function findScroll(db: Db, token: string, nowMs: number): Promise<ScrollRow | undefined> {
  const row = await db.selectFrom('search_scrolls').selectAll().where('token', '=', token).where('expires_at_ms', '>', nowMs).executeTakeFirst();
  return row && { ...row, bound_ms: row.bound_ms === null ? null : Number(row.bound_ms), total: Number(row.total), expires_at_ms: Number(row.expires_at_ms) };
}

/** The cursor nearest before (or at) `rowsBefore`; undefined = start from the beginning. */
export async function cursorAtOrBefore(db: Db, token: string, rowsBefore: number): Promise<ScrollCursor | undefined> {
  const r = await db
    .selectFrom('search_scroll_cursors')
    .selectAll()
    .where('token', '=', token)
    .where('rows_before', '<=', rowsBefore)
    .orderBy('rows_before', 'desc')
    .limit(1)
    .executeTakeFirst();
  return r && { rowsBefore: Number(r.rows_before), sortValue: Number(r.sort_value), videoId: r.video_id };
}

/** How far the scroll has been read (the end of its furthest page). */
export async function furthestRows(db: Db, token: string): Promise<number> {
  const r = await db.selectFrom('search_scroll_cursors').select('rows_before').where('token', '=', token).orderBy('rows_before', 'desc').limit(1).executeTakeFirst();
  return r === undefined ? 0 : Number(r.rows_before);
}

/** Records the position after a page (first writer wins) and, when given, the scroll's new expiry. */
export async function saveCursor(store: Store, token: string, cursor: ScrollCursor, expiresAtMs: number | undefined): Promise<void> {
  await disposableWrite(store, async (trx) => {
    await trx
      .insertInto('search_scroll_cursors')
      .values(cursorRow(token, cursor))
      .onConflict((oc) => oc.columns(['token', 'rows_before']).doNothing())
      .execute();
    if (expiresAtMs !== undefined) await trx.updateTable('search_scrolls').set({ expires_at_ms: expiresAtMs }).where('token', '=', token).execute();
  });
}

/** Removes expired scrolls and their cursors; returns how many scrolls went. */
export async function purgeExpiredScrolls(db: Kysely<Database>, nowMs: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const expired = trx.selectFrom('search_scrolls').select('token').where('expires_at_ms', '<=', nowMs);
    await trx.deleteFrom('search_scroll_cursors').where('token', 'in', expired).execute();
    const r = await trx.deleteFrom('search_scrolls').where('expires_at_ms', '<=', nowMs).executeTakeFirst();
    return Number(r.numDeletedRows);
  });
}

const cursorRow = (token: string, c: ScrollCursor) => ({ token, rows_before: c.rowsBefore, sort_value: c.sortValue, video_id: c.videoId });

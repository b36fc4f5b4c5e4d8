import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { CategoryTable, Database } from '../store/schema.js';

export type CategoryRow = Selectable<CategoryTable>;
type Db = Kysely<Database> | Transaction<Database>;

export async function findCategory(db: Db, cateId: number): Promise<CategoryRow | undefined> {
  return db.selectFrom('categories').selectAll().where('cate_id', '=', cateId).executeTakeFirst();
}

export async function findCategoryByName(db: Db, appId: string, parentId: number, name: string): Promise<CategoryRow | undefined> {
  return db.selectFrom('categories').selectAll().where('app_id', '=', appId).where('parent_id', '=', parentId).where('cate_name', '=', name).executeTakeFirst();
}

export async function insertCategory(db: Db, row: Insertable<CategoryTable>): Promise<CategoryRow> {
  return db.insertInto('categories').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function countChildren(db: Db, appId: string, parentId: number): Promise<number> {
  const r = await db
    .selectFrom('categories')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('app_id', '=', appId)
    .where('parent_id', '=', parentId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function listChildren(
  db: Db,
  q: { appId: string; parentId: number; type: CategoryTable['type']; offset: number; limit: number; ascending: boolean },
): Promise<{ total: number; rows: Array<CategoryRow & { sub_total: number }> }> {
  const dir = q.ascending ? 'asc' : 'desc';
  const where = db.selectFrom('categories as c').where('c.app_id', '=', q.appId).where('c.parent_id', '=', q.parentId).where('c.type', '=', q.type);
  const rows = await where
    .selectAll('c')
    .select((eb) =>
      eb.selectFrom('categories as k').select((e) => e.fn.countAll<number>().as('n')).whereRef('k.parent_id', '=', 'c.cate_id').as('sub_total'),
    )
    .orderBy('c.created_at_ms', dir)
    .orderBy('c.cate_id', dir)
    .limit(q.limit)
    .offset(q.offset)
    .execute();
  const total = await where.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return { total: Number(total.n), rows: rows.map((r) => ({ ...r, sub_total: Number(r.sub_total ?? 0) })) };
}

export async function renameCategory(db: Db, cateId: number, name: string): Promise<boolean> {
  const r = await db.updateTable('categories').set({ cate_name: name }).where('cate_id', '=', cateId).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Every descendant of a category (children, grandchildren), breadth first. */
export async function descendantIds(db: Db, cateId: number): Promise<number[]> {
  const out: number[] = [];
  let frontier = [cateId];
  while (frontier.length > 0) {
    const rows = await db.selectFrom('categories').select('cate_id').where('parent_id', 'in', frontier).execute();
    frontier = rows.map((r) => r.cate_id);
    out.push(...frontier);
  }
  return out;
}

/** Deletes the categories and clears them from the media that used them. */
export async function deleteCategories(db: Db, cateIds: readonly number[], nowMs: number): Promise<void> {
  if (cateIds.length === 0) return;
  await db.updateTable('videos').set({ cate_id: null, modified_at_ms: nowMs }).where('cate_id', 'in', cateIds).execute();
  await db.deleteFrom('categories').where('cate_id', 'in', cateIds).execute();
}

// AddCategory, GetCategories, UpdateCategory, DeleteCategory (reference events-and-more §2).
// Limits: `default` categories ≤3 levels, `material` ≤2; ≤100 direct children per category;
// CateName ≤64 bytes. Deleting a category deletes its descendants; media that pointed at a
// deleted category keep no category (CateId cleared) — our documented choice, upstream is
// UNCONFIRMED.
import { ApiError, invalid } from '../domain/errors.js';
import type { ActionTable } from '../api/rpc/action.js';
import type { Params } from '../api/rpc/params.js';
import {
  countChildren, deleteCategories, descendantIds, findCategory, insertCategory, listChildren, renameCategory, type CategoryRow,
} from './category.repository.js';

const MAX_CHILDREN = 100;
const NAME_MAX_BYTES = 64;
const DEFAULT_APP = 'app-1000000';

const view = (c: CategoryRow) => ({ CateId: c.cate_id, CateName: c.cate_name, ParentId: c.parent_id, Level: c.level, Type: c.type });

function cateName(p: Params): string {
  const name = p.required('CateName');
  if (Buffer.byteLength(name) > NAME_MAX_BYTES) throw new ApiError('LengthExceededMax', `CateName exceeds the maximum length of ${NAME_MAX_BYTES} bytes.`);
  return name;
}

export const categoryActions: ActionTable = {
  async AddCategory(ctx, p) {
    const name = cateName(p);
    const type = p.oneOf('Type', ['default', 'material'] as const) ?? 'default';
    const parentId = p.int('ParentId') ?? -1;
    const appId = p.get('AppId') ?? DEFAULT_APP;
    const db = ctx.deps.store.db;
    const created = await db.transaction().execute(async (trx) => {
      let level = 0;
      if (parentId !== -1) {
        const parent = await findCategory(trx, parentId);
        if (!parent) throw new ApiError('InvalidCateId.NotFound', `The parent category ${parentId} does not exist.`);
        if (parent.type !== type) throw invalid('Type', `The parent category is of type "${parent.type}".`);
        level = parent.level + 1;
      }
      const maxLevels = type === 'material' ? 2 : 3;
      if (level >= maxLevels) throw new ApiError('LevelExceededMax', `Categories of type "${type}" have at most ${maxLevels} levels.`);
      if ((await countChildren(trx, appId, parentId)) >= MAX_CHILDREN) throw new ApiError('SubTotalExceededMax');
      return insertCategory(trx, { app_id: appId, parent_id: parentId, level, cate_name: name, type, created_at_ms: ctx.nowMs });
    });
    return { Category: view(created) };
  },

  async GetCategories(ctx, p) {
    const cateId = p.int('CateId') ?? -1;
    const pageNo = p.int('PageNo', { min: 1 }) ?? 1;
    const pageSize = p.int('PageSize', { min: 1, max: 100 }) ?? 10;
    const sortBy = p.oneOf('SortBy', ['CreationTime:Desc', 'CreationTime:Asc'] as const) ?? 'CreationTime:Desc';
    const type = p.oneOf('Type', ['default', 'material'] as const) ?? 'default';
    const db = ctx.deps.store.db;
    let category: CategoryRow | undefined;
    let appId = p.get('AppId') ?? DEFAULT_APP;
    if (cateId !== -1) {
      category = await findCategory(db, cateId);
      if (!category) throw new ApiError('InvalidCateId.NotFound');
      appId = category.app_id;
    }
    const { total, rows } = await listChildren(db, {
      appId, parentId: cateId, type, offset: (pageNo - 1) * pageSize, limit: pageSize, ascending: sortBy === 'CreationTime:Asc',
    });
    const body: Record<string, unknown> = {
      SubTotal: total,
      SubCategories: { Category: rows.map((r) => ({ ...view(r), SubTotal: r.sub_total })) },
    };
    // For the virtual root (CateId -1) there is no category to show.
    if (category) body.Category = view(category);
    return body;
  },

  async UpdateCategory(ctx, p) {
    const cateId = p.int('CateId');
    if (cateId === undefined) throw new ApiError('MissingParameter', 'The input parameter "CateId" that is mandatory for processing this request is not supplied.');
    const name = cateName(p);
    if (!(await renameCategory(ctx.deps.store.db, cateId, name))) throw new ApiError('InvalidCateId.NotFound');
    return {};
  },

  async DeleteCategory(ctx, p) {
    const cateId = p.int('CateId');
    if (cateId === undefined) throw new ApiError('MissingParameter', 'The input parameter "CateId" that is mandatory for processing this request is not supplied.');
    await ctx.deps.store.db.transaction().execute(async (trx) => {
      if (!(await findCategory(trx, cateId))) throw new ApiError('InvalidCateId.NotFound');
      const ids = [cateId, ...(await descendantIds(trx, cateId))];
      await deleteCategories(trx, ids, ctx.nowMs);
    });
    return {};
  },
};

// SearchMedia (reference §6). The Match language: match-parser.ts and match-check.ts; paging and
// scrolling: search.service.ts; the answer's shape: search.view.ts.
import type { ActionTable } from '../api/rpc/action.js';
import type { Params } from '../api/rpc/params.js';
import { storedUrlRenderer } from '../playback/playback-urls.js';
import type { Store } from '../store/db.js';
import type { UrlRenderer } from '../videos/video.view.js';
import { categoryNames } from './search.repository.js';
import { searchRequestFrom } from './search.request.js';
import { searchVideos } from './search.service.js';
import { mediaListItem } from './search.view.js';

export interface SearchEnv {
  readonly store: Store;
  /** Renders stored cover/snapshot references as (signed) URLs. */
  readonly url: UrlRenderer;
}

export const searchActions: ActionTable = {
  async SearchMedia(ctx, p) {
    return searchMedia({ store: ctx.deps.store, url: storedUrlRenderer(ctx.deps, ctx.nowMs) }, p, ctx.nowMs);
  },
};

/** The whole action but for the request context: what SearchMedia answers (RequestId aside). */
export async function searchMedia(env: SearchEnv, p: Params, nowMs: number): Promise<Record<string, unknown>> {
  const req = searchRequestFrom(p);
  const found = await searchVideos(env.store, req, nowMs);
  const names = req.fields.has('CateName')
    ? await categoryNames(env.store.db, [...new Set(found.rows.flatMap((r) => (r.cate_id === null ? [] : [Number(r.cate_id)])))])
    : new Map<number, string>();
  const mediaList = found.rows.map((r) => mediaListItem({ ...r, cate_name: r.cate_id === null ? null : names.get(Number(r.cate_id)) ?? null }, req.fields, env.url));
  return {
    Total: found.total,
    ...(found.scrollToken === undefined ? {} : { ScrollToken: found.scrollToken }),
    MediaList: mediaList,
  };
}

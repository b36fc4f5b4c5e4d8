// vod: sources name their category (`cateName`): the target's category with that name (a
// top-level one, found with GetCategories) or a new one (AddCategory). Each name is resolved once
// per run; concurrent asks share one lookup.
import type { Target } from './target/target-client.js';

export interface CategoryResolver {
  resolve(name: string, signal?: AbortSignal): Promise<number>;
}

interface CategoryView { CateId: number; CateName: string }

export function createCategoryResolver(target: Target): CategoryResolver {
  const cache = new Map<string, Promise<number>>();

  const find = async (name: string, signal?: AbortSignal): Promise<number | undefined> => {
    for (let page = 1; page <= 50; page++) {
      const r = await target.call<{ SubTotal?: number; SubCategories?: { Category?: CategoryView[] } }>(
        'GetCategories', { CateId: -1, PageNo: page, PageSize: 100, SortBy: 'CreationTime:Asc' }, { signal },
      );
      const list = r.SubCategories?.Category ?? [];
      const hit = list.find((c) => c.CateName === name);
      if (hit) return Number(hit.CateId);
      if (list.length < 100 || page * 100 >= (r.SubTotal ?? 0)) return undefined;
    }
    return undefined;
  };

  const lookup = async (name: string, signal?: AbortSignal): Promise<number> => {
    const found = await find(name, signal);
    if (found !== undefined) return found;
    // AddCategory is not idempotent: not sent again after a lost answer (the next item retries the lookup).
    const r = await target.call<{ Category: CategoryView }>('AddCategory', { CateName: name }, { idempotent: false, signal });
    return Number(r.Category.CateId);
  };

  return {
    resolve(name, signal) {
      let p = cache.get(name);
      if (!p) {
        p = lookup(name, signal);
        cache.set(name, p);
        p.catch(() => cache.delete(name));
      }
      return p;
    },
  };
}

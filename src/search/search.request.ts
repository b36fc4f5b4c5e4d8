// SearchMedia's parameters (reference §6), read and checked; Match and SortBy stay text here and are
// parsed by the service (a scroll may take them from its token).
import { invalid } from '../domain/errors.js';
import type { Params } from '../api/rpc/params.js';
import { returnableField } from './video-fields.js';

export const SEARCH_TYPES = ['video', 'audio', 'image', 'attached'] as const;
export type SearchType = (typeof SEARCH_TYPES)[number];

export const DEFAULT_PAGE_SIZE = 10;
export const MAX_PAGE_SIZE = 100;

export interface SearchRequest {
  readonly searchType: SearchType;
  /** Extra video fields to return, by canonical name. */
  readonly fields: ReadonlySet<string>;
  readonly match: string | undefined;
  readonly sortBy: string | undefined;
  readonly pageNo: number | undefined;
  readonly pageSize: number;
  readonly scrollToken: string | undefined;
}

export function searchRequestFrom(p: Params): SearchRequest {
  const scrollToken = p.get('ScrollToken');
  if (scrollToken !== undefined && !/^[0-9a-fA-F]{32}$/.test(scrollToken)) {
    throw invalid('ScrollToken', 'It must be the 32-character token a previous SearchMedia returned.');
  }
  return {
    searchType: p.oneOf('SearchType', SEARCH_TYPES) ?? 'video',
    fields: parseFields(p.get('Fields')),
    match: p.get('Match'),
    sortBy: p.get('SortBy'),
    pageNo: p.int('PageNo', { min: 1 }),
    pageSize: p.int('PageSize', { min: 1, max: MAX_PAGE_SIZE }) ?? DEFAULT_PAGE_SIZE,
    scrollToken: scrollToken?.toLowerCase(),
  };
}

/**
 * `Fields`: a comma list of video fields, read case-insensitively. Names that are not fields of a
 * video (a field of another media type such as `URL`, or a typo) are ignored rather than refused,
 * so requests written for ApsaraVideo's other media types still work.
 */
export function parseFields(text: string | undefined): ReadonlySet<string> {
  const out = new Set<string>();
  for (const name of (text ?? '').split(',')) {
    const f = returnableField(name.trim());
    if (f !== undefined) out.add(f);
  }
  return out;
}

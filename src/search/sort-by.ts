// SortBy (reference §6): `Field:Desc|Asc`, comma-separated, left = higher priority; default
// `CreationTime:Desc`; ≤3 fields in page mode, exactly 1 in scroll mode. Only sortable (S) fields:
// CreationTime and ModificationTime. Field names and directions are read case-insensitively.
// Results always end with a tie-break on VideoId (in the last key's direction), so equal times
// page stably.
import { ApiError, invalid } from '../domain/errors.js';
import { SORT_FIELDS, type SortColumn } from './video-fields.js';

export interface SortKey {
  readonly field: string;
  readonly column: SortColumn;
  readonly desc: boolean;
}

export const MAX_SORT_FIELDS = 3;
export const DEFAULT_SORT: readonly SortKey[] = [{ field: 'CreationTime', column: 'created_at_ms', desc: true }];

const sortFieldByLower = new Map(Object.entries(SORT_FIELDS).map(([name, column]) => [name.toLowerCase(), { name, column }]));

export function parseSortBy(text: string | undefined): readonly SortKey[] {
  if (text === undefined) return DEFAULT_SORT;
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) return DEFAULT_SORT;
  if (parts.length > MAX_SORT_FIELDS) throw new ApiError('SortByExceededMax', `SortBy takes at most ${MAX_SORT_FIELDS} fields; got ${parts.length}.`);
  const keys: SortKey[] = [];
  for (const part of parts) {
    const m = /^([A-Za-z]+)\s*:\s*([A-Za-z]+)$/.exec(part);
    if (!m) throw invalid('SortBy', `"${part}" must look like CreationTime:Desc.`);
    const f = sortFieldByLower.get((m[1] as string).toLowerCase());
    if (!f) throw invalid('SortBy', `"${m[1]}" is not sortable; sortable fields: ${Object.keys(SORT_FIELDS).join(', ')}.`);
    const dir = (m[2] as string).toLowerCase();
    if (dir !== 'desc' && dir !== 'asc') throw invalid('SortBy', `"${m[2]}" must be Desc or Asc.`);
    if (keys.some((k) => k.column === f.column)) throw invalid('SortBy', `${f.name} is given twice.`);
    keys.push({ field: f.name, column: f.column, desc: dir === 'desc' });
  }
  return keys;
}

export const sortByText = (keys: readonly SortKey[]): string => keys.map((k) => `${k.field}:${k.desc ? 'Desc' : 'Asc'}`).join(',');

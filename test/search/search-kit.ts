// Shared by the SearchMedia tests: varied video rows, a random Match generator that carries its
// own plain-TypeScript predicate (written from the reference's semantics, not from our parser),
// the brute-force expected page, and a direct call of the action.
import type { Kysely } from 'kysely';
import { Params } from '../../src/api/rpc/params.js';
import { newMediaId } from '../../src/domain/ids.js';
import { isoSeconds } from '../../src/domain/time.js';
import { searchMedia } from '../../src/search/search.actions.js';
import type { Store } from '../../src/store/db.js';
import type { Database, VideoTable } from '../../src/store/schema.js';
import type { Random } from './random.js';

export const BASE_MS = Date.UTC(2021, 5, 1);
export const STATUSES = ['Uploading', 'UploadSucc', 'Transcoding', 'Checking', 'Blocked', 'Normal', 'UploadFail'];
const WORDS = [
  'Alpha', 'beta', 'GAMMA', 'delta', 'Epsilon', 'zeta', 'Theta', 'kappa', 'Lambda', 'news', 'Sports', 'kids', '中文', '标题', 'Café', 'café',
  'École', 'école', 'naïve', '100%', 'under_score', 'back\\slash', "O'Brien", '"quoted"', 'x', 'ab', 'Ab', 'aB', 'a%b', 'a_b',
];
const TAGS = ['news', 'sports', 'Music', 'kids', '4K', 'hdr', 'live_stream', '100%', 'Café'];
const SOURCES = ['general', 'short_video', 'live'];
const LOCATIONS = ['openvod-default', 'outin-bucket-2'];
const APPS = ['app-1000000', 'app-2'];

export interface VideoFixture {
  readonly rows: readonly VideoTable[];
  readonly cateIds: readonly number[];
}

export async function insertCategories(db: Kysely<Database>, names: readonly string[]): Promise<number[]> {
  const ids: number[] = [];
  for (const name of names) {
    const row = await db.insertInto('categories').values({ app_id: 'app-1000000', parent_id: -1, level: 0, cate_name: name, type: 'default', created_at_ms: BASE_MS })
      .returning('cate_id').executeTakeFirstOrThrow();
    ids.push(Number(row.cate_id));
  }
  return ids;
}

const words = (r: Random, lo: number, hi: number): string => Array.from({ length: r.int(lo, hi) }, () => r.pick(WORDS)).join(' ');

export function randomVideo(r: Random, cateIds: readonly number[], createdAtMs: number): VideoTable {
  const modified = createdAtMs + (r.chance(0.5) ? 0 : r.int(0, 50) * 1000 + r.int(0, 999));
  return {
    video_id: newMediaId(), app_id: r.pick(APPS), title: words(r, 1, 5), description: r.chance(0.4) ? '' : words(r, 2, 8),
    tags: r.chance(0.3) ? '' : Array.from({ length: r.int(1, 3) }, () => r.pick(TAGS)).join(','),
    cate_id: r.chance(0.3) ? null : r.pick(cateIds), status: r.pick(STATUSES),
    size: r.chance(0.2) ? null : r.int(0, 2000), duration: r.chance(0.2) ? null : r.int(0, 600_000) / 1000,
    bitrate: null, fps: null, width: null, height: null, cover_url: r.chance(0.5) ? '' : 'https://cdn.example.com/c.jpg',
    snapshots: r.chance(0.5) ? '[]' : '["https://cdn.example.com/s1.jpg"]', template_group_id: '', storage_location: r.pick(LOCATIONS),
    storage_key: null, file_name: '', file_md5: null, format_name: null, media_info: null, user_data: '', reference_id: null,
    media_source: r.pick(SOURCES), download_switch: 'on', created_at_ms: createdAtMs, modified_at_ms: modified,
  };
}

/** `n` videos whose creation times often tie (so the VideoId tie-break matters). */
export function randomVideos(r: Random, n: number, cateIds: readonly number[]): VideoTable[] {
  const instants = Array.from({ length: Math.max(1, Math.floor(n / 3)) }, () => BASE_MS + r.int(0, 3600) * 1000 + (r.chance(0.5) ? 0 : r.int(0, 999)));
  return Array.from({ length: n }, () => randomVideo(r, cateIds, r.pick(instants)));
}

export async function insertVideos(db: Kysely<Database>, rows: readonly VideoTable[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 50) await db.insertInto('videos').values(rows.slice(i, i + 50)).execute();
}

// ---------------------------------------------------------------------------------------------
// Random Match with its predicate

export interface Query {
  readonly match: string;
  readonly pred: (v: VideoTable) => boolean;
}

/** A Match string literal: backslashes doubled, quotes doubled (match-lexer.ts). */
const quote = (s: string): string => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
const contains = (hay: string, needle: string): boolean => asciiLower(hay).includes(asciiLower(needle));
const flipAsciiCase = (r: Random, s: string): string =>
  [...s].map((c) => (/[a-z]/i.test(c) && r.chance(0.5) ? (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) : c)).join('');

function needle(r: Random, rows: readonly VideoTable[], column: 'title' | 'tags' | 'description'): string {
  const roll = r.next();
  if (roll < 0.15) return r.pick(['zzq', 'q', 'É', 'é', '%', '_', '\\', "'", '"', 'ab', 'a%b', 'a_b', '100%', 'École', 'école']);
  const source = rows.length === 0 ? 'none' : r.pick(rows)[column];
  if (source === '') return r.pick(WORDS);
  const chars = [...source];
  const start = r.int(0, chars.length - 1);
  return flipAsciiCase(r, chars.slice(start, start + r.int(1, 8)).join(''));
}

type Op = { text: string; cmp: (a: number, b: number) => boolean };
const LO: Record<string, Op> = { '(': { text: '(', cmp: (a, b) => a > b }, '[': { text: '[', cmp: (a, b) => a >= b } };
const HI: Record<string, Op> = { ')': { text: ')', cmp: (a, b) => a < b }, ']': { text: ']', cmp: (a, b) => a <= b } };

function rangeCond(r: Random, name: string, value: (v: VideoTable) => number | null, bound: () => { text: string; n: number }, key: (ms: number, text: string) => number): Query {
  const lo = r.chance(0.8) ? bound() : undefined;
  const hi = !lo || r.chance(0.7) ? bound() : undefined;
  const lop = LO[r.pick(['(', '['])] as Op;
  const hip = HI[r.pick([')', ']'])] as Op;
  return {
    match: `${name} = ${lop.text}${lo?.text ?? ''},${hi?.text ?? ''}${hip.text}`,
    pred: (v) => {
      const x = value(v);
      if (x === null) return false;
      return (!lo || lop.cmp(key(x, lo.text), lo.n)) && (!hi || hip.cmp(key(x, hi.text), hi.n));
    },
  };
}

/** A time literal: whole seconds name their whole second, so compare the row's time truncated to seconds. */
function timeBound(r: Random, rows: readonly VideoTable[]): { text: string; n: number } {
  const ms = rows.length > 0 && r.chance(0.7) ? r.pick(rows).created_at_ms + r.int(-1, 1) * 1000 : BASE_MS + r.int(-10, 3700) * 1000;
  if (r.chance(0.7)) return { text: quote(isoSeconds(ms)), n: Math.floor(ms / 1000) * 1000 };
  const exact = ms + r.int(0, 999);
  return { text: quote(new Date(exact).toISOString()), n: exact };
}
const timeKey = (ms: number, text: string): number => (/\.\d{3}Z'$/.test(text) ? ms : Math.floor(ms / 1000) * 1000);

function condition(r: Random, rows: readonly VideoTable[], cateIds: readonly number[]): Query {
  const some = <T>(items: readonly T[]): T[] => Array.from({ length: r.int(1, 3) }, () => r.pick(items));
  switch (r.int(0, 12)) {
    case 0: {
      const ids = some([...rows.map((v) => v.video_id), 'f'.repeat(32)]);
      return r.chance(0.5) && ids.length === 1
        ? { match: `VideoId = ${quote(ids[0] as string)}`, pred: (v) => v.video_id === ids[0] }
        : { match: `VideoId in (${ids.map(quote).join(',')})`, pred: (v) => ids.includes(v.video_id) };
    }
    case 1: { const a = some(APPS); return { match: `AppId in (${a.map(quote).join(', ')})`, pred: (v) => a.includes(v.app_id) }; }
    case 2: { const c = r.pick([...cateIds, 42]); return { match: r.chance(0.5) ? `CateId = ${c}` : `CateId = '${c}'`, pred: (v) => v.cate_id === c }; }
    case 3: { const l = some(LOCATIONS); return { match: `StorageLocation in (${l.map(quote).join(',')})`, pred: (v) => l.includes(v.storage_location) }; }
    case 4: case 5: case 6: {
      const column = r.pick(['title', 'tags', 'description'] as const);
      const name = { title: 'Title', tags: 'Tags', description: 'Description' }[column];
      const ns = r.chance(0.7) ? [needle(r, rows, column)] : Array.from({ length: r.int(1, 3) }, () => needle(r, rows, column));
      const match = ns.length === 1 && r.chance(0.7) ? `${name} = ${quote(ns[0] as string)}` : `${name} in (${ns.map(quote).join(',')})`;
      return { match, pred: (v) => ns.some((n) => contains(v[column], n)) };
    }
    case 7: {
      const s = some(STATUSES);
      return s.length === 1 && r.chance(0.5) ? { match: `Status = ${quote(s[0] as string)}`, pred: (v) => v.status === s[0] } : { match: `Status in (${s.map(quote).join(',')})`, pred: (v) => s.includes(v.status) };
    }
    case 8: { const s = some(SOURCES); return { match: `MediaSource in (${s.map(quote).join(',')})`, pred: (v) => s.includes(v.media_source) }; }
    case 9: return rangeCond(r, 'Size', (v) => v.size, () => { const n = r.int(0, 2000) + (r.chance(0.3) ? 0.5 : 0); return { text: r.chance(0.5) ? String(n) : quote(String(n)), n }; }, (x) => x);
    case 10: return rangeCond(r, 'Duration', (v) => v.duration, () => { const n = r.int(0, 600_000) / 1000; return { text: String(n), n }; }, (x) => x);
    case 11: return rangeCond(r, 'CreationTime', (v) => v.created_at_ms, () => timeBound(r, rows), timeKey);
    default: return rangeCond(r, 'ModificationTime', (v) => v.modified_at_ms, () => timeBound(r, rows), timeKey);
  }
}

function group(r: Random, rows: readonly VideoTable[], cateIds: readonly number[], depth: number): Query {
  if (depth >= 2 || r.chance(0.6)) return condition(r, rows, cateIds);
  const items = Array.from({ length: r.int(2, 3) }, () => group(r, rows, cateIds, depth + 1));
  if (r.chance(0.5)) {
    return { match: `(${items.map((q) => q.match).join(r.pick([' or ', ' OR ']))})`, pred: (v) => items.some((q) => q.pred(v)) };
  }
  return { match: `(${items.map((q) => q.match).join(' and ')})`, pred: (v) => items.every((q) => q.pred(v)) };
}

export function randomQuery(r: Random, rows: readonly VideoTable[], cateIds: readonly number[]): Query {
  const units = Array.from({ length: r.int(1, 3) }, () => group(r, rows, cateIds, 0));
  return { match: units.map((q) => q.match).join(r.pick([' and ', ' AND '])), pred: (v) => units.every((q) => q.pred(v)) };
}

// ---------------------------------------------------------------------------------------------
// Expected results

export interface SortSpec {
  readonly column: 'created_at_ms' | 'modified_at_ms';
  readonly desc: boolean;
}

export const sortText = (keys: readonly SortSpec[]): string =>
  keys.map((k) => `${k.column === 'created_at_ms' ? 'CreationTime' : 'ModificationTime'}:${k.desc ? 'Desc' : 'Asc'}`).join(',');

export function sorted(rows: readonly VideoTable[], keys: readonly SortSpec[]): VideoTable[] {
  const lastDesc = (keys[keys.length - 1] as SortSpec).desc;
  return [...rows].sort((a, b) => {
    for (const k of keys) {
      const d = a[k.column] - b[k.column];
      if (d !== 0) return k.desc ? -d : d;
    }
    const d = a.video_id < b.video_id ? -1 : a.video_id > b.video_id ? 1 : 0;
    return lastDesc ? -d : d;
  });
}

// ---------------------------------------------------------------------------------------------
// Calling the action

export interface SearchAnswer {
  Total: number;
  ScrollToken?: string;
  MediaList: Array<{ MediaId: string; MediaType: string; CreationTime: string; Video: Record<string, unknown> }>;
}

export function searcher(store: Store) {
  const env = { store, url: (s: string) => s };
  return async (params: Record<string, string | number | undefined>, nowMs = Date.now()): Promise<SearchAnswer> => {
    const map = new Map<string, string>();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) map.set(k, String(v));
    return (await searchMedia(env, new Params(map), nowMs)) as unknown as SearchAnswer;
  };
}

// A checked VideoFilter as SQL on `videos`, giving the same rows on SQLite and Postgres.
//
// Fuzzy ("contains") matching is case-insensitive for the ASCII letters A–Z and exact for every
// other character, on both databases (so É and é differ everywhere). `%`, `_` and `\` in a value
// are literal. It uses each database's trigram index (migration 0005-search):
// - SQLite: the FTS5 table `videos_fts` (tokenize='trigram', external content = videos, kept in
//   sync by triggers) narrows the candidates with a phrase query on the column, then
//   `LIKE '%…%'` (ASCII-case-insensitive in SQLite) decides. FTS5 trigrams need at least 3
//   characters: a shorter value skips the index and scans (correct, slower on a big library).
//   When a fuzzy condition is required and has few candidates (fuzzy-driver.ts), its candidates
//   are looked up once and passed as a list that drives the query: the other columns are written
//   `+videos.col` so that SQLite's planner, which can't see how selective an FTS query is, doesn't
//   walk a wide B-tree range instead.
// - Postgres: `translate(col, 'A…Z', 'a…z') LIKE '%…%'` — the ASCII-lowercased column, exactly the
//   expression of the pg_trgm GIN index, so the index serves it. (lower()/ILIKE would fold
//   non-ASCII letters too, by locale, and answer differently from SQLite.) pg_trgm can't use a
//   value under 3 characters either (it would scan the whole index): those use strpos(), a scan.
import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Dialect } from '../store/db.js';
import type { Bound, VideoFilter } from './match-check.js';
import type { FuzzyColumn, VideoColumn } from './video-fields.js';

export type ContainsFilter = Extract<VideoFilter, { type: 'contains' }>;

/** SQLite: the candidates of one required fuzzy condition, looked up beforehand (fuzzy-driver.ts). */
export interface FuzzyDriver {
  readonly node: ContainsFilter;
  readonly rowids: readonly number[];
}

export const PG_ASCII_LOWER_FROM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const PG_ASCII_LOWER_TO = 'abcdefghijklmnopqrstuvwxyz';
/** The expression the Postgres trigram indexes are built on (the migration writes the same). */
export const pgFoldedSql = (columnRef: string): string => `translate(${columnRef}, '${PG_ASCII_LOWER_FROM}', '${PG_ASCII_LOWER_TO}')`;

/** FTS5 trigram queries match only values of at least this many characters. */
export const TRIGRAM_MIN_CHARS = 3;

export const usesTrigrams = (needle: string): boolean => [...needle].length >= TRIGRAM_MIN_CHARS;

/** An FTS5 query for "column contains needle": a quoted phrase (quotes doubled) under a column filter. */
export const ftsPhrase = (column: FuzzyColumn, needle: string): string => `${column} : "${needle.replaceAll('"', '""')}"`;

export interface FilterSqlOptions {
  readonly driver?: FuzzyDriver | undefined;
}

/** A column of videos as the query should reference it: `+videos.col` keeps SQLite off its index. */
export function columnSql(column: VideoColumn | 'rowid', dialect: Dialect, opts: FilterSqlOptions): RawBuilder<unknown> {
  return opts.driver && dialect === 'sqlite' ? sql.raw(`+videos.${column}`) : sql.ref(`videos.${column}`);
}

export function filterSql(filter: VideoFilter, dialect: Dialect, opts: FilterSqlOptions = {}): Expression<SqlBool> {
  switch (filter.type) {
    case 'and':
    case 'or':
      return sql<SqlBool>`(${sql.join(filter.items.map((f) => filterSql(f, dialect, opts)), sql.raw(` ${filter.type} `))})`;
    case 'equals': {
      const col = columnSql(filter.column, dialect, opts);
      if (filter.values.length === 1) return sql<SqlBool>`${col} = ${filter.values[0]}`;
      return sql<SqlBool>`${col} in (${sql.join(filter.values)})`;
    }
    case 'contains':
      return containsSql(filter, dialect, opts);
    case 'range':
      return rangeSql(columnSql(filter.column, dialect, opts), filter.lo, filter.hi);
    case 'nothing':
      return sql<SqlBool>`1 = 0`;
  }
}

function rangeSql(col: RawBuilder<unknown>, lo: Bound | undefined, hi: Bound | undefined): RawBuilder<SqlBool> {
  const parts: RawBuilder<SqlBool>[] = [];
  if (lo) parts.push(sql<SqlBool>`${col} ${sql.raw(lo.inclusive ? '>=' : '>')} ${lo.value}`);
  if (hi) parts.push(sql<SqlBool>`${col} ${sql.raw(hi.inclusive ? '<=' : '<')} ${hi.value}`);
  return parts.length === 1 ? (parts[0] as RawBuilder<SqlBool>) : sql<SqlBool>`(${sql.join(parts, sql.raw(' and '))})`;
}

const anyOf = (parts: RawBuilder<SqlBool>[]): RawBuilder<SqlBool> =>
  parts.length === 1 ? (parts[0] as RawBuilder<SqlBool>) : sql<SqlBool>`(${sql.join(parts, sql.raw(' or '))})`;

function containsSql(node: ContainsFilter, dialect: Dialect, opts: FilterSqlOptions): RawBuilder<SqlBool> {
  const patterns = node.needles.map((n) => `%${escapeLike(asciiLower(n))}%`);
  if (dialect === 'postgres') {
    const folded = sql.raw(pgFoldedSql(`videos.${node.column}`));
    const raw = sql.raw(`videos.${node.column}`);
    // A value too short for trigrams would make the GIN index scan itself whole, so it scans the
    // table without the index — on the column itself: translate() on every row made such a scan
    // ~50 times slower (1M titles: 10 s → 0.2 s; 0.55 s with a regex).
    return anyOf(node.needles.map((needle, i) => {
      if (usesTrigrams(needle)) return sql<SqlBool>`${folded} like ${patterns[i]} escape '\\'`;
      if (!/[A-Za-z]/.test(needle)) return sql<SqlBool>`strpos(${raw}, ${needle}) > 0`;
      return sql<SqlBool>`${raw} ~ ${asciiCaseInsensitiveRegex(needle)}`;
    }));
  }
  const text = sql.raw(`videos.${node.column}`);
  const likes = patterns.map((p) => sql<SqlBool>`${text} like ${p} escape '\\'`);
  if (opts.driver?.node === node) {
    // The looked-up candidates (a superset: FTS folds more than ASCII case), then the exact check.
    return sql<SqlBool>`(videos.rowid in (select value from json_each(${JSON.stringify(opts.driver.rowids)})) and ${anyOf(likes)})`;
  }
  const rowid = columnSql('rowid', dialect, opts);
  return anyOf(node.needles.map((needle, i) => {
    const like = likes[i] as RawBuilder<SqlBool>;
    if (!usesTrigrams(needle)) return like;
    return sql<SqlBool>`(${rowid} in (select rowid from videos_fts where videos_fts match ${ftsPhrase(node.column, needle)}) and ${like})`;
  }));
}

/**
 * A Postgres regular expression matching `needle` anywhere, ASCII letters in either case and every
 * other character exactly: each ASCII letter becomes `[Xx]`, every character that is not a letter,
 * a digit or a space is escaped (`\` before a non-alphanumeric is that character itself), the rest
 * stands for itself. (A case-insensitive regex would fold by locale.)
 */
export const asciiCaseInsensitiveRegex = (needle: string): string =>
  needle.replace(/[A-Za-z]|[^\p{L}\p{N}\s]/gu, (c) => (/[A-Za-z]/.test(c) ? `[${c.toUpperCase()}${c.toLowerCase()}]` : `\\${c}`));

export const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
export const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

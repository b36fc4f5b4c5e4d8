// Checks a parsed Match against the video field capability table (video-fields.ts) and turns it
// into a VideoFilter: columns, typed values, normalised bounds. Every problem is ErrorMatchSyntax
// naming the bad part and its position.
//
// What each operation means per field (reference §6: "if a field only supports fuzzy matching, a
// multi-value query on it is answered by fuzzy matching too"):
// - fuzzy fields (Title, Tags, Description): `= 'x'` is "contains x", `in ('x','y')` is "contains x
//   or contains y" (case-insensitive for ASCII letters, see video-filter.sql.ts);
// - exact (E) and multi-value (M) fields: `= v` is equality, `in (…)` is one of (M only); a single
//   `=` on an M-only field (Status = 'Normal') is a one-value `in`;
// - range (G) fields: `= (lo, hi)` with ( ) open and [ ] closed ends, either end may be empty.
//   Times are ISO-8601 UTC (`2018-01-01T00:00:00Z`, fractional seconds allowed). A time without
//   fractional seconds names the whole second — CreationTime is shown to the second — so
//   `['2018-01-01T00:00:00Z','2018-01-01T00:00:00Z']` matches a media created at 00:00:00.600.
//   Size ranges are rounded to whole bytes.
// - PreprocessStatus (live-to-VOD preprocessing) is searchable but never set in OpenVOD: it
//   matches no video.
import type { Literal, MatchCondition, MatchExpr, MatchValue } from './match-parser.js';
import { MatchSyntaxError } from './match-syntax-error.js';
import { type FuzzyColumn, isFuzzyColumn, MATCH_FIELDS, matchField, returnableField, type SearchField, type VideoColumn } from './video-fields.js';

export interface Bound {
  readonly value: number;
  readonly inclusive: boolean;
}

export type VideoFilter =
  | { readonly type: 'and' | 'or'; readonly items: readonly VideoFilter[] }
  | { readonly type: 'equals'; readonly column: VideoColumn; readonly values: ReadonlyArray<string | number> }
  | { readonly type: 'contains'; readonly column: FuzzyColumn; readonly needles: readonly string[] }
  | { readonly type: 'range'; readonly column: VideoColumn; readonly lo: Bound | undefined; readonly hi: Bound | undefined }
  | { readonly type: 'nothing' };

/** Largest magnitude a number in Match may have. */
const MAX_NUMBER = 1e18;

export function checkMatch(expr: MatchExpr | undefined): VideoFilter | undefined {
  return expr === undefined ? undefined : check(expr);
}

function check(expr: MatchExpr): VideoFilter {
  if (expr.type === 'and' || expr.type === 'or') return { type: expr.type, items: expr.items.map(check) };
  return checkCondition(expr);
}

function checkCondition(c: MatchCondition): VideoFilter {
  const f = matchField(c.field);
  if (!f) {
    const returnable = returnableField(c.field);
    const why = returnable
      ? `${returnable} can be returned (Fields) but not searched`
      : `unknown field "${c.field}"; searchable fields: ${MATCH_FIELDS.map((x) => x.name).join(', ')}`;
    throw new MatchSyntaxError(c.fieldPos, c.field, why);
  }
  const v = c.value;
  if (v.type === 'range') return checkRange(f, v);
  if (f.caps.has('range') && !f.caps.has('exact') && !f.caps.has('multi')) {
    throw new MatchSyntaxError(c.fieldPos, c.field, `${f.name} takes a range, like ${f.name} = ${exampleRange(f)}`);
  }
  const items = v.type === 'list' ? v.items : [v.literal];
  if (v.type === 'list' && !f.caps.has('multi')) {
    throw new MatchSyntaxError(c.opPos, c.op, `${f.name} takes one value (${f.name} = value), not a list`);
  }
  if (f.column === undefined) return { type: 'nothing' };
  if (f.caps.has('fuzzy') && isFuzzyColumn(f.column)) return { type: 'contains', column: f.column, needles: items.map(textOf) };
  return { type: 'equals', column: f.column, values: items.map((lit) => (f.kind === 'integer' ? integerOf(f, lit) : textOf(lit))) };
}

function checkRange(f: SearchField, v: Extract<MatchValue, { type: 'range' }>): VideoFilter {
  if (!f.caps.has('range')) throw new MatchSyntaxError(v.pos, v.text, `${f.name} does not take a range`);
  const column = f.column as VideoColumn;
  if (f.kind === 'time') {
    const lo = v.lo && timeOf(f, v.lo);
    const hi = v.hi && timeOf(f, v.hi);
    // A time names [ms, ms + granularity): bounds become ≥ / < on that interval.
    return {
      type: 'range', column,
      lo: lo && { value: v.loInclusive ? lo.ms : lo.ms + lo.granularityMs, inclusive: true },
      hi: hi && { value: v.hiInclusive ? hi.ms + hi.granularityMs : hi.ms, inclusive: false },
    };
  }
  const lo = v.lo && numberOf(f, v.lo);
  const hi = v.hi && numberOf(f, v.hi);
  if (f.kind === 'integer') {
    return {
      type: 'range', column,
      lo: lo === undefined ? undefined : { value: v.loInclusive ? Math.ceil(lo) : Math.floor(lo) + 1, inclusive: true },
      hi: hi === undefined ? undefined : { value: v.hiInclusive ? Math.floor(hi) : Math.ceil(hi) - 1, inclusive: true },
    };
  }
  return {
    type: 'range', column,
    lo: lo === undefined ? undefined : { value: lo, inclusive: v.loInclusive },
    hi: hi === undefined ? undefined : { value: hi, inclusive: v.hiInclusive },
  };
}

const textOf = (lit: Literal): string => lit.value;

function integerOf(f: SearchField, lit: Literal): number {
  if (!/^-?[0-9]{1,15}$/.test(lit.value)) throw new MatchSyntaxError(lit.pos, lit.text, `${f.name} needs an integer`);
  return Number(lit.value);
}

function numberOf(f: SearchField, lit: Literal): number {
  const n = /^-?[0-9]+(\.[0-9]+)?$/.test(lit.value) ? Number(lit.value) : Number.NaN;
  if (Number.isNaN(n)) throw new MatchSyntaxError(lit.pos, lit.text, `${f.name} needs a number`);
  if (Math.abs(n) > MAX_NUMBER) throw new MatchSyntaxError(lit.pos, lit.text, `${f.name}: the number is out of range (at most ${MAX_NUMBER})`);
  return n;
}

function timeOf(f: SearchField, lit: Literal): { ms: number; granularityMs: number } {
  const t = lit.kind === 'string' ? parseUtcTime(lit.value) : undefined;
  if (!t) throw new MatchSyntaxError(lit.pos, lit.text, `${f.name} needs an ISO-8601 UTC time in quotes, like '2018-01-01T00:00:00Z'`);
  return t;
}

/** `YYYY-MM-DDThh:mm:ss[.fff…]Z`, calendar-checked; the granularity is 1 s, or 1 ms with a fraction. */
export function parseUtcTime(value: string): { ms: number; granularityMs: number } | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const fraction = m[7];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) + (fraction === undefined ? 0 : Number(`${fraction}00`.slice(0, 3)));
  const back = new Date(ms);
  // Date.UTC rolls 2018-02-31 over to March (and years 0–99 to 1900–1999); a real date survives.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  return { ms, granularityMs: fraction === undefined ? 1000 : 1 };
}

function exampleRange(f: SearchField): string {
  return f.kind === 'time' ? "('2018-01-01T00:00:00Z','2018-02-01T00:00:00Z')" : '(lo,hi]';
}

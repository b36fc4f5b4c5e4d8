// Property: whatever the Match, parsing, checking and compiling to SQL (both dialects) either
// succeed or throw MatchSyntaxError with a position inside the input — never anything else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler,
} from 'kysely';
import type { Dialect } from '../store/db.js';
import type { Database } from '../store/schema.js';
import { type Random, seededRandom, testSeed } from '../../test/search/random.js';
import { checkMatch } from './match-check.js';
import { parseMatch } from './match-parser.js';
import { MatchSyntaxError } from './match-syntax-error.js';
import { filterSql } from './video-filter.sql.js';

const compilers: Record<Dialect, Kysely<Database>> = {
  sqlite: new Kysely<Database>({
    dialect: {
      createAdapter: () => new SqliteAdapter(), createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new SqliteIntrospector(db), createQueryCompiler: () => new SqliteQueryCompiler(),
    },
  }),
  postgres: new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(), createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db), createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  }),
};

const VALID = [
  "Title = 'abc'",
  "VideoId in ('a','b','c') and Status = 'Normal'",
  "CateId = 123 and (Title = 'x' or Tags in ('y','z'))",
  "CreationTime = ('2018-01-01T00:00:00Z','2019-01-01T00:00:00Z'] and Size = [100,)",
  "(Description = 'it''s' or Description = \"say \\\"hi\\\"\") AND ModificationTime = (,'2020-05-05T05:05:05.5Z')",
  "Duration = (1.5, 3.25) and MediaSource in ('general') and AppId in ('app-1000000')",
  "StorageLocation = 'loc' and ((Title = 'a' and CateId = 1) or (Title = 'b' or Status in ('Blocked','Checking')))",
  "PreprocessStatus in ('x') and Size = (,5]",
  "title = 'lower' and status IN ('Normal') and creationtime = ['2018-01-01T00:00:00Z',)",
];

const PIECES = [
  'Title', 'VideoId', 'CateId', 'Status', 'Size', 'Duration', 'CreationTime', 'ModificationTime', 'Tags', 'Description', 'AppId',
  'StorageLocation', 'MediaSource', 'PreprocessStatus', 'CoverURL', 'CateName', 'Nope', 'title', 'and', 'AND', 'or', 'Or', 'in', 'IN',
  '=', '==', '(', ')', '[', ']', ',', "'", '"', "''", '\\', "\\'", "'abc'", "'2018-01-01T00:00:00Z'", "'2018-02-30T00:00:00Z'", '"x y"',
  '123', '-4', '1.5', '1.2.3', '12abc', '-', '.', '99999999999999999999999', ' ', '  ', '\t', '\n', '＝', '（', '‘', '中文', 'é', '\0',
  '%', '_', ';', '--', '/*', "'; drop table videos; --'", '😀', '\ud800',
];

function soup(r: Random): string {
  let s = '';
  const n = r.int(0, 30);
  for (let i = 0; i < n; i++) s += r.pick(PIECES) + (r.chance(0.5) ? ' ' : '');
  return s;
}

function rawChars(r: Random): string {
  const alphabet = "abcTVD=()[],'\" \\-0123456789.:Z中\0＝";
  let s = '';
  const n = r.int(0, 60);
  for (let i = 0; i < n; i++) s += r.pick([...alphabet]);
  return s;
}

function mutate(r: Random, src: string): string {
  let s = src;
  const n = r.int(1, 4);
  for (let k = 0; k < n; k++) {
    const at = r.int(0, s.length);
    switch (r.int(0, 5)) {
      case 0: s = s.slice(0, at) + s.slice(at + 1); break;
      case 1: s = s.slice(0, at) + r.pick(PIECES) + s.slice(at); break;
      case 2: s = s.slice(0, at) + r.pick([..."()[],'\"= \\"]) + s.slice(at + 1); break;
      case 3: { const len = r.int(1, 12); s = s.slice(0, at) + s.slice(at, at + len) + s.slice(at); break; }
      case 4: s = s.slice(0, at); break;
      default: { const b = r.int(0, s.length); s = s.slice(0, Math.min(at, b)) + s.slice(Math.max(at, b)) + s.slice(Math.min(at, b), Math.max(at, b)); }
    }
  }
  return s;
}

type Outcome = 'ok' | 'syntax';

function attempt(src: string): Outcome {
  try {
    const filter = checkMatch(parseMatch(src));
    if (filter) {
      for (const dialect of ['sqlite', 'postgres'] as const) {
        compilers[dialect].selectFrom('videos').selectAll().where(filterSql(filter, dialect)).compile();
      }
    }
    return 'ok';
  } catch (err) {
    if (!(err instanceof MatchSyntaxError)) assert.fail(`input ${JSON.stringify(src)} threw ${String(err)}`);
    assert.equal(err.code, 'ErrorMatchSyntax');
    assert.ok(err.position >= 1 && err.position <= src.length + 1, `position ${err.position} outside ${JSON.stringify(src)}`);
    assert.match(err.message, /^Match error at position \d+/);
    return 'syntax';
  }
}

test('random and mutated Match strings never throw anything but ErrorMatchSyntax', () => {
  const seed = testSeed(20240601);
  const r = seededRandom(seed);
  const counts = { ok: 0, syntax: 0 };
  const run = (src: string) => {
    try {
      counts[attempt(src)]++;
    } catch (err) {
      throw new Error(`seed ${seed}: ${(err as Error).message}`, { cause: err });
    }
  };
  for (let i = 0; i < 4000; i++) run(soup(r));
  for (let i = 0; i < 3000; i++) run(rawChars(r));
  for (let i = 0; i < 6000; i++) run(mutate(r, r.pick(VALID)));
  for (const src of VALID) assert.equal(attempt(src), 'ok', src);
  // Not vacuous: plenty of both outcomes.
  assert.ok(counts.ok > 300, `only ${counts.ok} inputs parsed`);
  assert.ok(counts.syntax > 5000, `only ${counts.syntax} inputs were refused`);
});

test('pathological inputs are refused quickly, without deep recursion', () => {
  for (const src of ['('.repeat(100_000), `${'('.repeat(5000)}Title = 'a'${')'.repeat(5000)}`, 'x'.repeat(70_000), `Title = '${"''".repeat(40_000)}'`,
    Array.from({ length: 5000 }, () => "Title = 'a'").join(' and '), `VideoId in (${Array.from({ length: 5000 }, () => "'a'").join(',')})`]) {
    assert.equal(attempt(src), 'syntax', src.slice(0, 40));
  }
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../domain/errors.js';
import { checkMatch, parseUtcTime, type VideoFilter } from './match-check.js';
import { parseMatch } from './match-parser.js';
import { MatchSyntaxError } from './match-syntax-error.js';
import { parseSortBy, sortByText } from './sort-by.js';

const checked = (src: string): VideoFilter | undefined => checkMatch(parseMatch(src));
const T0 = Date.UTC(2018, 0, 1);

function rejected(src: string, position: number, part: string, reason: RegExp): void {
  assert.throws(() => checked(src), (err: unknown) => {
    assert.ok(err instanceof MatchSyntaxError, String(err));
    assert.equal(err.code, 'ErrorMatchSyntax');
    assert.equal(err.position, position, err.message);
    assert.equal(err.part, part);
    assert.match(err.reason, reason);
    return true;
  });
}

describe('Match checker: meanings per field', () => {
  test('exact and multi-value fields become equality / one-of', () => {
    assert.deepEqual(checked("VideoId = 'v1'"), { type: 'equals', column: 'video_id', values: ['v1'] });
    assert.deepEqual(checked("VideoId in ('v1','v2')"), { type: 'equals', column: 'video_id', values: ['v1', 'v2'] });
    assert.deepEqual(checked('CateId = 1000001'), { type: 'equals', column: 'cate_id', values: [1000001] });
    assert.deepEqual(checked("CateId = '1000001'"), { type: 'equals', column: 'cate_id', values: [1000001] });
    assert.deepEqual(checked("StorageLocation in ('a','b')"), { type: 'equals', column: 'storage_location', values: ['a', 'b'] });
    assert.deepEqual(checked("AppId in ('app-1000000')"), { type: 'equals', column: 'app_id', values: ['app-1000000'] });
    assert.deepEqual(checked("MediaSource in ('general','live')"), { type: 'equals', column: 'media_source', values: ['general', 'live'] });
  });

  test('= on a multi-value-only field is a one-value in', () => {
    assert.deepEqual(checked("Status = 'Normal'"), { type: 'equals', column: 'status', values: ['Normal'] });
  });

  test('fuzzy fields: = and in mean contains', () => {
    assert.deepEqual(checked("Title = 'abc'"), { type: 'contains', column: 'title', needles: ['abc'] });
    assert.deepEqual(checked("Tags in ('a','b')"), { type: 'contains', column: 'tags', needles: ['a', 'b'] });
    assert.deepEqual(checked('Description = 42'), { type: 'contains', column: 'description', needles: ['42'] });
  });

  test('field names are case-insensitive', () => {
    assert.deepEqual(checked("title = 'a' and STATUS in ('Normal')"), {
      type: 'and', items: [{ type: 'contains', column: 'title', needles: ['a'] }, { type: 'equals', column: 'status', values: ['Normal'] }],
    });
  });

  test('PreprocessStatus is searchable but never set: it matches nothing', () => {
    assert.deepEqual(checked("PreprocessStatus in ('PreprocessSucceed')"), { type: 'nothing' });
  });

  test('time ranges: a time without fraction names its whole second', () => {
    const r = (src: string) => checked(`CreationTime = ${src}`);
    assert.deepEqual(r("['2018-01-01T00:00:00Z','2018-01-01T00:00:00Z']"), {
      type: 'range', column: 'created_at_ms', lo: { value: T0, inclusive: true }, hi: { value: T0 + 1000, inclusive: false },
    });
    assert.deepEqual(r("('2018-01-01T00:00:00Z','2018-01-01T00:00:10Z')"), {
      type: 'range', column: 'created_at_ms', lo: { value: T0 + 1000, inclusive: true }, hi: { value: T0 + 10_000, inclusive: false },
    });
    assert.deepEqual(r("('2018-01-01T00:00:00.250Z',]"), {
      type: 'range', column: 'created_at_ms', lo: { value: T0 + 251, inclusive: true }, hi: undefined,
    });
    assert.deepEqual(checked("ModificationTime = (,'2018-01-01T00:00:00.25Z')"), {
      type: 'range', column: 'modified_at_ms', lo: undefined, hi: { value: T0 + 250, inclusive: false },
    });
  });

  test('Size bounds become whole bytes; Duration bounds stay as given', () => {
    assert.deepEqual(checked('Size = (100.5, 200.5)'), {
      type: 'range', column: 'size', lo: { value: 101, inclusive: true }, hi: { value: 200, inclusive: true },
    });
    assert.deepEqual(checked('Size = (100, 200]'), {
      type: 'range', column: 'size', lo: { value: 101, inclusive: true }, hi: { value: 200, inclusive: true },
    });
    assert.deepEqual(checked("Size = ['100', 200)"), {
      type: 'range', column: 'size', lo: { value: 100, inclusive: true }, hi: { value: 199, inclusive: true },
    });
    assert.deepEqual(checked('Duration = (1.5,]'), { type: 'range', column: 'duration', lo: { value: 1.5, inclusive: false }, hi: undefined });
    assert.deepEqual(checked('Duration = (1.5, 3]'), {
      type: 'range', column: 'duration', lo: { value: 1.5, inclusive: false }, hi: { value: 3, inclusive: true },
    });
  });
});

describe('Match checker: every misuse is ErrorMatchSyntax naming the part', () => {
  test('unknown field', () => rejected("Titel = 'a'", 1, 'Titel', /unknown field "Titel"; searchable fields: VideoId, /));
  test('a field that can only be returned', () => rejected("CoverURL = 'x'", 1, 'CoverURL', /CoverURL can be returned \(Fields\) but not searched/));
  test('CateName can only be returned', () => rejected("Status = 'Normal' and CateName = 'x'", 23, 'CateName', /not searched/));
  test('exact on a range-only field', () => rejected('Size = 100', 1, 'Size', /Size takes a range/));
  test('exact on a time field', () => rejected("CreationTime = '2018-01-01T00:00:00Z'", 1, 'CreationTime', /takes a range, like CreationTime = \('2018/));
  test('in on a range-only field', () => rejected('Duration in (1,2)', 1, 'Duration', /takes a range/));
  test('range on a fuzzy field', () => rejected("Title = ('a','b')", 9, "('a','b')", /Title does not take a range/));
  test('range on a multi-value field', () => rejected("Status = ['a',]", 10, "['a',]", /does not take a range/));
  test('list on an exact-only field', () => rejected('CateId in (1,2)', 8, 'in', /CateId takes one value/));
  test('CateId needs an integer', () => rejected("CateId = 'abc'", 10, "'abc'", /CateId needs an integer/));
  test('CateId rejects a fraction', () => rejected('CateId = 1.5', 10, '1.5', /needs an integer/));
  test('Size needs a number', () => rejected("Size = ('abc',)", 9, "'abc'", /Size needs a number/));
  test('numbers out of range', () => rejected(`Size = (${'9'.repeat(30)},)`, 9, '9'.repeat(30), /out of range/));
  test('time in a bad format', () => rejected("CreationTime = ('2018-01-01 00:00:00',)", 17, "'2018-01-01 00:00:00'", /ISO-8601 UTC time/));
  test('time as a bare number', () => rejected('CreationTime = (1514764800,)', 17, '1514764800', /ISO-8601 UTC time in quotes/));
  test('time with an offset instead of Z', () => rejected("ModificationTime = (,'2018-01-01T08:00:00+08:00')", 22, "'2018-01-01T08:00:00+08:00'", /ISO-8601/));
  test('impossible calendar date', () => rejected("CreationTime = ['2018-02-30T00:00:00Z',)", 17, "'2018-02-30T00:00:00Z'", /ISO-8601/));
  test('inside or groups too', () => rejected("Status = 'Normal' and (Title = 'a' or Nope = 'b')", 39, 'Nope', /unknown field/));
});

describe('UTC times', () => {
  test('strict ISO-8601 UTC', () => {
    assert.deepEqual(parseUtcTime('2018-01-01T00:00:00Z'), { ms: T0, granularityMs: 1000 });
    assert.deepEqual(parseUtcTime('2018-01-01T00:00:00.5Z'), { ms: T0 + 500, granularityMs: 1 });
    assert.deepEqual(parseUtcTime('2018-01-01T00:00:00.123456789Z'), { ms: T0 + 123, granularityMs: 1 });
    assert.deepEqual(parseUtcTime('2016-02-29T23:59:59Z'), { ms: Date.UTC(2016, 1, 29, 23, 59, 59), granularityMs: 1000 });
    for (const bad of ['2018-01-01', '2018-01-01T00:00Z', '2017-02-29T00:00:00Z', '2018-01-01T24:00:00Z', '2018-01-01T00:60:00Z',
      '2018-13-01T00:00:00Z', '0050-01-01T00:00:00Z', '2018-01-01T00:00:00z', ' 2018-01-01T00:00:00Z']) {
      assert.equal(parseUtcTime(bad), undefined, bad);
    }
  });
});

describe('SortBy', () => {
  test('default, case-insensitive, canonical text', () => {
    assert.equal(sortByText(parseSortBy(undefined)), 'CreationTime:Desc');
    assert.equal(sortByText(parseSortBy('creationtime:asc')), 'CreationTime:Asc');
    assert.equal(sortByText(parseSortBy(' ModificationTime:Desc , CreationTime:Asc ')), 'ModificationTime:Desc,CreationTime:Asc');
  });
  test('more than 3 fields → SortByExceededMax', () => {
    assert.throws(() => parseSortBy('CreationTime:Desc,ModificationTime:Desc,CreationTime:Asc,ModificationTime:Asc'), (e: unknown) =>
      e instanceof ApiError && e.code === 'SortByExceededMax' && e.httpStatus === 400);
  });
  test('unsortable field, bad direction, bad shape, repeated field → InvalidParameter', () => {
    for (const bad of ['Title:Desc', 'CreationTime:Down', 'CreationTime', 'CreationTime:Desc,CreationTime:Asc']) {
      assert.throws(() => parseSortBy(bad), (e: unknown) => e instanceof ApiError && e.code === 'InvalidParameter' && /SortBy/.test(e.message), bad);
    }
  });
});

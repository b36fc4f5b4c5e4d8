import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MigrateUsageError } from '../migrate.errors.js';
import { csvHeader, csvRecord, detectFormat, jsonRecord, recordToItem, textRecord } from './url-list.parse.js';

const usage = (pattern: RegExp) => (e: unknown) => e instanceof MigrateUsageError && pattern.test(e.message);

test('detectFormat: extension first, then the first significant line', () => {
  assert.equal(detectFormat('list.csv', 'https://a/b.mp4'), 'csv');
  assert.equal(detectFormat('list.JSONL', 'x'), 'jsonl');
  assert.equal(detectFormat('list.ndjson', undefined), 'jsonl');
  assert.equal(detectFormat('list.txt', '{"SourceURL":"https://a/b.mp4"}'), 'jsonl');
  assert.equal(detectFormat('list', 'sourceurl,Title'), 'csv');
  assert.equal(detectFormat('list', '"Title","SourceURL"'), 'csv');
  assert.equal(detectFormat('list', 'url,title'), 'csv');
  assert.equal(detectFormat('list', 'https://a/b,c.mp4'), 'text');
  assert.equal(detectFormat('list', 'https://a/b.mp4'), 'text');
  assert.equal(detectFormat('list.txt', undefined), 'text');
});

test('textRecord skips blank lines and # comments, trims', () => {
  assert.equal(textRecord('', 1), undefined);
  assert.equal(textRecord('   \t', 1), undefined);
  assert.equal(textRecord('  # a comment', 1), undefined);
  assert.deepEqual(textRecord('  https://a/b.mp4 \t', 7), { line: 7, fields: { SourceURL: 'https://a/b.mp4' }, extra: {} });
});

test('jsonRecord: keys case-insensitive, Tags as an array, extras kept as text', () => {
  const rec = jsonRecord('{"sourceurl":"https://a/b.mp4","TITLE":"T","tags":["x","y"],"cateid":7,"mine":{"k":1},"n":3,"s":"v","z":null}', 3, 'l.jsonl');
  assert.deepEqual(rec, {
    line: 3,
    fields: { SourceURL: 'https://a/b.mp4', Title: 'T', Tags: 'x,y', CateId: '7' },
    extra: { mine: '{"k":1}', n: '3', s: 'v', z: '' },
  });
  assert.equal(jsonRecord('   ', 4, 'l.jsonl'), undefined);
  assert.deepEqual(jsonRecord('{"url":"https://a/b.mp4"}', 1, 'l')?.fields, { SourceURL: 'https://a/b.mp4' });
  assert.deepEqual(jsonRecord('{"SourceURL":"https://a/b.mp4","URL":"kept"}', 1, 'l')?.extra, { URL: 'kept' });
});

test('jsonRecord: structural problems are usage errors naming the line', () => {
  assert.throws(() => jsonRecord('{"SourceURL": ', 12, 'l.jsonl'), usage(/l\.jsonl, line 12: not valid JSON/));
  assert.throws(() => jsonRecord('["https://a/b.mp4"]', 2, 'l.jsonl'), usage(/line 2: .* must be an object/));
  assert.throws(() => jsonRecord('{"Title":"no url"}', 5, 'l.jsonl'), usage(/line 5: the object has no SourceURL/));
  assert.throws(() => jsonRecord('{"SourceURL":"https://a/b.mp4","Title":["a"]}', 6, 'l'), usage(/line 6: "Title" must be a string/));
  assert.throws(() => jsonRecord('{"SourceURL":"https://a/b.mp4","title":"a","Title":"b"}', 6, 'l'), usage(/"Title" is given twice/));
});

test('csvHeader: known columns case-insensitive, the rest extra; URL as an alias; problems are usage errors', () => {
  assert.deepEqual(csvHeader(['SourceURL', 'title', ' Tags ', 'Owner', ''], 1, 'f.csv'), [
    { field: 'SourceURL' }, { field: 'Title' }, { field: 'Tags' }, { extra: 'Owner' }, { extra: 'column5' },
  ]);
  assert.deepEqual(csvHeader(['url', 'Title'], 1, 'f.csv'), [{ field: 'SourceURL' }, { field: 'Title' }]);
  assert.deepEqual(csvHeader(['SourceURL', 'URL'], 1, 'f.csv'), [{ field: 'SourceURL' }, { extra: 'URL' }]);
  assert.throws(() => csvHeader(['Title', 'Link'], 3, 'f.csv'), usage(/f\.csv, line 3: the CSV header row has no SourceURL column/));
  assert.throws(() => csvHeader(['SourceURL', 'Title', 'TITLE'], 1, 'f.csv'), usage(/names "Title" twice/));
});

test('csvRecord: an all-empty row is skipped; a row without a URL is a usage error', () => {
  const cols = csvHeader(['SourceURL', 'Title', 'Ref'], 1, 'f.csv');
  assert.equal(csvRecord(cols, ['', ' ', ''], 2, 'f.csv'), undefined);
  assert.deepEqual(csvRecord(cols, ['https://a/b.mp4', 'T', ' keep  spaces '], 2, 'f.csv'), {
    line: 2, fields: { SourceURL: 'https://a/b.mp4', Title: 'T' }, extra: { Ref: ' keep  spaces ' },
  });
  assert.throws(() => csvRecord(cols, ['', 'title only', ''], 9, 'f.csv'), usage(/line 9: the row has no SourceURL/));
});

test('recordToItem: metadata, file name from the decoded URL path or the FileName/FileExtension columns', () => {
  const item = recordToItem({
    line: 2,
    fields: { SourceURL: ' https://cdn.example.com/a/My%20Clip.MP4?sig=1 ', Title: ' T ', Description: 'D', Tags: 'a,b', CateId: '42', CoverURL: 'https://c/x.jpg', FileSize: '1000' },
    extra: { Ref: 'r1' },
  });
  assert.deepEqual(item, {
    id: 'https://cdn.example.com/a/My%20Clip.MP4?sig=1', fileName: 'My Clip.MP4', title: 'T', description: 'D', tags: 'a,b', cateId: 42,
    coverUrl: 'https://c/x.jpg', size: 1000, extra: { Ref: 'r1' }, invalid: undefined,
  });
  const named = recordToItem({ line: 3, fields: { SourceURL: 'https://h/watch?v=1', FileName: 'talk.mov' }, extra: {} });
  assert.equal(named.fileName, 'talk.mov');
  assert.equal(named.invalid, undefined);
  const ext = recordToItem({ line: 4, fields: { SourceURL: 'https://h/watch?v=1', FileExtension: '.MP4' }, extra: {} });
  assert.equal(ext.fileName, 'watch.mp4');
  assert.equal(ext.invalid, undefined);
  assert.equal(recordToItem({ line: 5, fields: { SourceURL: 'https://h/' , FileExtension: 'mp3' }, extra: {} }).fileName, 'media.mp3');
  assert.equal(recordToItem({ line: 5, fields: { SourceURL: 'https://h/a%2Fb.mp4' }, extra: {} }).fileName, 'a_b.mp4');
});

test('recordToItem: bad values make the item invalid with a code, never throw', () => {
  const code = (fields: Record<string, string>) => recordToItem({ line: 8, fields, extra: {} }).invalid?.code;
  assert.equal(code({ SourceURL: 'not a url' }), 'URLInvalidError');
  assert.equal(code({ SourceURL: 'ftp://h/a.mp4' }), 'URLInvalidError');
  assert.equal(code({ SourceURL: 'https://user:pw@h/a.mp4' }), 'URLInvalidError');
  assert.equal(code({ SourceURL: `https://h/${'a'.repeat(2100)}.mp4` }), 'URLInvalidError');
  assert.equal(code({ SourceURL: 'https://h/page.html' }), 'InvalidFileName.Extension');
  assert.equal(code({ SourceURL: 'https://h/watch' }), 'InvalidFileName.Extension');
  assert.equal(code({ SourceURL: 'https://h/a.mp4', FileExtension: 'exe' }), 'InvalidFileName.Extension');
  assert.equal(code({ SourceURL: 'https://h/a.mp4', CateId: 'music' }), 'InvalidParameter.CateId');
  assert.equal(code({ SourceURL: 'https://h/a.mp4', FileSize: '1 GB' }), 'InvalidParameter.FileSize');
  const bad = recordToItem({ line: 8, fields: { SourceURL: 'nope' }, extra: {} });
  assert.equal(bad.id, 'nope');
  assert.match(bad.invalid?.message ?? '', /"nope" is not a URL/);
});

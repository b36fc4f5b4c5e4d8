import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MigrateUsageError } from '../migrate.errors.js';
import type { SourceItem } from '../source.js';
import { openSource, type SourceWarning } from './index.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'openvod-urls-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function listFile(name: string, content: string | Buffer): Promise<{ items: SourceItem[]; warnings: SourceWarning[] }> {
  const file = join(dir, name);
  await writeFile(file, content);
  const warnings: SourceWarning[] = [];
  const source = openSource(`urls:${file}`, { onWarning: (w) => warnings.push(w) });
  const items: SourceItem[] = [];
  for await (const item of source.list()) items.push(item);
  await source.close();
  return { items, warnings };
}

const usage = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof MigrateUsageError, String(e));
  assert.match(e.message, pattern);
  return true;
};

test('plain text: BOM, CRLF, comments, blank lines, duplicates skipped with a warning, bad lines invalid', async () => {
  const { items, warnings } = await listFile(
    'list.txt',
    '\uFEFF# my library\r\nhttps://a.example/one.mp4\r\n\r\n  https://a.example/two.mov  \r\nhttps://a.example/one.mp4\r\nnot a url\r\nhttps://a.example/three.mp3',
  );
  assert.deepEqual(items.map((i) => [i.id, i.fileName, i.invalid?.code]), [
    ['https://a.example/one.mp4', 'one.mp4', undefined],
    ['https://a.example/two.mov', 'two.mov', undefined],
    ['not a url', 'media', 'URLInvalidError'],
    ['https://a.example/three.mp3', 'three.mp3', undefined],
  ]);
  assert.deepEqual(warnings.map((w) => [w.code, w.id]), [['DuplicateItem', 'https://a.example/one.mp4']]);
  assert.match(warnings[0]?.message ?? '', /line 5/);
});

test('CSV: header case-insensitive, quoted commas and newlines, extra columns kept verbatim, BOM + CRLF', async () => {
  const csv = [
    '\uFEFFsourceURL,TITLE,Description,Tags,CateId,CoverURL,Owner,Notes',
    'https://a.example/v/1.mp4,"Hello, world","line one\r\nline two","a,b",12,https://a.example/c.jpg,alice,"said ""hi"""',
    '',
    'https://a.example/v/2.mp4,Second,,,,,bob,',
    'https://a.example/v/1.mp4,dup,,,,,carol,',
  ].join('\r\n');
  const { items, warnings } = await listFile('lib.csv', csv);
  assert.equal(items.length, 2);
  assert.deepEqual(items[0], {
    id: 'https://a.example/v/1.mp4', fileName: '1.mp4', title: 'Hello, world', description: 'line one\r\nline two', tags: 'a,b', cateId: 12,
    coverUrl: 'https://a.example/c.jpg', size: undefined, extra: { Owner: 'alice', Notes: 'said "hi"' }, invalid: undefined,
  });
  assert.deepEqual(items[1]?.extra, { Owner: 'bob', Notes: '' });
  assert.equal(items[1]?.description, undefined);
  assert.deepEqual(warnings.map((w) => w.code), ['DuplicateItem']);
});

test('CSV detected by content (no .csv extension), FileName and FileExtension columns', async () => {
  const { items } = await listFile('export.txt', 'Title,SourceURL,FileName,FileExtension\nA,https://h/dl?id=1,talk.mov,\nB,https://h/dl?id=2,,mp4\n');
  assert.deepEqual(items.map((i) => [i.id, i.fileName, i.title, i.invalid]), [
    ['https://h/dl?id=1', 'talk.mov', 'A', undefined],
    ['https://h/dl?id=2', 'dl.mp4', 'B', undefined],
  ]);
});

test('JSON Lines: metadata, extras, duplicates', async () => {
  const { items, warnings } = await listFile(
    'list.jsonl',
    '{"SourceURL":"https://h/a.mp4","Title":"A","Tags":["x","y"],"ref":{"id":7}}\n\n{"sourceurl":"https://h/b.webm","CateId":"3"}\r\n{"SourceURL":"https://h/a.mp4"}\n',
  );
  assert.deepEqual(items.map((i) => [i.id, i.title, i.tags, i.cateId, i.extra]), [
    ['https://h/a.mp4', 'A', 'x,y', undefined, { ref: '{"id":7}' }],
    ['https://h/b.webm', undefined, undefined, 3, {}],
  ]);
  assert.equal(warnings.length, 1);
});

test('a malformed file stops the listing before any item is yielded, naming the line', async () => {
  const file = join(dir, 'broken.jsonl');
  await writeFile(file, '{"SourceURL":"https://h/a.mp4"}\n{"SourceURL":"https://h/b.mp4"}\n{oops\n');
  const source = openSource(`urls:${file}`, {});
  const seen: string[] = [];
  await assert.rejects(async () => {
    for await (const item of source.list()) seen.push(item.id);
  }, usage(/broken\.jsonl, line 3: not valid JSON/));
  assert.equal(seen.length, 0);

  const csv = join(dir, 'ragged.csv');
  await writeFile(csv, 'SourceURL,Title\nhttps://h/a.mp4,A\nhttps://h/b.mp4,B,extra cell\n');
  await assert.rejects(async () => {
    for await (const item of openSource(`urls:${csv}`, {}).list()) seen.push(item.id);
  }, usage(/ragged\.csv: not a valid CSV file/));
  assert.equal(seen.length, 0);

  const noHeader = join(dir, 'noheader.csv');
  await writeFile(noHeader, 'https://h/a.mp4,A\n');
  await assert.rejects(async () => {
    for await (const item of openSource(`urls:${noHeader}`, {}).list()) seen.push(item.id);
  }, usage(/line 1: the CSV header row has no SourceURL column/));
});

test('an empty file lists nothing; a missing file or a directory is a usage error at open', async () => {
  assert.deepEqual((await listFile('empty.txt', '')).items, []);
  assert.throws(() => openSource(`urls:${join(dir, 'nope.txt')}`, {}), usage(/does not exist/));
  await mkdir(join(dir, 'sub'), { recursive: true });
  assert.throws(() => openSource(`urls:${join(dir, 'sub')}`, {}), usage(/is not a file/));
});

test('urls: pulls only; sourceUrl is the URL; filters and other kinds\' options do not fit', async () => {
  const file = join(dir, 'one.txt');
  await writeFile(file, 'https://h/a.mp4\n');
  const source = openSource(`urls:${file}`, {});
  assert.equal(source.kind, 'urls');
  assert.equal(source.defaultMethod, 'pull');
  assert.deepEqual(source.methods, ['pull']);
  assert.equal(source.open, undefined);
  assert.equal(source.registerUrl, undefined);
  const items: SourceItem[] = [];
  for await (const i of source.list()) items.push(i);
  const [item] = items;
  assert.ok(item);
  assert.equal(await source.sourceUrl?.(item, { expiresInS: 60 }), 'https://h/a.mp4');
  assert.throws(() => openSource(`urls:${file}`, { minSize: 1, s3Region: 'x' }), usage(/s3Region applies to s3: sources, not urls:; minSize applies to s3: and dir: sources/));
});

test('aborting the signal ends the listing', async () => {
  const file = join(dir, 'many.txt');
  await writeFile(file, Array.from({ length: 50 }, (_, i) => `https://h/${i}.mp4`).join('\n'));
  const ac = new AbortController();
  const seen: string[] = [];
  for await (const item of openSource(`urls:${file}`, {}).list(ac.signal)) {
    seen.push(item.id);
    if (seen.length === 3) ac.abort();
  }
  assert.equal(seen.length, 3);
});

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { MigrateUsageError } from '../migrate.errors.js';
import type { MigrationSource, SourceItem } from '../source.js';
import { openSource, SourceItemError, type SourceOptions, type SourceWarning } from './index.js';

let base: string;
let root: string;
let outside: string;
const bytes = randomBytes(70_000);

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'openvod-dir-'));
  root = join(base, 'library');
  outside = join(base, 'elsewhere');
  await mkdir(join(root, 'b', 'deeper'), { recursive: true });
  await mkdir(join(root, 'a'), { recursive: true });
  await mkdir(join(root, '.cache'), { recursive: true });
  await mkdir(join(root, 'empty'), { recursive: true });
  await mkdir(outside, { recursive: true });
  await writeFile(join(root, 'z.mp4'), bytes);
  await writeFile(join(root, 'A.MOV'), 'mov');
  await writeFile(join(root, 'a', 'one.mp4'), '1');
  await writeFile(join(root, 'a', 'notes.txt'), 'not media');
  await writeFile(join(root, 'a', '.hidden.mp4'), 'hidden');
  await writeFile(join(root, 'b', 'deeper', 'two.mp3'), '22');
  await writeFile(join(root, 'b', 'deeper', 'Ünïcode name.webm'), '333');
  await writeFile(join(root, '.cache', 'c.mp4'), 'in a hidden dir');
  await writeFile(join(outside, 'secret.mp4'), 'outside the root');
  await symlink(join(outside, 'secret.mp4'), join(root, 'escape.mp4'));
  await symlink(outside, join(root, 'escape-dir'));
  await symlink('../../a/one.mp4', join(root, 'b', 'deeper', 'inside-link.mp4'));
  await symlink(join(base, 'missing.mp4'), join(root, 'dangling.mp4'));
  await utimes(join(root, 'A.MOV'), new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
});
after(async () => {
  await rm(base, { recursive: true, force: true });
});

async function list(opts: SourceOptions = {}, spec = `dir:${root}`): Promise<{ source: MigrationSource; items: SourceItem[]; warnings: SourceWarning[] }> {
  const warnings: SourceWarning[] = [];
  const source = openSource(spec, { ...opts, onWarning: (w) => warnings.push(w) });
  const items: SourceItem[] = [];
  for await (const item of source.list()) items.push(item);
  return { source, items, warnings };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test('walks nested directories in a stable sorted order, skipping hidden entries, non-media and links', async () => {
  const { source, items, warnings } = await list();
  assert.equal(source.kind, 'dir');
  assert.equal(source.defaultMethod, 'push');
  assert.deepEqual(source.methods, ['push']);
  assert.equal(source.sourceUrl, undefined);
  assert.deepEqual(items.map((i) => i.id), ['A.MOV', 'a/one.mp4', 'b/deeper/two.mp3', 'b/deeper/Ünïcode name.webm', 'z.mp4']);
  const z = items.find((i) => i.id === 'z.mp4');
  assert.deepEqual(z && { fileName: z.fileName, size: z.size, extra: z.extra }, { fileName: 'z.mp4', size: bytes.length, extra: {} });
  assert.equal(items[0]?.lastModified, '2020-01-01T00:00:00.000Z');
  assert.deepEqual(warnings.map((w) => [w.code, w.id]).sort(), [
    ['SymlinkOutsideRoot', 'dangling.mp4'],
    ['SymlinkOutsideRoot', 'escape-dir'],
    ['SymlinkOutsideRoot', 'escape.mp4'],
  ]);
  // Same listing every time.
  assert.deepEqual((await list()).items.map((i) => i.id), items.map((i) => i.id));
});

test('filters: extensions, sizes, modification time', async () => {
  assert.deepEqual((await list({ extensions: ['mp4'] })).items.map((i) => i.id), ['a/one.mp4', 'z.mp4']);
  assert.deepEqual((await list({ minSize: 2, maxSize: 3 })).items.map((i) => i.id), ['A.MOV', 'b/deeper/two.mp3', 'b/deeper/Ünïcode name.webm']);
  assert.deepEqual((await list({ modifiedBefore: new Date('2021-01-01T00:00:00Z') })).items.map((i) => i.id), ['A.MOV']);
  assert.deepEqual((await list({ modifiedAfter: new Date('2021-01-01T00:00:00Z'), extensions: ['mov', 'mp3'] })).items.map((i) => i.id), ['b/deeper/two.mp3']);
});

test('open() streams the file with its size; no temporary files', async () => {
  const { source, items } = await list();
  const z = items.find((i) => i.id === 'z.mp4');
  assert.ok(z && source.open);
  const body = await source.open(z);
  assert.equal(body.size, bytes.length);
  assert.deepEqual(await readAll(body.stream), bytes);
  const nested = await source.open({ id: 'b/deeper/Ünïcode name.webm', fileName: 'x', extra: {} });
  assert.equal((await readAll(nested.stream)).toString(), '333');
});

test('open() refuses links, escapes and vanished files with item errors', async () => {
  const { source } = await list();
  assert.ok(source.open);
  const code = (expected: string) => (e: unknown) => e instanceof SourceItemError && e.code === expected;
  const item = (id: string): SourceItem => ({ id, fileName: 'x.mp4', extra: {} });
  await assert.rejects(source.open(item('escape.mp4')), code('Source.NotFound'));
  await assert.rejects(source.open(item('escape-dir/secret.mp4')), code('Source.NotFound'));
  await assert.rejects(source.open(item('../elsewhere/secret.mp4')), code('Source.NotFound'));
  await assert.rejects(source.open(item('/etc/passwd')), code('Source.NotFound'));
  await assert.rejects(source.open(item('gone.mp4')), code('Source.NotFound'));
  await writeFile(join(root, 'later.mp4'), 'x');
  await unlink(join(root, 'later.mp4'));
  await symlink(join(outside, 'secret.mp4'), join(root, 'later.mp4'));
  await assert.rejects(source.open(item('later.mp4')), code('Source.NotFound'));
  await unlink(join(root, 'later.mp4'));
});

test('the root given through a symlink is walked as its target', async () => {
  const link = join(base, 'library-link');
  await symlink(root, link);
  const { items, warnings } = await list({}, `dir:${link}`);
  assert.equal(items.length, 5);
  assert.equal(warnings.length, 3);
});

test('a missing root, a file as root, and s3/vod options are usage errors', () => {
  const usage = (e: unknown) => e instanceof MigrateUsageError;
  assert.throws(() => openSource(`dir:${join(base, 'nope')}`, {}), usage);
  assert.throws(() => openSource(`dir:${join(root, 'z.mp4')}`, {}), usage);
  assert.throws(() => openSource(`dir:${root}`, { s3Endpoint: 'http://127.0.0.1:1' }), usage);
  assert.throws(() => openSource(`dir:${root}`, { extensions: ['doc'] }), usage);
});

test('aborting the signal ends the walk', async () => {
  const source = openSource(`dir:${root}`, {});
  const ac = new AbortController();
  const seen: string[] = [];
  for await (const item of source.list(ac.signal)) {
    seen.push(item.id);
    ac.abort();
  }
  assert.deepEqual(seen, ['A.MOV']);
});

// The vod: source against a real started OpenVOD (SearchMedia scroll paging, GetMezzanineInfo,
// the signed file route), seeded with media rows and their stored bytes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createFsBlobStore } from '../../../src/blob/fs-blob-store.js';
import type { BlobStore } from '../../../src/blob/blob-store.js';
import type { MigrationSource, SourceItem } from '../../../src/migrate/source.js';
import { openSource, SourceItemError, type SourceWarning } from '../../../src/migrate/sources/index.js';
import { VodRpcClient } from '../../../src/sdk/rpc-client.js';
import { openStore, type Store } from '../../../src/store/db.js';
import type { VideoTable } from '../../../src/store/schema.js';
import { seedVideo } from '../../helpers/seed.js';
import { startTestServer, TEST_KEY_ID, TEST_KEY_SECRET, type TestServer } from '../../helpers/server.js';

let server: TestServer;
let store: Store;
let blobs: BlobStore;
const base = Date.UTC(2030, 0, 1);
const seeded: { row: VideoTable; bytes?: Buffer }[] = [];
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

async function seedWithFile(fields: Partial<VideoTable>, fileName: string, bytes: Buffer): Promise<VideoTable> {
  const row = await seedVideo(store.db, { ...fields, file_name: fileName, size: bytes.length, file_md5: md5(bytes), storage_key: 'pending' });
  const key = `${row.video_id}/source${fileName.slice(fileName.lastIndexOf('.')) || '.mp4'}`;
  await blobs.put(key, Readable.from([bytes]));
  await store.db.updateTable('videos').set({ storage_key: key }).where('video_id', '=', row.video_id).execute();
  const stored = { ...row, storage_key: key };
  seeded.push({ row: stored, bytes });
  return stored;
}

before(async () => {
  server = await startTestServer();
  store = openStore({ databaseUrl: server.db.databaseUrl, dataDir: server.db.dataDir });
  blobs = createFsBlobStore({ root: join(server.db.dataDir, 'media') });
  const vod = new VodRpcClient({ endpoint: server.url, accessKeyId: TEST_KEY_ID, accessKeySecret: TEST_KEY_SECRET });
  const { Category } = await vod.call<{ Category: { CateId: number } }>('AddCategory', { CateName: 'Cats' });
  // 105 older videos first, so the listing needs two scroll pages of 100.
  for (let i = 0; i < 105; i++) {
    const row = await seedVideo(store.db, { title: `bulk ${i}`, created_at_ms: base + i * 1000, modified_at_ms: base, storage_key: `bulk/${i}.mp4`, file_name: `bulk-${i}.mp4` });
    seeded.push({ row });
  }
  await seedWithFile({ title: 'Alpha', description: 'first', tags: 'a,b', cate_id: Category.CateId, duration: 2.5, created_at_ms: base + 200_000, modified_at_ms: base + 200_000 }, 'alpha.mp4', randomBytes(20_000));
  await seedWithFile({ title: 'Beta', status: 'UploadSucc', created_at_ms: base + 201_000, modified_at_ms: base + 201_000 }, 'beta.mov', randomBytes(3000));
  await seedVideo(store.db, { title: 'Still uploading', status: 'Uploading', created_at_ms: base + 202_000 });
  await seedWithFile({ title: 'Gamma', created_at_ms: base + 203_000, modified_at_ms: base + 203_000 }, 'gamma.mp3', randomBytes(500));
});
after(async () => {
  await blobs?.close();
  await store?.close();
  await server?.cleanup();
});

function open(extra: { vodMatch?: string; onWarning?: (w: SourceWarning) => void } = {}): MigrationSource {
  return openSource(`vod:${server.url}`, { vodAccessKeyId: TEST_KEY_ID, vodAccessKeySecret: TEST_KEY_SECRET, ...extra });
}

async function list(source: MigrationSource): Promise<SourceItem[]> {
  const items: SourceItem[] = [];
  for await (const item of source.list()) items.push(item);
  return items;
}

test('lists the migratable videos oldest first across scroll pages, with metadata, file names and MD5s', async () => {
  const warnings: SourceWarning[] = [];
  const source = open({ onWarning: (w) => warnings.push(w) });
  try {
    const items = await list(source);
    const expected = seeded.filter((s) => s.row.status !== 'Uploading').map((s) => s.row.video_id);
    assert.deepEqual(items.map((i) => i.id), expected);
    assert.deepEqual(warnings, []);
    const alpha = seeded.find((s) => s.row.title === 'Alpha');
    assert.ok(alpha?.bytes);
    const item = items.find((i) => i.id === alpha.row.video_id);
    assert.deepEqual(
      item && { fileName: item.fileName, title: item.title, description: item.description, tags: item.tags, cateName: item.cateName, cateId: item.cateId, size: item.size, md5: item.md5, durationS: item.durationS },
      { fileName: 'alpha.mp4', title: 'Alpha', description: 'first', tags: 'a,b', cateName: 'Cats', cateId: undefined, size: alpha.bytes.length, md5: md5(alpha.bytes), durationS: 2.5 },
    );
    assert.equal(items.find((i) => i.title === 'Beta')?.fileName, 'beta.mov');
  } finally {
    await source.close();
  }
});

test('vodMatch narrows the listing', async () => {
  const source = open({ vodMatch: "Title = 'Gamma'" });
  try {
    assert.deepEqual((await list(source)).map((i) => i.title), ['Gamma']);
  } finally {
    await source.close();
  }
});

test('pull and push: a signed FileURL the target can fetch, and the same bytes streamed', async () => {
  const source = open();
  try {
    const beta = seeded.find((s) => s.row.title === 'Beta');
    assert.ok(beta?.bytes);
    const item: SourceItem = { id: beta.row.video_id, fileName: 'beta.mov', extra: {} };
    const url = await source.sourceUrl!(item, { expiresInS: 600 });
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), beta.bytes);
    const body = await source.open!(item);
    const chunks: Buffer[] = [];
    for await (const c of body.stream) chunks.push(c as Buffer);
    assert.deepEqual(Buffer.concat(chunks), beta.bytes);
    assert.equal(body.size, beta.bytes.length);
    await assert.rejects(source.sourceUrl!({ id: 'f'.repeat(32), fileName: 'x.mp4', extra: {} }, { expiresInS: 60 }), (e: unknown) => e instanceof SourceItemError && e.code === 'Source.NotFound');
  } finally {
    await source.close();
  }
});

// Media records, categories and the playback route, driven through a started server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createFsBlobStore } from '../../src/blob/fs-blob-store.js';
import type { BlobStore } from '../../src/blob/blob-store.js';
import { appendAuthKey } from '../../src/domain/url-signing.js';
import { listEventsForMedia } from '../../src/events/event.repository.js';
import { openStore, type Store } from '../../src/store/db.js';
import { VodApiError, type VodRpcClient } from '../../src/sdk/rpc-client.js';
import { seedVideo } from '../helpers/seed.js';
import { clientFor, startTestServer, type TestServer, waitFor } from '../helpers/server.js';

let server: TestServer;
let store: Store;
let blobs: BlobStore;
let vod: VodRpcClient;

before(async () => {
  server = await startTestServer();
  store = openStore({ databaseUrl: server.db.databaseUrl, dataDir: server.db.dataDir });
  blobs = createFsBlobStore({ root: join(server.db.dataDir, 'media') });
  vod = clientFor(server);
});
after(async () => {
  await blobs?.close();
  await store?.close();
  await server?.cleanup();
});

const code = (expected: string) => (e: unknown) => {
  assert.ok(e instanceof VodApiError, String(e));
  assert.equal(e.code, expected);
  return true;
};

type Video = Record<string, unknown>;

describe('GetVideoList', () => {
  test('filters by status, category and time; pages; sorts; caps at 5,000 matches', async () => {
    const base = Date.UTC(2031, 0, 1);
    const { Category } = await vod.call<{ Category: { CateId: number } }>('AddCategory', { CateName: 'list-test' });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const row = await seedVideo(store.db, {
        title: `list ${i}`, status: i % 2 === 0 ? 'Normal' : 'Uploading', cate_id: Category.CateId, created_at_ms: base + i * 1000, modified_at_ms: base,
      });
      ids.push(row.video_id);
    }
    const page1 = await vod.call<{ Total: number; VideoList: { Video: Video[] } }>('GetVideoList', {
      CateId: Category.CateId, Status: 'Normal', PageSize: 2, PageNo: 1,
    });
    assert.equal(page1.Total, 4);
    assert.deepEqual(page1.VideoList.Video.map((v) => v.Title), ['list 6', 'list 4']);
    assert.equal(page1.VideoList.Video[0]?.CateName, 'list-test');
    assert.deepEqual(page1.VideoList.Video[0]?.Snapshots, { Snapshot: [] });
    const asc = await vod.call<{ Total: number; VideoList: { Video: Video[] } }>('GetVideoList', {
      CateId: Category.CateId, SortBy: 'CreationTime:Asc', StartTime: new Date(base + 2000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      EndTime: new Date(base + 4000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
    assert.deepEqual(asc.VideoList.Video.map((v) => v.Title), ['list 2', 'list 3', 'list 4']);
    await assert.rejects(vod.call('GetVideoList', { PageNo: 51, PageSize: 100 }), code('VideoListExceededMax'));
    await assert.rejects(vod.call('GetVideoList', { PageSize: 101 }), code('InvalidParameter'));
    await assert.rejects(vod.call('GetVideoList', { Status: 'Bogus' }), code('InvalidParameter'));
    await assert.rejects(vod.call('GetVideoList', { StartTime: 'yesterday' }), code('InvalidParameter'));
  });
});

describe('UpdateVideoInfo', () => {
  test('changes only the supplied fields, records MediaBaseChangeComplete, and enforces limits', async () => {
    const v = await seedVideo(store.db, { title: 'before', description: 'keep me', tags: 'x' });
    await vod.call('UpdateVideoInfo', { VideoId: v.video_id, Title: 'after', Tags: ' a , b ,c' });
    const { Video } = await vod.call<{ Video: Video }>('GetVideoInfo', { VideoId: v.video_id });
    assert.equal(Video.Title, 'after');
    assert.equal(Video.Description, 'keep me');
    assert.equal(Video.Tags, 'a,b,c');
    const events = await listEventsForMedia(store.db, v.video_id);
    const change = events.find((e) => e.type === 'MediaBaseChangeComplete');
    assert.ok(change);
    assert.equal(change.body.OperateMode, 'update');
    assert.deepEqual(change.body.MediaContent, {
      Title: JSON.stringify({ OldValue: 'before', NewValue: 'after' }),
      Tags: JSON.stringify({ OldValue: 'x', NewValue: 'a,b,c' }),
    });

    await assert.rejects(vod.call('UpdateVideoInfo', { VideoId: v.video_id, Title: 'é'.repeat(65) }), code('LengthExceededMax'));
    await assert.rejects(vod.call('UpdateVideoInfo', { VideoId: v.video_id, Title: 'party 🎉' }), code('IllegalCharacters'));
    await assert.rejects(vod.call('UpdateVideoInfo', { VideoId: v.video_id, Tags: Array.from({ length: 17 }, (_, i) => `t${i}`).join(',') }), code('TagsExceededMax'));
    await assert.rejects(vod.call('UpdateVideoInfo', { VideoId: v.video_id, Description: 'x'.repeat(1025) }), code('LengthExceededMax'));
    await assert.rejects(vod.call('UpdateVideoInfo', { VideoId: v.video_id, CateId: 999 }), code('InvalidCateId.NotFound'));
    await assert.rejects(vod.call('UpdateVideoInfo', { VideoId: v.video_id, UserData: '{not json' }), code('InvalidParameter'));
    await assert.rejects(vod.call('UpdateVideoInfo', { VideoId: v.video_id, CoverURL: 'ftp://x/y.jpg' }), code('InvalidParameter'));
    // Nothing above changed the video.
    const again = await vod.call<{ Video: Video }>('GetVideoInfo', { VideoId: v.video_id });
    assert.equal(again.Video.Title, 'after');
    assert.equal(again.Video.CateId, undefined);
  });
});

describe('DeleteVideo', () => {
  test('removes the record and its stored bytes, reports unknown ids, caps at 20', async () => {
    const v = await seedVideo(store.db, { storage_key: 'placeholder' });
    await blobs.put(`${v.video_id}/source.mp4`, Readable.from([randomBytes(1000)]));
    await blobs.put(`${v.video_id}/cover.jpg`, Readable.from([randomBytes(100)]));
    const r = await vod.call<{ NonExistVideoIds: string[]; ForbiddenVideoIds: string[] }>('DeleteVideo', { VideoIds: `${v.video_id},${'a'.repeat(32)}` });
    assert.deepEqual(r.NonExistVideoIds, ['a'.repeat(32)]);
    assert.deepEqual(r.ForbiddenVideoIds, []);
    await assert.rejects(vod.call('GetVideoInfo', { VideoId: v.video_id }), code('InvalidVideo.NotFound'));
    await waitFor(async () => (await blobs.stat(`${v.video_id}/source.mp4`)) === null && (await blobs.stat(`${v.video_id}/cover.jpg`)) === null, 15_000);
    const events = (await listEventsForMedia(store.db, v.video_id)).map((e) => e.type);
    assert.deepEqual(events, ['MediaBaseChangeComplete', 'DeleteMediaComplete']);
    const ids = Array.from({ length: 21 }, (_, i) => String(i).padStart(32, '0')).join(',');
    await assert.rejects(vod.call('DeleteVideo', { VideoIds: ids }), code('VideoIdsExceededMax'));
  });
});

describe('categories', () => {
  test('three levels, paging with SubTotal, rename, cascade delete clears media', async () => {
    const add = (CateName: string, ParentId?: number) => vod.call<{ Category: { CateId: number; Level: number; ParentId: number; Type: string } }>('AddCategory', { CateName, ParentId });
    const l1 = (await add('Sports')).Category;
    assert.equal(l1.Level, 0);
    assert.equal(l1.ParentId, -1);
    assert.equal(l1.Type, 'default');
    assert.ok(l1.CateId >= 1000001);
    const l2a = (await add('Football', l1.CateId)).Category;
    const l2b = (await add('Tennis', l1.CateId)).Category;
    const l3 = (await add('Grand Slams', l2b.CateId)).Category;
    assert.equal(l3.Level, 2);
    await assert.rejects(add('Too deep', l3.CateId), code('LevelExceededMax'));
    await assert.rejects(add('orphan', 42), code('InvalidCateId.NotFound'));
    await assert.rejects(add('x'.repeat(65)), code('LengthExceededMax'));

    const got = await vod.call<{ SubTotal: number; Category: { CateName: string }; SubCategories: { Category: Array<{ CateName: string; SubTotal: number }> } }>(
      'GetCategories', { CateId: l1.CateId, PageSize: 1, SortBy: 'CreationTime:Asc' },
    );
    assert.equal(got.SubTotal, 2);
    assert.equal(got.Category.CateName, 'Sports');
    assert.equal(got.SubCategories.Category.length, 1);
    assert.equal(got.SubCategories.Category[0]?.CateName, 'Football');
    const page2 = await vod.call<{ SubCategories: { Category: Array<{ CateName: string; SubTotal: number }> } }>('GetCategories', { CateId: l1.CateId, PageSize: 1, PageNo: 2, SortBy: 'CreationTime:Asc' });
    assert.equal(page2.SubCategories.Category[0]?.CateName, 'Tennis');
    assert.equal(page2.SubCategories.Category[0]?.SubTotal, 1);

    await vod.call('UpdateCategory', { CateId: l2a.CateId, CateName: 'Soccer' });
    const v = await seedVideo(store.db, { cate_id: l3.CateId });
    const before = await vod.call<{ Video: Video }>('GetVideoInfo', { VideoId: v.video_id });
    assert.equal(before.Video.CateName, 'Grand Slams');

    await vod.call('DeleteCategory', { CateId: l2b.CateId });
    await assert.rejects(vod.call('GetCategories', { CateId: l3.CateId }), code('InvalidCateId.NotFound'));
    const afterDelete = await vod.call<{ Video: Video }>('GetVideoInfo', { VideoId: v.video_id });
    assert.equal(afterDelete.Video.CateId, undefined);
    await assert.rejects(vod.call('DeleteCategory', { CateId: l2b.CateId }), code('InvalidCateId.NotFound'));
    await assert.rejects(vod.call('UpdateCategory', { CateId: 5, CateName: 'x' }), code('InvalidCateId.NotFound'));
  });
});

describe('playback route', () => {
  test('serves stored bytes with Range, HEAD and ETag behind type-A auth_key', async () => {
    const v = await seedVideo(store.db);
    const bytes = randomBytes(200_000);
    await blobs.put(`${v.video_id}/cover.jpg`, Readable.from([bytes]), { contentType: 'image/jpeg' });
    await store.db.updateTable('videos').set({ cover_url: `blob:${v.video_id}/cover.jpg` }).where('video_id', '=', v.video_id).execute();
    const { Video } = await vod.call<{ Video: { CoverURL: string } }>('GetVideoInfo', { VideoId: v.video_id });
    assert.match(Video.CoverURL, new RegExp(`^${server.url}/media/${v.video_id}/cover\\.jpg\\?auth_key=\\d+-0-0-[0-9a-f]{32}$`));

    const full = await fetch(Video.CoverURL);
    assert.equal(full.status, 200);
    assert.equal(full.headers.get('content-type'), 'image/jpeg');
    assert.equal(full.headers.get('accept-ranges'), 'bytes');
    const etag = full.headers.get('etag');
    assert.equal(etag, `"${createHash('md5').update(bytes).digest('hex')}"`);
    assert.ok(Buffer.from(await full.arrayBuffer()).equals(bytes));

    const part = await fetch(Video.CoverURL, { headers: { range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 100-199/${bytes.length}`);
    assert.ok(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 200)));
    const tail = await fetch(Video.CoverURL, { headers: { range: 'bytes=-10' } });
    assert.ok(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(bytes.length - 10)));
    const beyond = await fetch(Video.CoverURL, { headers: { range: `bytes=${bytes.length}-` } });
    assert.equal(beyond.status, 416);
    const head = await fetch(Video.CoverURL, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(bytes.length));
    const notModified = await fetch(Video.CoverURL, { headers: { 'if-none-match': etag ?? '' } });
    assert.equal(notModified.status, 304);

    const bare = Video.CoverURL.split('?')[0] ?? '';
    assert.equal((await fetch(bare)).status, 403);
    assert.equal((await fetch(Video.CoverURL.replace(/.$/, (c) => (c === '0' ? '1' : '0')))).status, 403);
    const key = (await store.db.selectFrom('settings').select('value').where('name', '=', 'playback.authKey').executeTakeFirstOrThrow()).value;
    const expired = appendAuthKey(bare, { key, expiresAtS: Math.floor(Date.now() / 1000) - 5, ttlS: 1800 });
    assert.equal((await fetch(expired)).status, 403);
    const valid = appendAuthKey(bare, { key, expiresAtS: Math.floor(Date.now() / 1000) + 60, ttlS: 1800 });
    assert.equal((await fetch(valid)).status, 200);
    const otherPath = appendAuthKey(`${server.url}/media/${v.video_id}/other.jpg`, { key, expiresAtS: Math.floor(Date.now() / 1000) + 60, ttlS: 1800 });
    assert.equal((await fetch(otherPath)).status, 404);
  });
});
